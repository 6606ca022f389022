"""Repeated seeds and sweeps in a run folder (`meow demo --seeds N / --sweep`, written by meow.sweep):

    RUN/seeds/<method>/sweep.json   extra seeds of the default point: a method row's values become the mean over
                                    its own run and these, with the min-max in row["spread"]
    RUN/sweeps/<method>/sweep.json  the method over a grid: drawn as the frontier plot
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from meow.evaluate.tofu import FORGET_QUALITY_LINE
from meow.report.collect import METHOD


def spread(values: list[float | None]) -> dict[str, Any]:
    """mean, min, max over the seeds that have a value (None where none has)."""
    have = [v for v in values if v is not None and not math.isnan(v)]
    if not have:
        return {"mean": None, "min": None, "max": None, "n": 0, "values": values}
    return {"mean": sum(have) / len(have), "min": min(have), "max": max(have), "n": len(have), "values": values}


def crosses_line(s: dict[str, Any], line: float = FORGET_QUALITY_LINE) -> bool:
    """Some seeds above the forget-quality line and some not."""
    return s["n"] > 1 and s["min"] <= line < s["max"]


def seed_values(run: Path, method: str) -> list[dict[str, Any]]:
    """Per extra seed: the sweep's run result (values) of the default point (RUN/seeds/<method>/)."""
    from meow.io import read_json

    folder = run / "seeds" / method
    if not (folder / "sweep.json").is_file():
        return []
    table = read_json(folder / "sweep.json")
    return [read_json(folder / "runs" / n / "result.json") for p in table["points"] for n in p["runs"]]


def add_seed_spread(rows: list[dict[str, Any]], run: Path, notes: list[str]) -> None:
    """Method rows with extra seeds: values -> mean over seeds, row["spread"][column] = {min, max, n, values};
    a note for every row whose seeds fall on both sides of forget quality 0.05."""
    from meow.report.columns import fmt

    for r in rows:
        if r["role"] != METHOD:
            continue
        extra = seed_values(run, r["name"])
        if not extra:
            continue
        seeds = [extra[0]["seed"] - 1, *(e["seed"] for e in extra)]  # the main run: the seed before the extra ones
        r["seeds"], r["spread"] = seeds, {}
        for col in extra[0]["values"]:  # the metrics the sweep recorded (meow.sweep.api.METRICS)
            s = spread([r["values"].get(col), *(e["values"].get(col) for e in extra)])
            r["values"][col] = s["mean"]
            r["spread"][col] = {k: s[k] for k in ("min", "max", "n", "values")}
        fq = spread(r["spread"]["forget_quality"]["values"])
        if crosses_line(fq, FORGET_QUALITY_LINE):
            above = [str(sd) for sd, v in zip(seeds, fq["values"]) if v is not None and v > FORGET_QUALITY_LINE]
            notes.append(f"{r['name']}: forget quality crosses {FORGET_QUALITY_LINE} across its {fq['n']} seeds ({fmt(fq['min'])}"
                         f" to {fmt(fq['max'])}; above {FORGET_QUALITY_LINE} with {len(above)} of them)")


def sweep_tables(run: Path) -> list[dict[str, Any]]:
    from meow.io import read_json

    return [read_json(p) for p in sorted((run / "sweeps").glob("*/sweep.json"))]


def spread_text(row: dict[str, Any], name: str, digits: int = 3) -> str:
    """' (min–max)' after a mean over seeds that differ; '' otherwise."""
    from meow.report.columns import fmt

    s = (row.get("spread") or {}).get(name)
    if not s or s["n"] < 2 or s["min"] == s["max"]:
        return ""
    return f" ({fmt(s['min'], digits)}–{fmt(s['max'], digits)})"
