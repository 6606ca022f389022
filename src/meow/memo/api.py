"""Score records: the original answer and every inverted answer of each, all pairs in one batched metric call.

    rec["memo"] = {"metric": "memo", "mode": "suffix", "stride": 5, "max_new_tokens": 200,
                   "answer": 0.81, "inverted_answers": [0.12, 0.40, ...]}

Every other field of a record is kept as it was.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from meow import __version__
from meow.config import validate_config
from meow.errors import MeowError, where
from meow.memo.metrics import MEMO_METRICS, MemoConfig

if TYPE_CHECKING:
    from meow.modeling import LM

TARGETS = ("answer", "inverted_answers")


def memo_scores(lm: LM, questions: list[str], answers: list[str], metric: str = "memo", mode: str = "suffix",
                stride: int = 5, max_new_tokens: int = 200, batch_size: int = 64, progress: bool = False) -> list[float]:
    """One score per (question, answer) pair; higher = more memorised."""
    if len(questions) != len(answers):
        raise ValueError(f"{len(questions)} questions but {len(answers)} answers")
    cfg = validate_config(MemoConfig(metric, mode, stride, max_new_tokens, batch_size))
    return MEMO_METRICS.get(metric)(lm, questions, answers, cfg, progress=progress)


def check_targets(records: list[dict], targets: tuple[str, ...] = TARGETS, source: object = "records") -> None:
    """One-line error for the first record that lacks a field to score."""
    unknown = set(targets) - set(TARGETS)
    if unknown:
        raise ValueError(f"unknown targets {sorted(unknown)}; choose from {TARGETS}")
    for i, rec in enumerate(records):
        if "inverted_answers" in targets and "inverted_answers" not in rec:
            raise MeowError(f"{where(source, i, 'inverted_answers')}: missing; run `meow invert` first to write "
                            "inverted answers")


def score_records(lm: LM, records: list[dict], metric: str = "memo", mode: str = "suffix", stride: int = 5,
                  max_new_tokens: int = 200, batch_size: int = 64, targets: tuple[str, ...] = TARGETS,
                  progress: bool = True, source: object = "records") -> list[dict]:
    """New records with `memo` attached (the fields in `targets` scored, other fields unchanged).

    Passage records (`text`, see meow.data.text) are scored by MEMO in prefix mode over the passage itself:
    the passage and each inverted passage is continued from its first 1, 1+s, ... characters.
    """
    from meow.data.text import is_text

    check_targets(records, targets, source)
    text = is_text(records)
    if text:
        if metric != "memo":
            raise MeowError(f"{source}: passages are scored by MEMO (prefix mode over the passage); metric "
                            f"{metric!r} needs QA records")
        mode = "prefix"
    candidates = [_candidates(rec, targets) for rec in records]
    questions = [a if text else rec["question"] for rec, cands in zip(records, candidates) for a in cands]
    answers = ["" if text else a for cands in candidates for a in cands]
    scores = iter(memo_scores(lm, questions, answers, metric, mode, stride, max_new_tokens, batch_size, progress))
    options = {"metric": metric, "mode": mode, "stride": stride, "max_new_tokens": max_new_tokens}  # kept per record
    if text:
        options["target"] = "passage"
    out = []
    for rec in records:
        memo: dict[str, Any] = dict(options)
        if "answer" in targets:
            memo["answer"] = _finite(next(scores))
        if "inverted_answers" in targets:
            memo["inverted_answers"] = [_finite(next(scores)) for _ in rec["inverted_answers"]]
        if memo.get("answer", 0.0) is None or None in memo.get("inverted_answers", []):
            memo["unavailable"] = "not finite: the model's log-probabilities are NaN (a broken or collapsed model)"
        out.append({**rec, "memo": memo})
    return out


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _candidates(rec: dict, targets: tuple[str, ...]) -> list[str]:
    main = rec["text"] if "question" not in rec and "text" in rec else rec["answer"]  # a passage, or a QA answer
    return ([main] if "answer" in targets else []) + (
        list(rec["inverted_answers"]) if "inverted_answers" in targets else [])


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def summarise(records: list[dict]) -> dict[str, Any]:
    """Mean score of the original answers vs the inverted answers (pooled), and how often the original wins."""
    original = [r["memo"]["answer"] for r in records if r["memo"]["answer"] is not None]
    inverted = [s for r in records for s in r["memo"]["inverted_answers"] if s is not None]
    paired = [r["memo"] for r in records if r["memo"]["inverted_answers"] and r["memo"]["answer"] is not None
              and None not in r["memo"]["inverted_answers"]]
    wins = [m["answer"] > sum(m["inverted_answers"]) / len(m["inverted_answers"]) for m in paired]
    out = {
        "records": len(records),
        "answer": {"count": len(original), "mean": _mean(original)},
        "inverted_answers": {"count": len(inverted), "mean": _mean(inverted)},
        "answer_above_inverted_mean": _mean([float(w) for w in wins]),
    }
    lacking = sum(1 for r in records if r["memo"].get("unavailable"))
    if lacking:
        out["unavailable"] = f"{lacking} of {len(records)} records: {next(r['memo']['unavailable'] for r in records if r['memo'].get('unavailable'))}"
    return out


def summary_path(out: str | Path) -> Path:
    """`scored.json` -> `scored.summary.json`."""
    out = Path(out)
    return out.with_name(f"{out.stem}.summary.json")


def run_memo(model: str, data: str, out: str, split: str | None = None, cfg: MemoConfig | None = None,
             dtype: str = "auto", device: str | None = None, force: bool = False,
             prompt_format: Any = None) -> dict[str, Any]:
    """`meow memo`: load, score, write OUT (records) and OUT.summary.json (means and the options used).

    An existing OUT is replaced only with `force` (meow.io.prepare_output). `prompt_format`: a `PromptFormat`
    that overrides the model folder's (None: meow.json, else guessed)."""
    from meow.config import check_device
    from meow.data import load_records, split_path
    from meow.io import prepare_output, write_json, write_records
    from meow.modeling import load_lm

    source = Path(data) if split is None else (split_path(data, split) or Path(data))
    prepare_output(out, kind="file", force=force, inputs=[model, data, source], also=[summary_path(out)])
    cfg = validate_config(cfg or MemoConfig())
    check_device(device)
    records = load_records(data, split, text=True)  # QA records or passages
    check_targets(records, TARGETS, source)  # before loading the model: fail fast
    from meow.data.text import is_text

    if is_text(records):  # passages: MEMO in prefix mode over the passage (score_records)
        cfg = validate_config(MemoConfig(cfg.metric, "prefix", cfg.stride, cfg.max_new_tokens, cfg.batch_size))
    lm = load_lm(model, dtype=dtype, device=device, fmt=prompt_format)
    start = time.time()
    scored = score_records(lm, records, cfg.metric, cfg.mode, cfg.stride, cfg.max_new_tokens, cfg.batch_size,
                           source=source)
    seconds = time.time() - start
    write_records(out, scored)
    summary = {"metric": cfg.metric, **summarise(scored), "options": asdict(cfg), "model": str(model),
               "data": str(source), "out": str(out), "seconds": round(seconds, 2), "meow_version": __version__}
    write_json(summary_path(out), summary)
    return summary
