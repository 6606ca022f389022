"""Open-ended generation quality (MEOW's NLG check): continue texts from their first tokens; BLEU, Rep-3, MAUVE.

    from meow.evaluate.nlg import NLGConfig, load_texts, run_nlg, write_nlg
    result = run_nlg(lm, load_texts("news.jsonl"), NLGConfig(prefix_tokens=32, max_new_tokens=64))
    result["nlg"]["bleu"]["value"]

Each text is cut after its first `prefix_tokens` tokens (the model's tokenizer, no special tokens); the model
greedily continues the prefix as raw text (no question/answer format: this is language modelling) for up to
`max_new_tokens` tokens; the reference is the text's true continuation over the same token budget
(tokens prefix_tokens .. prefix_tokens + max_new_tokens). Texts with no tokens after the prefix are skipped (listed).

- BLEU: sacrebleu's corpus BLEU (0-100, default 13a tokenisation) of the continuations against the references.
- Rep-3 = 1 - unique word trigrams / all word trigrams of each continuation (`meow.evaluate.fluency.rep_n`, shared
  with `meow eval`'s fluency), averaged over continuations with at least 3 words; also given for the references.
- MAUVE (Pillutla et al., 2021; the `mauve-text` package, optional extra `mauve`): the continuations vs the
  references, each featurised as the featurizer model's last-layer hidden state at its last token (MAUVE's own
  featurisation, here for any causal LM folder or hub id, e.g. gpt2-large); empty texts are left out.

Output folder (`write_nlg`):

    nlg.json          {"format": 1, "model": ..., "texts": "file", "n": 500, "skipped": 3,
                       "bleu": {"value": 12.3, "signature": "nrefs:1|case:mixed|...", "description": ...},
                       "rep3": {"value": 0.05, "n": 497, "description": ...}, "rep3_reference": {...},
                       "mauve": {"value": 0.91 or null, "reason": null or why, "featurizer": ..., "n_model": ...,
                                 "n_reference": ..., "scaling_factor": 5.0}, "options": {NLGConfig}}
    generations.jsonl {"index": i, "prefix": ..., "reference": ..., "generation": ..., "rep3": ... or null}
    config.json       the command's options and package versions
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from meow.errors import MeowError, where
from meow.evaluate.base import mean
from meow.evaluate.fluency import rep_n, words
from meow.io import write_json, write_jsonl
from meow.registry import Registry, Shown

if TYPE_CHECKING:
    import numpy as np

    from meow.modeling import LM

FORMAT = 1

# the numbers of nlg.json, registered with their direction and report column (entry = what the number is)
NLG_METRICS: Registry[str] = Registry("NLG metric")
NLG_METRICS.register("bleu", Shown("nlg_bleu", "BLEU", "higher", "corpus BLEU (0-100) of continuations of held-out "
                                   "texts", "nlg/<name>/summary.json or nlg.json: bleu.value", order=180,
                                   table="nlg", digits=2))("corpus BLEU")
NLG_METRICS.register("rep3", Shown("nlg_rep3", "Rep-3", "lower", "share of repeated word trigrams in the "
                                   "continuations", "nlg/<name>/summary.json or nlg.json: rep3.value", order=190,
                                   table="nlg"))("repeated word trigrams")
NLG_METRICS.register("mauve", Shown("nlg_mauve", "MAUVE", "higher", "MAUVE of the continuations against the true "
                                    "continuations", "nlg/<name>/summary.json or nlg.json: mauve.value", order=200,
                                    table="nlg"))("MAUVE")
MAUVE_MISSING = "mauve-text is not installed; install the `mauve` extra: pip install 'meow[mauve]' (or mauve-text)"


@dataclass
class NLGConfig:
    """Options of `meow eval-nlg` (saved next to the results)."""

    prefix_tokens: int = field(default=32, metadata={"help": "tokens of each text given to the model", "ge": 1})
    max_new_tokens: int = field(default=64, metadata={"help": "continuation length (and reference length)", "ge": 1})
    batch_size: int = field(default=32, metadata={"help": "rows per forward pass", "ge": 1})
    mauve_scaling_factor: float = field(default=5.0, metadata={"help": "MAUVE's constant c", "gt": 0})
    mauve_max_tokens: int = field(default=1024, metadata={"help": "featurizer input length limit", "ge": 1})
    seed: int = field(default=25, metadata={"help": "MAUVE's k-means seed", "ge": 0})


# ---------------------------------------------------------------- input

def load_texts(path: str | Path) -> list[str]:
    """Texts from a .txt file (one per non-empty line) or JSON / JSON Lines (strings or objects with `text`)."""
    from meow.data.records import parse_text
    from meow.schema import read_text_file

    p = Path(path)
    if not p.is_file():
        raise MeowError(f"{path}: file not found")
    raw = read_text_file(p)
    if p.suffix == ".txt":
        texts = [line.strip() for line in raw.splitlines() if line.strip()]
    else:
        texts = []
        for i, item in enumerate(parse_text(p, raw)):
            text = item.get("text") if isinstance(item, dict) else item
            if not isinstance(text, str):
                field_name = "text" if isinstance(item, dict) else None
                got = "missing" if isinstance(item, dict) and "text" not in item else type(text).__name__
                raise MeowError(f"{where(p, i, field_name)}: expected a string or an object with a string 'text' "
                                f"field, got {got}")
            texts.append(text)
    if not texts:
        raise MeowError(f"{path}: holds no texts")
    return texts


def raw_view(lm: LM) -> LM:
    """The same model with the `plain` format's token handling: raw text gets the tokenizer's BOS."""
    from meow.modeling import PromptFormat

    return dataclasses.replace(lm, fmt=PromptFormat("plain"))


def split_texts(tokenizer: Any, texts: list[str], prefix_tokens: int, max_new_tokens: int
                ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(rows {index, prefix, reference} for texts longer than the prefix, skipped {index, reason})."""
    rows, skipped = [], []
    for i, text in enumerate(texts):
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        if len(ids) <= prefix_tokens:
            skipped.append({"index": i, "reason": f"{len(ids)} tokens, no continuation after {prefix_tokens}"})
            continue
        rows.append({"index": i, "prefix": tokenizer.decode(ids[:prefix_tokens]),
                     "reference": tokenizer.decode(ids[prefix_tokens:prefix_tokens + max_new_tokens]).strip()})
    return rows, skipped


