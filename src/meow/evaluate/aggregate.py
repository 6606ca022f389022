"""summary.json content from eval.json content: every registered metric aggregated per split (`split_summary`),
the run-level summaries (`SUMMARIES`: model utility, forget quality, MIA AUC, PrivLeak, ...) and `load_eval`, which
reads an evaluation folder and recomputes its summary when summary.json is missing. Paths given as evaluations may
also be other tools' logs (`meow.evaluate.logs.read_eval_logs`). The layout: `meow.evaluate.results`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from meow.evaluate import known_facts, numerics, tofu
from meow.evaluate.base import METRICS, SUMMARIES, finite
from meow.evaluate.logs import read_eval_logs
from meow.evaluate.results import EvalResult, read_eval_data, summary_schema
from meow.io import read_json_file
from meow.registry import import_submodules
from meow.schema import check

# every module of meow.evaluate with a top-level @metric / @summary / @mia_attack is imported here, which fills
# METRICS / SUMMARIES / MIA_ATTACKS: a new metric module is one file, listed nowhere (docs/architecture.md)
METRIC_MODULES = import_submodules("meow.evaluate", decorated=("metric", "summary", "mia_attack"))


def as_eval(ev: EvalResult | dict[str, Any] | str | Path) -> dict[str, Any]:
    """eval.json content from an EvalResult, a dict, or a path: a `meow eval` folder / eval.json, TOFU's eval output
    or open-unlearning's TOFU_EVAL.json (`meow.evaluate.logs.read_eval_logs`)."""
    if isinstance(ev, EvalResult):
        return ev.data
    if isinstance(ev, dict):
        return ev
    return read_eval_logs(ev)


def load_eval(path: str | Path) -> EvalResult:
    """Read an evaluation folder (or its eval.json); summary.json is read if present (checked against
    `summary_schema()`: a broken one is an error, not silently replaced), else recomputed."""
    data, file = read_eval_data(path)
    summary_file = file.with_name("summary.json")
    if summary_file.is_file():
        return EvalResult(data, check(read_json_file(summary_file), summary_schema(), summary_file))
    return EvalResult(data, summarize(data))


def split_summary(records: list[dict[str, Any]], split: str) -> dict[str, Any]:
    """Aggregate every registered metric that has values on this split."""
    out = {}
    for name in METRICS.names():
        m = METRICS.get(name)
        if split not in m.splits:
            continue
        value = m.aggregate(records, split)
        lacking = sum(1 for r in records if name in (r.get("unavailable") or {}))
        if value is not None and not math.isfinite(value):
            value = None
        if value is None and not lacking:
            continue
        n = len(finite([r.get(name) for r in records])) if m.fn else sum(1 for r in records if "generation" in r)
        out[name] = {"value": value, "n": n, "label": m.label, "description": m.description}
        if lacking:
            out[name]["unavailable"] = lacking
            if value is None:
                out[name]["reason"] = f"no finite value on any of {len(records)} questions (see `unavailable`)"
    return out


def summarize(ev: EvalResult | dict[str, Any], retain_eval: EvalResult | dict[str, Any] | str | Path | None = None
              ) -> dict[str, Any]:
    """summary.json content from eval.json content (and the retain model's, for forget quality and PrivLeak)."""
    ev = as_eval(ev)
    retain = as_eval(retain_eval) if retain_eval is not None else None
    splits = {s: split_summary(b["records"], s) for s, b in ev["splits"].items()}
    out: dict[str, Any] = {"model": ev.get("model"), "retain_model": retain.get("model") if retain else None}
    for name in ("model_utility", "forget_quality", "mia_auc", "privleak", *SUMMARIES.names()):
        if name not in out:
            s = SUMMARIES.get(name)
            out[name] = {**s.fn(ev, splits, retain), "label": s.label}
    out["splits"] = splits
    out["missing_splits"] = ev.get("missing_splits", {})
    out["unavailable"] = numerics.unavailable_counts(ev["splits"])
    if ev.get("limit"):
        out["limit"] = ev["limit"]
    if out["known_facts"].get("value") is not None:  # a known-facts benchmark (meow.benchmark.known_facts)
        out["kind"] = known_facts.KIND
    return out


def forget_quality(ev: EvalResult | dict[str, Any] | str | Path,
                   retain_eval: EvalResult | dict[str, Any] | str | Path | None) -> dict[str, Any]:
    """Forget quality of saved or in-memory evaluations: {"value": KS p-value or None, "reason": ..., ...}."""
    return tofu.forget_quality_entry(as_eval(ev), {}, as_eval(retain_eval) if retain_eval is not None else None)
