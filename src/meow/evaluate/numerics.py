"""Non-finite values in evaluation outputs: a collapsed model (gradient ascent run too long, NaN weights) gives
NaN or infinite log-probabilities. Every such value is written as null with a reason, never as a bare NaN /
Infinity (eval.json and summary.json are strict JSON)."""

from __future__ import annotations

import math
from typing import Any


def is_bad(x: Any) -> bool:
    return isinstance(x, float) and not math.isfinite(x)


def json_safe(obj: Any) -> tuple[Any, bool]:
    """(obj with every NaN / +-inf float replaced by None, whether any was)."""
    if isinstance(obj, float):
        return (None, True) if not math.isfinite(obj) else (obj, False)
    if isinstance(obj, dict):
        out, bad = {}, False
        for k, v in obj.items():
            out[k], b = json_safe(v)
            bad |= b
        return out, bad
    if isinstance(obj, (list, tuple)):
        items = [json_safe(v) for v in obj]
        return [v for v, _ in items], any(b for _, b in items)
    return obj, False


def describe_bad(value: Any) -> str:
    """'nan' / 'inf' / '-inf' of the first non-finite float inside value."""
    if isinstance(value, float):
        return repr(value)
    items = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else []
    for v in items:
        if is_bad(v) or isinstance(v, (dict, list, tuple)):
            d = describe_bad(v)
            if d:
                return d
    return ""


def nonfinite_reason(value: Any) -> str:
    """Why a value was written as null: NaN (the model's log-probabilities are NaN) or overflow (+-inf)."""
    kind = describe_bad(value)
    if kind == "nan":
        return "not finite (nan): the model's log-probabilities are NaN (a broken or collapsed model)"
    return f"not finite ({kind}): overflows a float (a collapsed model's extreme log-probabilities)"


def unavailable_counts(splits: dict[str, Any]) -> dict[str, str]:
    """{"split/metric": "k of n questions: reason"} over the records' `unavailable` entries."""
    out: dict[str, str] = {}
    for split, block in splits.items():
        records = block.get("records", [])
        counts: dict[str, tuple[int, str]] = {}
        for r in records:
            for name, why in (r.get("unavailable") or {}).items():
                n, first = counts.get(name, (0, why))
                counts[name] = (n + 1, first)
        for name, (n, why) in counts.items():
            out[f"{split}/{name}"] = f"{n} of {len(records)} questions: {why}"
    return out
