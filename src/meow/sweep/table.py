"""Sweep tables as text: CSV (mean, min, max per metric) and Markdown ("mean (min-max)" cells), over one or more
sweeps (one per method)."""

from __future__ import annotations

import csv
import io
from typing import Any

from meow.report.columns import COLUMNS, fmt
from meow.report.frontier import sweep_benchmark


def shown(tables: list[dict[str, Any]]) -> tuple[str, ...]:
    """The Markdown table's metric columns: the first sweep's benchmark's (`Benchmark.sweep_columns`)."""
    return sweep_benchmark(tables[0] if tables else {}).sweep_columns


def _label(name: str) -> str:
    return next((c.header for c in COLUMNS if c.name == name), name)


def cell(s: dict[str, Any] | None, digits: int = 3) -> str:
    """'0.097' for one seed, '0.097 (0.054-0.165)' for several."""
    if not s or s.get("mean") is None:
        return "n/a"
    if s["n"] > 1 and s["min"] != s["max"]:
        return f"{fmt(s['mean'], digits)} ({fmt(s['min'], digits)}–{fmt(s['max'], digits)})"
    return fmt(s["mean"], digits)


def grid_keys(tables: list[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(k for t in tables for k in t["grid"]))


def to_csv(tables: list[dict[str, Any]]) -> str:
    keys = grid_keys(tables)
    metrics = list(dict.fromkeys(m for t in tables for m in t["metrics"]))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["method", "point", *keys, "seeds", *(f"{m}_{s}" for m in metrics for s in ("mean", "min", "max"))])
    for t in tables:
        for kind in ("target", "retain"):
            ref = t[kind]
            w.writerow([ref["name"], kind, *([""] * len(keys)), "", *(
                x for m in metrics for x in ("n/a" if ref["values"].get(m) is None else repr(ref["values"][m]),) * 3)])
        for r in t["points"]:
            w.writerow([t["method"], r["name"], *(r["point"].get(k, "") for k in keys), len(r["seeds"]),
                        *("n/a" if r["values"][m][s] is None else repr(r["values"][m][s])
                          for m in metrics for s in ("mean", "min", "max"))])
    return buf.getvalue()


def to_markdown(tables: list[dict[str, Any]], title: str | None = None) -> str:
    """One table: the reference models (from the first sweep), then every method's points in grid order."""
    keys = grid_keys(tables)
    cols = shown(tables)
    seeds = sorted({len(r["seeds"]) for t in tables for r in t["points"]})
    out = [f"# {title or 'meow sweep: ' + ', '.join(t['method'] for t in tables)}", "",
           f"Seeds per point: {', '.join(map(str, seeds))}; cells: mean (min–max over seeds).", "",
           "| method | " + " | ".join([*keys, *(_label(m) for m in cols)]) + " |",
           "|---|" + "---|" * len(keys) + "---:|" * len(cols)]
    if tables:
        for kind in ("target", "retain"):
            ref = tables[0][kind]
            if not ref["values"]:  # no retain model exists (known facts: the target is the reference)
                continue
            out.append(f"| {ref['name']} *({kind})* | " + " | ".join(
                [*([""] * len(keys)), *(fmt(ref["values"].get(m)) for m in cols)]) + " |")
    for t in tables:
        for r in t["points"]:
            out.append(f"| {t['method']} | " + " | ".join(
                [*(str(r["point"].get(k, "")) for k in keys), *(cell(r["values"].get(m)) for m in cols)]) + " |")
    notes = [n for t in tables for n in t.get("notes", [])]
    if notes:
        out += ["", "Seeds that disagree about the forget-quality line:", ""] + [f"- {n}" for n in notes]
    return "\n".join(out) + "\n"
