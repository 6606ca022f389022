"""One GPU, under 8 minutes: the whole pipeline at TOFU's size on a ~1B Llama-3-architecture model in bf16.

    python bench/gpu_check.py --out gpu_check.json                 # on a GPU (about 1.2B parameters)
    python bench/gpu_check.py --tiny --out gpu_check_tiny.json     # on CPU, tiny shapes (the test runs this)
<<<<<<< HEAD
    python bench/gpu_check.py --model models/smollm2 --out gpu_check_smollm2.json   # a real model (GPU)
=======
    python bench/gpu_check.py --gpus 2 --out gpu_multi.json        # N GPUs: FSDP and ZeRO-3 (bench/gpu_multi.py)
>>>>>>> main

Stages, each timed (seconds, tokens/s, peak memory):

1. `build`: a random-initialised Llama-3.2-1B-shaped model (hidden 2048, 16 layers, 32 heads / 8 KV heads, MLP
   8192, tied embeddings) with the real Llama-3 tokenizer (`--tokenizer`, default the fixture
   `.fixtures/tokenizers/llama3`, from `scripts/fetch_fixtures.py`), stored in bf16
   (`meow.modeling.families.random_model`).
2. `benchmark`: `meow benchmark make` with 200 authors x 20 questions (forget10 = 400 questions), 100 real-author
   and 100 world-fact questions; `invert`: 4 inverted answers per forget question (rules backend, offline).
3. `memo`: MEMO (suffix, stride 5) of 400 questions x 5 candidates (the answer and its 4 inverted answers),
   batched (`meow.memo.score_records`); `memo_plain`: the one-window-at-a-time loop (`bench_memo.one_at_a_time`,
   each window alone through `model.generate`) on the first 10 questions, and the batched run on the same 10
   questions: speed ratio and the largest score difference (should be 0).
4. `unlearn_meow_gd_full`, `unlearn_meow_gd_lora`, `unlearn_npo_cached`, `unlearn_npo_model`: `--max-steps` steps
   each; NPO with reference log-probs cached before training vs a kept reference model, peak GPU memory ratio.
5. `eval`: `meow eval` on every split (forget10, retain, real authors, world facts, holdout10) of the MEOW model.

A random model never emits EOS, so every generation runs to its limit: MEMO and eval generate `--max-new-tokens`
(default 32, about a TOFU answer; the MEMO reference uses 200, which a trained model rarely reaches). Tokens per
second count tokens through the model: MEMO and eval generated tokens (windows x limit) plus scored tokens; training
steps x rows x mean row length. Peak memory is `torch.cuda.max_memory_allocated` per stage on a GPU; on CPU the
process's peak RSS so far (it only grows). Prints one line per stage and a summary, and writes everything as JSON
(`under_8_minutes` says whether the stages together stayed within the budget).

To run it on a GPU machine: the repository with a CUDA build of torch and `pip install -e .`, the Llama-3 tokenizer
(`python scripts/fetch_fixtures.py`, or copy `.fixtures/tokenizers/llama3` and pass `--tokenizer`), then
`python bench/gpu_check.py --out gpu_check.json`. It needs about 30 GB of GPU memory (full fine-tuning of 1.2B
parameters with fp32 master weights and AdamW, plus the kept NPO reference).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LLAMA32_1B = {"hidden_size": 2048, "layers": 16, "heads": 32, "kv_heads": 8, "intermediate_size": 8192,
              "max_positions": 2048, "tied": True}
TINY = {"hidden_size": 32, "layers": 2, "heads": 4, "kv_heads": 2, "intermediate_size": 64, "max_positions": 512}
FULL_DATA = {"authors": 200, "qa_per_author": 20, "background": 100}
TINY_DATA = {"authors": 10, "qa_per_author": 2, "background": 2}


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="gpu_check", description=__doc__.splitlines()[0])
    p.add_argument("--tiny", action="store_true", help="tiny model and data on CPU (a smoke test of this script)")
    p.add_argument("--model", default=None, help="a real model folder (e.g. `meow model get smollm2-135m-instruct`) "
                   "instead of the random Llama-3.2-1B-shaped one; stage `build` becomes `load`")
    p.add_argument("--tokenizer", default=str(ROOT / ".fixtures" / "tokenizers" / "llama3"),
                   help="Llama-3 tokenizer folder (tokenizer.json + tokenizer_config.json)")
    p.add_argument("--work", default=None, help="folder for the model, data and outputs (default: a temp folder)")
    p.add_argument("--out", default=None, help="write the results as JSON to this file")
    p.add_argument("--device", default=None, help="default: cuda when available, else cpu")
    p.add_argument("--max-new-tokens", type=int, default=None, help="MEMO and eval generation limit (32; tiny 4)")
    p.add_argument("--memo-batch-size", type=int, default=256, help="MEMO windows per generation batch")
    p.add_argument("--plain-questions", type=int, default=10, help="questions for the one-at-a-time MEMO loop")
    p.add_argument("--max-steps", type=int, default=None, help="optimizer steps per unlearning run (10; tiny 1)")
    p.add_argument("--batch-size", type=int, default=4, help="unlearning rows per step (x grad-accum 4)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--gpus", type=int, default=None, help="multi-GPU mode (bench/gpu_multi.py): unlearning with FSDP "
                   "and ZeRO-3 on N processes, peak memory per device and meow plan's estimate (CPU: with --tiny)")
    return p.parse_args(argv)


class Stages:
    """Times stages and records seconds, tokens/s and peak memory for each."""

    def __init__(self, device: str):
        self.device, self.rows = device, {}

    def run(self, name: str, fn: Callable[[], Any], tokens: Callable[[Any], int] | None = None) -> Any:
        import torch

        gc.collect()
        cuda = self.device.startswith("cuda")
        if cuda:
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()
            torch.cuda.synchronize()
        start = time.perf_counter()
        out = fn()
        if cuda:
            torch.cuda.synchronize()
        seconds = time.perf_counter() - start
        n = tokens(out) if tokens else 0
        row = {"seconds": round(seconds, 3), "tokens": n, "tokens_per_s": round(n / seconds, 1) if n else None,
               "peak_memory_mb": round(torch.cuda.max_memory_allocated() / 2**20 if cuda else
                                       resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
        self.rows[name] = row
        tps = f"{row['tokens_per_s']:>10.0f} tok/s" if row["tokens_per_s"] else " " * 16
        print(f"  {name:<22} {seconds:8.1f} s {tps}   peak {row['peak_memory_mb']:>9.0f} MiB", flush=True)
        return out


def mean_row_tokens(tokenizer: Any, records: list[dict]) -> float:
    lengths = [len(tokenizer(f"{r['question']} {r['answer']}")["input_ids"]) for r in records]
    return sum(lengths) / max(1, len(lengths))


def memo_tokens(lm: Any, records: list[dict], stride: int, max_new_tokens: int) -> int:
    """Prompt tokens of every window plus the generation limit per window."""
    from meow.memo.memo import window_prompt, windows

    n = 0
    for r in records:
        for a in [r["answer"], *r["inverted_answers"]]:
            for head, _ in windows(r["question"], a, "suffix", stride):
                n += len(lm.tokenizer(window_prompt(lm, r["question"], head, "suffix"))["input_ids"]) + max_new_tokens
    return n


def eval_tokens(folder: Path, max_new_tokens: int) -> int:
    """Answer tokens scored (answer, paraphrase, perturbed) plus generated tokens, from eval.json."""
    result = json.loads((folder / "eval.json").read_text())
    n = 0
    for block in result["splits"].values():
        for r in block["records"]:
            n += r.get("n_tokens", 0) * (2 + len(r.get("nll_perturbed", []))) + (
                max_new_tokens if "generation" in r else 0)
    return n


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    import torch

    sys.path.insert(0, str(HERE))
    from bench_memo import one_at_a_time

    from meow.benchmark import make_benchmark
    from meow.cli import main as meow
    from meow.data import load_records
    from meow.io import write_records
    from meow.memo import score_records
    from meow.modeling import load_lm
    from meow.modeling.families import Shape, parameter_count, random_model
    from meow.unlearn import resolve_configs, unlearn

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    max_new = args.max_new_tokens or (4 if args.tiny else 32)
    steps = args.max_steps or (1 if args.tiny else 10)
    stride = 5
    st = Stages(device)
    shape = args.model or ("tiny" if args.tiny else "Llama-3.2-1B shape")
    print(f"gpu_check on {device} ({torch.cuda.get_device_name() if device.startswith('cuda') else 'CPU'}), "
          f"{shape}; work folder {work}", flush=True)

    model_dir = Path(args.model) if args.model else work / "model"
    if args.model:  # a real model: its load time is the first stage
        st.run("load", lambda: load_lm(model_dir, dtype="bfloat16", device=device))
    else:
        st.run("build", lambda: random_model("llama", args.tokenizer, model_dir,
                                             Shape(**(TINY if args.tiny else LLAMA32_1B)), args.seed, "bfloat16",
                                             device=device))
    data = work / "data"
    st.run("benchmark", lambda: make_benchmark(data, seed=args.seed, **(TINY_DATA if args.tiny else FULL_DATA)))
    inverted = work / "forget10_inverted.json"
    st.run("invert", lambda: meow(["invert", "--backend", "rules", "--forget", str(data), "--forget-split", "forget10",
                                   "--out", str(inverted), "--n", "4", "--no-progress"]))

    if args.gpus:  # multi-GPU mode: the launched unlearning runs only
        from gpu_multi import run_multi

        precision = "bf16" if device.startswith("cuda") else "fp32"
        multi = run_multi(args.gpus, work, model_dir, data, inverted, steps, args.batch_size, precision)
        return {"name": "gpu_check_multi", "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "tiny": args.tiny,
                "unlearn_steps": steps, "batch_size": args.batch_size, "precision": precision, "stages": st.rows,
                **multi}
    lm = load_lm(model_dir, dtype="bfloat16", device=device)
    params = parameter_count(lm.model)
    records = load_records(inverted)
    opts = {"metric": "memo", "mode": "suffix", "stride": stride, "max_new_tokens": max_new,
            "batch_size": args.memo_batch_size, "progress": False}
    scored = st.run("memo", lambda: score_records(lm, records, **opts),
                    lambda _: memo_tokens(lm, records, stride, max_new))
    memo_file = work / "forget10_memo.json"
    write_records(memo_file, scored)
    first = records[:args.plain_questions]
    batched10 = st.run("memo_batched_first", lambda: score_records(lm, first, **opts),
                       lambda _: memo_tokens(lm, first, stride, max_new))
    plain10 = st.run("memo_plain_first", lambda: one_at_a_time(lm, first, stride, max_new),
                     lambda _: memo_tokens(lm, first, stride, max_new))
    got = [[r["memo"]["answer"], *r["memo"]["inverted_answers"]] for r in batched10]
    diff = max(abs(a - b) for x, y in zip(got, plain10) for a, b in zip(x, y))
    full = [[r["memo"]["answer"], *r["memo"]["inverted_answers"]] for r in scored[:len(first)]]
    diff_full = max(abs(a - b) for x, y in zip(full, plain10) for a, b in zip(x, y))
    tokenizer = lm.tokenizer
    lm = None  # free the model before unlearning loads its own copies
    gc.collect()

    row_tokens = mean_row_tokens(tokenizer, records)
    retain = str(data / "retain90.json")
    precision = "bf16" if device.startswith("cuda") or args.tiny else "fp32"
    common = {"max_steps": steps, "batch_size": args.batch_size, "grad_accum": 4, "warmup_epochs": 0,
              "precision": precision, "seed": args.seed, "logging_steps": steps, "memo_max_new_tokens": max_new}
    runs = {
        "unlearn_meow_gd_full": {"method": "meow_gd"},
        "unlearn_meow_gd_lora": {"method": "meow_gd", "lora_r": 16, "lora_alpha": 32},
        "unlearn_npo_cached": {"method": "npo", "ref_mode": "cached"},
        "unlearn_npo_model": {"method": "npo", "ref_mode": "model"},
    }
    summaries = {}
    for name, extra in runs.items():
        cfg, method = resolve_configs(None, {**common, **extra})
        forget = str(memo_file if extra["method"] == "meow_gd" else inverted)
        out = work / name
        rows = steps * args.batch_size * 4 * (2 if extra["method"] == "meow_gd" else 1)  # meow_gd: + retain rows
        summaries[name] = st.run(name, lambda cfg=cfg, method=method, forget=forget, out=out: unlearn(
            str(model_dir), forget, str(out), cfg, method, retain=retain, force=True), lambda _, n=rows: int(n * row_tokens))
        gc.collect()

    ev = work / "eval"
    st.run("eval", lambda: meow(["eval", "--model", str(work / "unlearn_meow_gd_full"), "--data", str(data),
                                 "--out", str(ev), "--dtype", "bfloat16", "--device", device,
                                 "--max-new-tokens", str(max_new), "--batch-size", "64"]),
           lambda _: eval_tokens(ev, max_new))
    rows, cuda = st.rows, device.startswith("cuda")
    result = {
        "name": "gpu_check", "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "device": device,
        "device_name": torch.cuda.get_device_name() if device.startswith("cuda") else "cpu",
        "tiny": args.tiny, "model": args.model or "random", "parameters": params, "vocab_size": len(tokenizer),
        "forget_questions": len(records), "candidates_per_question": 1 + len(records[0]["inverted_answers"]),
        "max_new_tokens": max_new, "unlearn_steps": steps, "precision": precision,
        "memo_plain_questions": len(first),
        "memo_speedup_same_questions": rows["memo_plain_first"]["seconds"] / rows["memo_batched_first"]["seconds"],
        "memo_max_abs_score_diff": diff, "memo_max_abs_score_diff_vs_full_run": diff_full,
        "memory_measure": "torch.cuda.max_memory_allocated per stage" if cuda else "peak RSS of the process so far",
        "npo_cached_vs_model_peak_memory_ratio": (rows["unlearn_npo_cached"]["peak_memory_mb"]
                                                  / rows["unlearn_npo_model"]["peak_memory_mb"]) if cuda else None,
        "total_seconds": round(sum(r["seconds"] for r in rows.values()), 1),
        "under_8_minutes": sum(r["seconds"] for r in rows.values()) < 480,
        "stages": rows,
        "unlearn_losses": {k: v["train_loss"] for k, v in summaries.items()},
        "versions": {m: __import__(m).__version__ for m in ("torch", "transformers", "peft")},
    }
    print(f"gpu_check: {params / 1e6:.0f}M parameters, {result['total_seconds']:.0f} s in all; MEMO batched "
          f"{result['memo_speedup_same_questions']:.1f}x faster than one window at a time on {len(first)} questions "
          f"(max |score diff| {diff:.3g}); NPO cached/kept-reference peak GPU memory "
          + (f"{result['npo_cached_vs_model_peak_memory_ratio']:.2f}" if cuda else "n/a on CPU"))
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    import tempfile

    args = parse(argv)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if not args.model and not (Path(args.tokenizer) / "tokenizer.json").is_file():
        raise SystemExit(f"gpu_check: {args.tokenizer}: no tokenizer.json; run `python scripts/fetch_fixtures.py` "
                         "or pass --tokenizer DIR")
    if args.work:
        Path(args.work).mkdir(parents=True, exist_ok=True)
        result = run(args, Path(args.work))
    else:
        with tempfile.TemporaryDirectory(prefix="gpu_check_") as tmp:
            result = run(args, Path(tmp))
    if args.out:
        from meow.io import write_json

        write_json(Path(args.out), result)
    return result


if __name__ == "__main__":
    main()
