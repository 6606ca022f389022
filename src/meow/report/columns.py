"""The report's columns: what each shows, which direction is better, and where its value comes from.

The columns are not listed here: each is declared where its metric is registered (`meow.registry.Shown` in a
`@summary`, `@metric`, `@attack`, `MEMO_METRICS` / `MUSE_METRICS` / `NLG_METRICS` registration) and built by
`registered()`, so a new metric shows in the report (and, with `sweep=True`, in the sweep's table) by itself.

Three tables: `main` (one column per headline metric), `robustness` (attack results) and `nlg` (open-ended
generation). A cell is (value, reason): value None means not available, and reason says why (never a made-up 0).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from meow.registry import Shown, arrow, better_key
from meow.report.collect import RETAIN, Model, Run

Cell = tuple[float | None, str | None]



@dataclass(frozen=True)
class Column:
    name: str
    label: str
    better: str
    description: str
    source: str
    get: Callable[[Model, Run], Cell]
    table: str = "main"
    digits: int = 3  # decimals shown (values below 1e-3 are shown in scientific notation)
    short: str = ""  # terminal header (abbreviations in SHORT_LEGEND)
    sweep: bool = False  # one of the sweep's metrics

    @property
    def header(self) -> str:
        return f"{self.label} {arrow(self.better)}"

    @property
    def short_header(self) -> str:
        return f"{self.short or self.label} {arrow(self.better)}"

    def info(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "table": self.table, "better": self.better,
                "description": self.description, "source": self.source}


BAD = "unusable value"  # start of the reason of a value that is there but not a finite number (warned about)


def number(v: Any, where: str) -> Cell:
    """A finite number as a cell; anything else (NaN, infinity, a string, a boolean, a list) is n/a with a reason."""
    if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
        return float(v), None
    return None, f"{BAD} {str(v)[:40]!r} at {where} (not a finite number)"


def dig(obj: Any, *keys: str) -> Any:
    """obj[k1][k2]... where every level is a mapping; None as soon as one is not."""
    for k in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(k)
    return obj


def _value(entry: Any, missing: str, where: str = "value") -> Cell:
    if not isinstance(entry, dict):
        return None, missing
    v = entry.get("value")
    if v is None:
        reason = entry.get("reason")
        return None, reason if isinstance(reason, str) and reason else missing
    return number(v, where)


def headline(name: str) -> Callable[[Model, Run], Cell]:
    """summary.json `name`.value (or the report's recomputation when `meow eval` had no retain model)."""

    def get(m: Model, run: Run) -> Cell:
        return _value(m.recomputed.get(name) or m.summary.get(name), f"no {name} in summary.json",
                      f"summary.json {name}.value")

    return get


def of_kind(kind: str, get: Callable[[Model, Run], Cell]) -> Callable[[Model, Run], Cell]:
    """`get`, for summaries of one kind only ("tofu": `meow eval`, "muse": `meow eval-muse`); n/a for the other."""

    def only(m: Model, run: Run) -> Cell:
        if m.summary.get("kind", "tofu") != kind:
            return None, f"not a {kind} evaluation"
        return get(m, run)

    return only


def split_metric(split: str, name: str) -> Callable[[Model, Run], Cell]:
    """summary.json splits.<split>.<name>.value."""

    def get(m: Model, run: Run) -> Cell:
        if not isinstance(dig(m.summary, "splits", split), dict):
            why = dig(m.summary, "missing_splits", split)
            return None, f"{split} split not evaluated" + (f": {why}" if isinstance(why, str) else "")
        return _value(dig(m.summary, "splits", split, name), f"no {name} on the {split} split (e.g. generation "
                                                             "or the metric group switched off)",
                      f"summary.json splits.{split}.{name}.value")

    return get


def memo(kind: str) -> Callable[[Model, Run], Cell]:
    def get(m: Model, run: Run) -> Cell:
        if m.memo is None:
            return None, "no memo.json for this model"
        v = getattr(m.memo, kind)
        return (v, None) if v is not None else (None, f"no MEMO of {kind} answers in {m.memo.source.name}")

    return get


def attack_metric(attack: str, metric: str, column: str) -> Callable[[Model, Run], Cell]:
    """summary.json attack.metrics.<metric>.<column> of RUN/attacks/<model>/<attack>/ (the attacked model's own
    number falls back to splits.forget.<metric>.value)."""

    def get(m: Model, run: Run) -> Cell:
        s = m.attacks.get(attack)
        if s is None:
            return None, f"no {attack} attack for this model"
        v = dig(s, "attack", "metrics", metric, column)
        if v is None and column in ("after", "paraphrased", "value"):
            v = dig(s, "splits", "forget", metric, "value")
        if v is None:
            return None, f"no {metric} {column} in the {attack} attack"
        return number(v, f"{attack} attack summary.json attack.metrics.{metric}.{column}")

    return get


def nlg_metric(name: str) -> Callable[[Model, Run], Cell]:
    def get(m: Model, run: Run) -> Cell:
        if m.nlg is None:
            return None, "no NLG results for this model"
        source = m.nlg_source.name if m.nlg_source else "nlg results"
        return _value(dig(m.nlg, name), f"no {name} in {source}", f"{source} {name}.value")

    return get


def attack_column(attack: str, key: str) -> Callable[[Model, Run], Cell]:
    """An attack's "metric.column"; a "gap" column falls back to after minus the retain row's after."""
    metric, column = key.split(".")
    if column != "gap":
        return attack_metric(attack, metric, column)
    return lambda m, run: attack_gap(attack, metric, m, run)


def attack_gap(attack: str, metric: str, m: Model, run: Run) -> Cell:
    """after - retain_after: the attack's own `gap` if it also attacked a retain model, else against the retain
    row's attack."""
    gap, _ = attack_metric(attack, metric, "gap")(m, run)
    if gap is not None:
        return gap, None
    after, why_after = attack_metric(attack, metric, "after")(m, run)
    if after is None:
        return None, why_after
    retain = run.role(RETAIN)
    ref, _ = attack_metric(attack, metric, "after")(retain, run) if retain else (None, None)
    if ref is None:
        return None, f"no retain-model {attack} to compare with ({attack} the retain model too)"
    return after - ref, None


def registered() -> tuple[Column, ...]:
    """One column per `Shown` declared in the registries, in `Shown.order`; the getter follows the registry:
    summaries and MUSE headlines read summary.json's entry (only for `Shown.kind` evaluations, when set),
    per-split metrics splits.<key>.<name>, memorisation metrics memo.json, attacks their summary.json, NLG
    metrics nlg.json."""
    from meow.evaluate import METRICS, SUMMARIES
    from meow.evaluate.attacks import ATTACKS
    from meow.evaluate.muse.evaluator import MUSE_METRICS
    from meow.evaluate.nlg import NLG_METRICS
    from meow.memo import MEMO_METRICS

    def summary_get(name: str, s: Shown) -> Callable[[Model, Run], Cell]:
        return of_kind(s.kind, headline(name)) if s.kind else headline(name)

    getters: list[tuple[Any, Callable[[str, Shown], Callable[[Model, Run], Cell]]]] = [
        (SUMMARIES, summary_get), (MUSE_METRICS, summary_get),
        (METRICS, lambda name, s: split_metric(s.key, name)),
        (MEMO_METRICS, lambda name, s: memo(s.key)),
        (ATTACKS, lambda name, s: attack_column(name, s.key)),
        (NLG_METRICS, lambda name, s: nlg_metric(name)),
    ]
    found = [(s, get(name, s)) for registry, get in getters for name, s in registry.shown()]
    cols = tuple(Column(s.column, s.label, s.better, s.description, s.source, g, s.table, s.digits, s.short,
                        s.sweep) for s, g in sorted(found, key=lambda x: x[0].order))
    names = [c.name for c in cols]
    if len(set(names)) != len(names):
        raise ValueError(f"report columns registered twice: {sorted({n for n in names if names.count(n) > 1})}")
    return cols


COLUMNS: tuple[Column, ...] = registered()
SWEEP_METRICS = tuple(c.name for c in COLUMNS if c.sweep)  # the sweep's table: the columns registered sweep=True
SHORT_LEGEND = "FQ forget quality, MU model utility, KFA key-fact accuracy, R-L ROUGE-L recall, LS fluency"
TABLES = {"main": "Main results", "muse": "MUSE (text corpora: meow eval-muse)",
          "known_facts": "Known facts (pre-training knowledge: meow benchmark make --kind known-facts)", "robustness": "Robustness (attacks on the forget set)",
          "nlg": "Open-ended generation (NLG)"}


def columns(table: str) -> list[Column]:
    return [c for c in COLUMNS if c.table == table]


def best(values: list[float | None], better: str) -> float | None:
    """The best of the given values under `better` (None if there are none)."""
    vals = [v for v in values if v is not None]
    if not vals:
        return None
    return min(vals, key=better_key(better))


def fmt(value: float | None, digits: int = 3) -> str:
    """'n/a' for a missing value; scientific notation below 1e-3 (forget quality p-values)."""
    if value is None:
        return "n/a"
    if value != 0 and abs(value) < 1e-3:
        return f"{value:.1e}"
    return f"{value:.{digits}f}"
