"""Metric registries, lm-evaluation-harness style: adding a metric is one function and one decorator.

Two kinds of entries:

- `METRICS` (per question, aggregated per split). `@metric(name, group=..., splits=...)` on a function
  `fn(q: Scored) -> value | None` stores `value` in each evaluated record under `name`; the split's summary entry
  is `aggregate(records, split)` (default: the mean over records that carry the value). With `per_question=False`
  the decorated function *is* the aggregate (e.g. the fluency score LS, computed from other metrics' means).
- `SUMMARIES` (across splits, e.g. model utility, forget quality, MIA AUC). `@summary(name)` on a function
  `fn(ev, splits, retain) -> {"value": float | None, "reason": str | None, ...}` where `ev` is the eval.json
  content, `splits` the per-split aggregates just computed and `retain` the retain model's eval.json content or None.

The first line of each function's docstring is its description in summary.json.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from meow.registry import Registry, Shown

if TYPE_CHECKING:
    from meow.modeling import TokenScores

# split names (TOFU's, without the `_perturbed` suffix) and their roles
FORGET, RETAIN, REAL_AUTHORS, WORLD_FACTS, HOLDOUT = "forget", "retain", "real_authors", "world_facts", "holdout"
SPLITS = (FORGET, RETAIN, REAL_AUTHORS, WORLD_FACTS, HOLDOUT)
TOFU_SPLITS = (FORGET, RETAIN, REAL_AUTHORS, WORLD_FACTS)  # scored with paraphrased/perturbed answers, generated
OPTION_SPLITS = (REAL_AUTHORS, WORLD_FACTS)  # `answer` stands in for the paraphrase; probability over the options
MIA_SPLITS = (FORGET, HOLDOUT)  # members vs non-members
GROUPS = ("tofu", "memorisation", "mia", "fluency")  # every group but tofu can be switched off


@dataclass
class Scored:
    """Everything the model produced for one question; per-question metrics read it."""

    split: str
    record: dict[str, Any]
    answer: TokenScores
    paraphrased: TokenScores | None = None  # the answer itself on real authors / world facts
    perturbed: list[TokenScores] = field(default_factory=list)
    generation: str | None = None
    generation_scores: TokenScores | None = None  # the generation scored by the fluency model
    min_k: float = 0.4
    reference: TokenScores | None = None  # the answer scored by the MIA reference model (Reference attack)
    grad_norm: float | None = None  # GradNorm attack: mean parameter-gradient norm of the answer's loss


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    description: str
    group: str
    splits: tuple[str, ...]
    fn: Callable[[Scored], Any] | None  # None: aggregate-only
    aggregate: Callable[[list[dict[str, Any]], str], float | None]
    needs: tuple[str, ...] = ()  # "generation", "fluency_scores"


@dataclass(frozen=True)
class Summary:
    name: str
    label: str
    description: str
    fn: Callable[[dict[str, Any], dict[str, Any], dict[str, Any] | None], dict[str, Any]]


METRICS: Registry[Metric] = Registry("metric")
SUMMARIES: Registry[Summary] = Registry("summary metric")


def describe(fn: Callable[..., Any]) -> str:
    """First paragraph of a docstring, on one line."""
    doc = (fn.__doc__ or "").strip().split("\n\n")[0]
    return " ".join(doc.split())


def finite(values: Sequence[Any]) -> list[float]:
    """Floats of the values that are present and finite (not NaN, not +-inf; booleans count as 0/1)."""
    out = []
    for v in values:
        if v is None or isinstance(v, (dict, list, str)):
            continue
        v = float(v)
        if math.isfinite(v):
            out.append(v)
    return out


def mean(values: Sequence[Any]) -> float | None:
    vals = finite(values)
    return sum(vals) / len(vals) if vals else None


def mean_of(name: str) -> Callable[[list[dict[str, Any]], str], float | None]:
    def aggregate(records: list[dict[str, Any]], split: str) -> float | None:
        return mean([r.get(name) for r in records])

    return aggregate


def metric(name: str, *, group: str, splits: Sequence[str], label: str | None = None,
           aggregate: Callable[[list[dict[str, Any]], str], float | None] | None = None,
           needs: Sequence[str] = (), per_question: bool = True,
           show: Sequence[Shown] = ()) -> Callable[[Callable], Callable]:
    """Register a per-question metric (or, with per_question=False, a split-level aggregate); `show`: its report
    columns, one per split shown (`Shown.key` = the split; the better direction may differ between splits)."""
    if group not in GROUPS:
        raise ValueError(f"unknown metric group {group!r}")

    def wrap(fn: Callable) -> Callable:
        agg = aggregate or (mean_of(name) if per_question else fn)
        METRICS.register(name, show)(Metric(name, label or name.replace("_", " "), describe(fn), group, tuple(splits),
                                      fn if per_question else None, agg, tuple(needs)))
        return fn

    return wrap


def summary(name: str, label: str | None = None, show: Shown | None = None) -> Callable[[Callable], Callable]:
    """Register a cross-split summary entry; `show`: its report column (label, better direction)."""

    def wrap(fn: Callable) -> Callable:
        SUMMARIES.register(name, show or ())(Summary(name, label or name.replace("_", " "), describe(fn), fn))
        return fn

    return wrap


def missing(reason: str, description: str, **extra: Any) -> dict[str, Any]:
    """A summary entry that could not be computed: value null and why (never a made-up 0 or 1)."""
    return {"value": None, "reason": reason, "description": description, **extra}
