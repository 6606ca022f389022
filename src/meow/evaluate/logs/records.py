"""Per-question meow records from per-question losses (the reference tools' logs)."""

from __future__ import annotations

import math
from typing import Any

from meow.errors import MeowError
from meow.evaluate.base import OPTION_SPLITS
from meow.evaluate.numerics import json_safe
from meow.evaluate.tofu import log_truth_ratio, option_probability, probability, safe_exp


def number(x: Any) -> float | None:
    """A float from a log value (None for null, strings, booleans)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    return float(x)


def numbers(x: Any) -> list[float] | None:
    if not isinstance(x, list) or not x:
        return None
    vals = [number(v) for v in x]
    return None if any(v is None for v in vals) else vals  # type: ignore[return-value]


def loss_record(split: str, index: Any, nll_answer: float | None, nll_paraphrased: float | None,
                nll_perturbed: list[float] | None, **extra: Any) -> dict[str, Any]:
    """A record with probability and truth ratio derived as meow's metrics do (values given in `extra`, e.g. the
    log's own per-question probability or truth ratio, win over the derived ones)."""
    rec: dict[str, Any] = {"index": index}
    if nll_answer is not None:
        rec["nll_answer"] = nll_answer
    if nll_paraphrased is not None:
        rec["nll_paraphrased"] = nll_paraphrased
    if nll_perturbed is not None:
        rec["nll_perturbed"] = nll_perturbed
    if nll_answer is not None:
        if split in OPTION_SPLITS:
            if nll_perturbed is not None:
                rec["probability"] = option_probability(nll_answer, nll_perturbed)
        else:
            rec["probability"] = probability(nll_answer)
    if nll_paraphrased is not None and nll_perturbed is not None:
        rec["log_truth_ratio"] = log_truth_ratio(nll_paraphrased, nll_perturbed)
        rec["truth_ratio"] = safe_exp(rec["log_truth_ratio"])
    for k, v in extra.items():
        if v is not None:
            rec[k] = v
    tr = number(extra.get("truth_ratio"))
    if tr is not None:  # the log's own R: its log, so aggregates and KS use exactly it
        rec["log_truth_ratio"] = math.log(tr) if tr > 0 else float("-inf")
    rec, bad = json_safe(rec)
    if bad:
        rec["unavailable"] = {"log": "non-finite values in the log were dropped"}
    return rec


def sort_key(index: Any) -> tuple[int, Any]:
    try:
        return 0, int(index)
    except (TypeError, ValueError):
        return 1, str(index)


def require_records(data: dict[str, Any], source: object) -> dict[str, Any]:
    """eval.json content that holds at least one per-question record (else nothing could be summarised)."""
    if not any(isinstance(b, dict) and b.get("records") for b in data.get("splits", {}).values()):
        raise MeowError(f"{source}: holds no per-question records in any split, so there is nothing to summarise")
    return data
