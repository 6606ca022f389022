"""`meow train`: fine-tune a model (from scratch with `--init tiny`, or any HF causal LM) on QA records."""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from meow.data import load_records
from meow.data.text import is_text
from meow.errors import MeowError
from meow.io import prepare_output
from meow.modeling.finetune import TrainConfig, train_qa
from meow.modeling.lm import LM, load_lm, prepare_tokenizer, save_lm
from meow.modeling.prompt import PromptFormat
from meow.modeling.tiny import TinyConfig, build_tiny_model, record_texts, train_tokenizer


def tokenizer_corpus(data: str | Path, split: str | None) -> list[str]:
    """All text in the data folder (every split), so models trained on different splits share one tokenizer."""
    p = Path(data)
    if p.is_dir():
        texts: list[str] = []
        for f in sorted(p.iterdir()):
            if f.suffix in (".json", ".jsonl", ".txt") and f.name != "benchmark.json":
                texts += record_texts(load_records(f, text=True))
        return texts
    return record_texts(load_records(data, split, text=True))


def new_tiny_lm(corpus: list[str], tiny: TinyConfig, seed: int, tokenizer_from: str | None = None) -> LM:
    if tokenizer_from:
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(tokenizer_from)
    else:
        tokenizer = train_tokenizer(corpus, tiny.vocab_size)
    tokenizer = prepare_tokenizer(tokenizer)
    return LM(build_tiny_model(tokenizer, tiny, seed), tokenizer, PromptFormat("plain"))


def train(data: str, split: str | None, out: str, model: str | None = None, init: str | None = None,
          cfg: TrainConfig | None = None, tiny: TinyConfig | None = None, tokenizer_from: str | None = None,
          force: bool = False, prompt_format: PromptFormat | None = None, arch: str = "llama"
          ) -> tuple[LM, dict[str, Any]]:
    """Train and save; returns the model and a summary (time, loss, rows).

    `prompt_format` overrides the model's (meow.json, else guessed; plain for --init tiny) and is saved.
    `init="random"`: a random-initialised `arch` model (meow.modeling.families) around the tokenizer
    `tokenizer_from`, shaped by `tiny` (a smoke test of the pipeline for an architecture and tokenizer).
    """
    if (model is None) == (init is None):
        raise MeowError("give exactly one of --model PATH_OR_ID or --init tiny|random")
    if init not in (None, "tiny", "random"):
        raise MeowError(f"unknown --init {init!r}; choose tiny (Llama + BPE trained here) or random (--arch)")
    if init == "random" and not tokenizer_from:
        raise MeowError("--init random needs --tokenizer-from DIR (a tokenizer folder, e.g. a model's)")
    out_path = prepare_output(out, kind="dir", force=force, inputs=[data, model, tokenizer_from])
    records = load_records(data, split, text=True)  # QA records, or passages (loss on every token)
    cfg = cfg or TrainConfig()
    tiny = tiny or TinyConfig()
    start = time.time()
    if init == "random":
        from meow.modeling.families import Shape, random_lm

        lm = random_lm(arch, str(tokenizer_from), Shape(tiny.hidden_size, tiny.layers, tiny.heads, tiny.heads,
                                                   tiny.intermediate_size, tiny.max_positions), cfg.seed)
        lm.fmt = prompt_format or lm.fmt
    elif init:
        lm = new_tiny_lm(tokenizer_corpus(data, split), tiny, cfg.seed, tokenizer_from)
        lm.fmt = prompt_format or lm.fmt
    else:
        lm = load_lm(model, dtype=cfg.dtype, fmt=prompt_format)  # type: ignore[arg-type]
    work = out_path.parent / f".{out_path.name}.trainer"
    log = work / "train_log.jsonl"
    log.unlink(missing_ok=True)
    metrics = train_qa(lm, records, cfg, work, log_path=log, desc=f"train {out_path.name}")
    seconds = time.time() - start
    meta = {
        "made_by": "meow train",
        "base_model": model or ("tiny (from scratch)" if init == "tiny" else f"random {arch} ({tokenizer_from})"),
        "data": str(data),
        "split": split,
        "records": len(records),
        "data_kind": "text" if is_text(records) else "qa",
        "train_config": asdict(cfg),
        "tiny_config": asdict(tiny) if init else None,
        "train_seconds": round(seconds, 1),
        "train_loss": metrics.get("train_loss"),
    }
    save_lm(lm, out_path, meta)
    import shutil

    if log.is_file():
        shutil.copyfile(log, out_path / "train_log.jsonl")

    shutil.rmtree(work, ignore_errors=True)
    return lm, meta
