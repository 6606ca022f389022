"""The attack registry and what attacks share: options, running `evaluate` on forget records, result folders."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from meow.errors import MeowError
from meow.evaluate.base import FORGET, describe
from meow.registry import Registry, Shown

if TYPE_CHECKING:
    from meow.modeling import LM

FORMAT = 1


@dataclass
class AttackOptions:
    """Options every attack has (each attack's config adds its own)."""

    max_new_tokens: int = field(default=200, metadata={"help": "longest greedy generation", "ge": 1})
    batch_size: int = field(default=32, metadata={"help": "rows per forward pass", "ge": 1})
    seed: int = field(default=0, metadata={"help": "random seed", "ge": 0})


AttackFn = Callable[..., dict[str, Any]]


@dataclass(frozen=True)
class RecoveryAttack:
    """A registered attack that tries to recover forgotten facts (ATTACKS); not a membership attack (mia.MIA_ATTACKS)."""

    name: str
    config: type[AttackOptions]
    fn: AttackFn  # fn(lm, records, cfg, *, retain_lm, retain_eval, source, progress) -> result (see attacks/__init__)
    description: str
    needs: tuple[str, ...] = ()  # record fields beyond question / answer
    check: Callable[[list[dict], Any, str], None] | None = None  # (records, cfg, source): fails before any work


ATTACKS: Registry[RecoveryAttack] = Registry("attack")


def attack(name: str, config: type[AttackOptions], needs: tuple[str, ...] = (),
           check: Callable[[list[dict], Any, str], None] | None = None,
           show: Sequence[Shown] = ()) -> Callable[[AttackFn], AttackFn]:
    """Register `fn` as attack `name` with its options dataclass (the first docstring paragraph describes it),
    the record fields it needs and an optional `check(records, cfg, source)` run before any model work; `show`:
    its report columns (`Shown.key` = "metric.column" of the result's attack.metrics)."""

    def wrap(fn: AttackFn) -> AttackFn:
        ATTACKS.register(name, show)(RecoveryAttack(name, config, fn, describe(fn), needs, check))
        return fn

    return wrap


# ---------------------------------------------------------------- evaluation on forget records

def eval_config(cfg: AttackOptions) -> Any:
    """`meow eval` options for an attack: generation and memorisation on, MIA and fluency off."""
    from meow.evaluate.evaluator import EvalConfig

    return EvalConfig(max_new_tokens=cfg.max_new_tokens, batch_size=cfg.batch_size, mia=False, fluency=False)


def evaluate_forget(lm: LM, records: list[dict], cfg: AttackOptions, retain_eval: Any = None,
                    source: str | None = None, progress: bool = True) -> Any:
    """`meow.evaluate.evaluate` of `lm` on these records as the forget set (an EvalResult)."""
    from meow.evaluate.evaluator import evaluate

    return evaluate(lm, {FORGET: records}, retain_eval, cfg=eval_config(cfg),
                    sources={FORGET: source} if source else None, progress=progress)


def forget_subset(ev: Any, questions: set[str]) -> dict[str, Any] | None:
    """eval.json content restricted to the forget records whose question is in `questions` (None if `ev` is)."""
    from meow.evaluate.aggregate import as_eval

    if ev is None:
        return None
    data = as_eval(ev)
    forget = data["splits"].get(FORGET, {"records": []})
    kept = [r for r in forget["records"] if r.get("question") in questions]
    return {**data, "splits": {FORGET: {**forget, "records": kept}}}


def split_value(p: dict[str, Any] | None, name: str) -> float | None:
    """A summary value (forget_quality) or forget-split aggregate (fact_hit, truth_ratio, ...) of a part
    ({"eval", "summary"}); None when absent."""
    if p is None:
        return None
    summary = p["summary"]
    entry = summary.get(name) if isinstance(summary.get(name), dict) else summary["splits"].get(FORGET, {}).get(name)
    return entry.get("value") if isinstance(entry, dict) else None


LABELS = {"forget_quality": "forget quality", "fact_leak": "fact leak", "fact_any": "fact stated (any wording)",
          "prefix_leak": "prefix fact leak", "memo": "MEMO (ROUGE-1 precision)"}


def label(name: str) -> str:
    from meow.evaluate.base import METRICS

    return METRICS.get(name).label if name in METRICS else LABELS.get(name, name.replace("_", " "))


def metric_rows(names: tuple[str, ...], columns: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Headline rows: per metric, one value per column, in order. A column is a part ({"eval", "summary"}: its
    value), a pair (a, b) of earlier columns (value(a) - value(b), None when either is missing) or None (left out,
    as are pairs naming a left-out column)."""
    out = {}
    for name in names:
        entry: dict[str, Any] = {"label": label(name)}
        for col, spec in columns.items():
            if isinstance(spec, tuple):
                if spec[0] in entry and spec[1] in entry:
                    entry[col] = diff(entry[spec[0]], entry[spec[1]])
            elif spec is not None:
                entry[col] = split_value(spec, name)
        out[name] = entry
    return out


def diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def split_entry(value: float | None, n: int, name: str, description: str) -> dict[str, Any]:
    """A summary.json split entry in `meow eval`'s shape."""
    return {"value": value, "n": n, "label": label(name), "description": description}


def part(result: Any) -> dict[str, Any] | None:
    """{"eval": eval.json content, "summary": summary.json content} of an EvalResult (None stays None)."""
    return None if result is None else {"eval": result.data, "summary": result.summary}


def result(name: str, cfg: AttackOptions, main: dict[str, Any], headline: dict[str, Any],
           parts: dict[str, dict[str, Any]] | None = None, extra_eval: dict[str, Any] | None = None
           ) -> dict[str, Any]:
    """The attack result: `main` ({"eval", "summary"}) with the attack's name/options in eval.json and its
    headline numbers under summary["attack"]."""
    attack_info = {"name": name, "description": ATTACKS.get(name).description, "options": dataclasses.asdict(cfg)}
    ev = {**main["eval"], "attack": {**attack_info, **(extra_eval or {})}}
    summary = {**main["summary"], "attack": {**attack_info, **headline}}
    return {"attack": name, "eval": ev, "summary": summary, "parts": parts or {}}


# ---------------------------------------------------------------- running and writing

def run_attack(name: str, lm: LM, records: list[dict], *, retain_lm: LM | None = None, retain_eval: Any = None,
               source: str | None = None, progress: bool = True, **options: Any) -> dict[str, Any]:
    """Run attack `name` on `lm` over forget `records`; `options` are the attack's config fields.

    `retain_lm`: the retain model, attacked the same way for comparison. `retain_eval`: the retain model's `meow eval`
    folder / EvalResult / dict, a forget-quality reference where an attack uses one (relearn).
    """
    att = ATTACKS.get(name)
    cfg = validate(name, records, source, **options)
    return att.fn(lm, records, cfg, retain_lm=retain_lm, retain_eval=retain_eval, source=source, progress=progress)


def validate(name: str, records: list[dict], source: str | None = None, **options: Any) -> Any:
    """The attack's config from `options`, after checking the records: one-line MeowError on the first problem."""
    from meow.config import from_dict

    att = ATTACKS.get(name)
    cfg = from_dict(att.config, options, source=f"attack {name} options")
    check_records(records, att.needs, source or "forget set", name)
    if att.check is not None:
        att.check(records, cfg, source or "forget set")
    return cfg


def check_records(records: list[dict], needs: tuple[str, ...], source: str, attack: str = "") -> None:
    """Every record has a string question / answer and what the attack needs (one-line error naming the first)."""
    from meow.errors import where

    if not records:
        raise MeowError(f"{source}: holds no records")
    for i, rec in enumerate(records):
        for name in ("question", "answer", *needs):
            value = rec.get(name) if isinstance(rec, dict) else None
            want = "a non-empty list of strings" if name == "perturbed_answer" else "a string"
            ok = (isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)
                  if name == "perturbed_answer" else isinstance(value, str))
            if not ok:
                raise MeowError(f"{where(source, i, name)}: {'missing' if value is None else 'expected ' + want}"
                                + (f" (needed by the {attack} attack)" if name in needs else ""))


def write_attack(out_dir: str | Path, res: dict[str, Any], config: dict[str, Any] | None = None) -> Path:
    """eval.json, summary.json, config.json in `out_dir`; each part (e.g. `before`, `retain_model`) in a sub-folder."""
    from meow.evaluate.results import EvalResult

    out = Path(out_dir)
    for sub, p in res.get("parts", {}).items():
        EvalResult(p["eval"], p["summary"]).save(out / sub)
    return EvalResult(res["eval"], res["summary"]).save(out, config)


def attack_table(summary: dict[str, Any]) -> Any:
    """Rich table of summary["attack"]["metrics"]: one row per metric, one column per value kind."""
    from rich.table import Table

    from meow.evaluate.table import fmt

    info = summary["attack"]
    metrics: dict[str, dict[str, Any]] = info.get("metrics", {})
    cols = list(dict.fromkeys(k for entry in metrics.values() for k in entry if k not in ("label", "description")))
    t = Table(title=f"meow attack {info['name']}: {summary.get('model') or 'model'}")
    t.add_column("metric", style="bold")
    for c in cols:
        t.add_column(c.replace("_", " "), justify="right")
    for name, entry in metrics.items():
        t.add_row(entry.get("label", name), *(fmt(entry.get(c)) for c in cols))
    return t