# ---------------------------------------------------------------- metrics

def corpus_bleu(generations: list[str], references: list[str]) -> dict[str, Any]:
    """sacrebleu corpus BLEU (one reference per text) and its signature."""
    from sacrebleu.metrics import BLEU

    bleu = BLEU()
    return {"value": float(bleu.corpus_score(generations, [references]).score),
            "signature": str(bleu.get_signature()),
            "description": "sacrebleu corpus BLEU (0-100) of the continuations against the true continuations"}


def rep3(text: str) -> float | None:
    """1 - unique word trigrams / all word trigrams (None under 3 words)."""
    return rep_n(words(text), 3)


def featurize(lm: LM, texts: list[str], max_tokens: int = 1024, batch_size: int = 32) -> np.ndarray:
    """MAUVE features: the last layer's hidden state at each text's last token, [n, d] float32."""
    import numpy as np
    import torch

    from meow.modeling import collate

    tok = lm.tokenizer
    encs = [tok(t, add_special_tokens=True)["input_ids"][:max_tokens] for t in texts]
    out = np.zeros((len(texts), lm.model.config.hidden_size), dtype=np.float32)
    with torch.no_grad():
        for start in range(0, len(encs), batch_size):
            chunk = encs[start:start + batch_size]
            batch = collate([{"input_ids": e} for e in chunk], tok.pad_token_id)
            hidden = lm.model(input_ids=batch["input_ids"].to(lm.device),
                              attention_mask=batch["attention_mask"].to(lm.device),
                              output_hidden_states=True).hidden_states[-1]
            last = torch.tensor([len(e) - 1 for e in chunk], device=hidden.device)
            out[start:start + len(chunk)] = hidden[torch.arange(len(chunk), device=hidden.device), last].float().cpu()
    return out


def require_mauve() -> Any:
    """The mauve package (mauve-text), or a one-line MeowError saying how to install it."""
    try:
        import mauve
    except ImportError:
        raise MeowError(MAUVE_MISSING) from None
    return mauve


def mauve_score(p_features: np.ndarray, q_features: np.ndarray, scaling_factor: float = 5.0, seed: int = 25
                ) -> float:
    """MAUVE of two feature sets (mauve.compute_mauve with its defaults otherwise)."""
    mauve = require_mauve()
    return float(mauve.compute_mauve(p_features=p_features, q_features=q_features,
                                     mauve_scaling_factor=scaling_factor, seed=seed, verbose=False).mauve)


