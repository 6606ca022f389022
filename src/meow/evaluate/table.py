"""The readable end of `meow eval`: headline numbers and a metric x split table (rich)."""

from __future__ import annotations

from typing import Any

from meow.evaluate.base import METRICS, SPLITS, SUMMARIES

HEADLINES = ("model_utility", "forget_quality", "mia_auc", "privleak")
ROW_ORDER = ("probability", "rouge_l_recall", "truth_ratio", "fact_hit", "exact_memorisation", "extraction_strength",
             "rep3", "brunet_index", "honore_statistic", "generation_ppl", "fluency_ls")


def fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if value != 0 and abs(value) < 1e-3:
        return f"{value:.2e}"
    return f"{value:.4f}" if abs(value) < 1e4 else f"{value:.3g}"


def headline(entry: dict[str, Any]) -> str:
    """The value, or `n/a (short reason)` (the reason up to its first colon)."""
    if entry.get("value") is None:
        return f"n/a ({str(entry.get('reason') or 'not computed').split(':')[0]})"
    return fmt(entry["value"])


def tables(summary: dict[str, Any]) -> list[Any]:
    from rich.table import Table

    head = Table(title=f"meow eval: {summary.get('model') or 'model'}", show_header=False)
    head.add_column("metric", style="bold")
    head.add_column("value")
    for name in dict.fromkeys((*HEADLINES, *SUMMARIES.names())):
        if isinstance(summary.get(name), dict):
            head.add_row(summary[name].get("label", name), headline(summary[name]))
    splits = [s for s in SPLITS if s in summary.get("splits", {})]
    names = [n for n in (*ROW_ORDER, *METRICS.names()) if any(n in summary["splits"][s] for s in splits)]
    body = Table(title="per split (means over questions; truth ratio as TOFU reports it)")
    body.add_column("metric", style="bold")
    for s in splits:
        body.add_column(s.replace("_", " "), justify="right")
    for n in dict.fromkeys(names):
        label = METRICS.get(n).label if n in METRICS else n
        body.add_row(label, *(fmt(summary["splits"][s].get(n, {}).get("value")) for s in splits))
    out = [head, body]
    kf = summary.get("known_facts")
    if isinstance(kf, dict) and kf.get("value") is not None:  # meow.evaluate.known_facts
        known = Table(title="known facts: key-fact accuracy (reference: the model before unlearning)",
                      show_header=False)
        for kind, v in (kf.get("forget") or {}).items():
            known.add_row(f"forget, {kind.replace('_', '-')} probes", fmt(v))
        known.add_row("neighbours (same kind)", fmt(kf.get("neighbour")))
        known.add_row("general knowledge", fmt(kf.get("general")))
        out.append(known)
    if summary.get("missing_splits"):
        missing = Table(title="not evaluated", show_header=False)
        for s, why in summary["missing_splits"].items():
            missing.add_row(s, why)
        out.append(missing)
    return out


def print_summary(summary: dict[str, Any], console: Any = None) -> None:
    from rich.console import Console

    console = console or Console()
    for t in tables(summary):
        console.print(t)