def mauve_entry(featurizer: LM, generations: list[str], references: list[str], cfg: NLGConfig) -> dict[str, Any]:
    """MAUVE of the non-empty continuations (p) against the non-empty references (q)."""
    gens, refs = [g for g in generations if g.strip()], [r for r in references if r.strip()]
    entry: dict[str, Any] = {"featurizer": featurizer.path, "n_model": len(gens), "n_reference": len(refs),
                             "scaling_factor": cfg.mauve_scaling_factor,
                             "description": "MAUVE of the continuations against the true continuations"}
    if len(gens) < 2 or len(refs) < 2:
        return {"value": None, "reason": "MAUVE needs at least 2 non-empty texts on each side", **entry}
    p = featurize(featurizer, gens, cfg.mauve_max_tokens, cfg.batch_size)
    q = featurize(featurizer, refs, cfg.mauve_max_tokens, cfg.batch_size)
    return {"value": mauve_score(p, q, cfg.mauve_scaling_factor, cfg.seed), "reason": None, **entry}


# ---------------------------------------------------------------- run

def run_nlg(lm: LM, texts: list[str], cfg: NLGConfig | None = None, featurizer: LM | None = None,
            source: str | None = None, progress: bool = True) -> dict[str, Any]:
    """Continue every text; returns {"nlg": nlg.json content, "rows": per-text rows}."""
    from meow.config import validate_config
    from meow.modeling import generate

    cfg = validate_config(cfg or NLGConfig())
    rows, skipped = split_texts(lm.tokenizer, texts, cfg.prefix_tokens, cfg.max_new_tokens)
    if not rows:
        raise MeowError(f"{source or 'texts'}: no text is longer than --prefix-tokens {cfg.prefix_tokens} tokens")
    gens = generate(raw_view(lm), [r["prefix"] for r in rows], cfg.max_new_tokens, cfg.batch_size,
                    desc="continuing texts" if progress else None)
    for r, g in zip(rows, gens):
        r["generation"] = g
        r["rep3"] = rep3(g)
    refs = [r["reference"] for r in rows]
    rep_ref = [rep3(x) for x in refs]
    nlg: dict[str, Any] = {
        "format": FORMAT, "model": lm.path, "texts": source, "n": len(rows), "skipped": len(skipped),
        "bleu": corpus_bleu(gens, refs),
        "rep3": {"value": mean([r["rep3"] for r in rows]), "n": sum(r["rep3"] is not None for r in rows),
                 "description": "mean Rep-3 (1 - unique word trigrams / all word trigrams) of the continuations "
                                "with at least 3 words"},
        "rep3_reference": {"value": mean(rep_ref), "n": sum(x is not None for x in rep_ref),
                           "description": "Rep-3 of the true continuations (a human baseline)"},
        "mauve": (mauve_entry(featurizer, gens, refs, cfg) if featurizer is not None else
                  {"value": None, "reason": "no featurizer model (--mauve-featurizer PATH)"}),
        "options": asdict(cfg), "skipped_texts": skipped,
    }
    return {"nlg": nlg, "rows": rows}


def write_nlg(out_dir: str | Path, result: dict[str, Any], config: dict[str, Any] | None = None) -> Path:
    """nlg.json, generations.jsonl and (if given) config.json, atomically."""
    out = Path(out_dir)
    write_json(out / "nlg.json", result["nlg"])
    write_jsonl(out / "generations.jsonl", result["rows"])
    if config is not None:
        write_json(out / "config.json", config)
    return out


def nlg_table(nlg: dict[str, Any]) -> Any:
    from rich.table import Table

    t = Table(title=f"meow eval-nlg: {nlg.get('model') or 'model'} ({nlg['n']} texts, {nlg['skipped']} skipped)",
              show_header=False)
    t.add_column("metric", style="bold")
    t.add_column("value", justify="right")
    t.add_row("BLEU", f"{nlg['bleu']['value']:.2f}")
    for key, label in (("rep3", "Rep-3"), ("rep3_reference", "Rep-3 (references)")):
        v = nlg[key]["value"]
        t.add_row(label, "-" if v is None else f"{v:.4f}")
    m = nlg["mauve"]
    t.add_row("MAUVE", f"{m['value']:.4f}" if m.get("value") is not None else f"n/a ({m.get('reason')})")
    return t
