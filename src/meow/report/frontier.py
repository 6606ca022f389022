"""The frontier plot of `meow sweep` tables (drawn by the sweep and by the report of a run folder with sweeps): the
benchmark's forgetting column against the column it must keep (`Benchmark.frontier`: TOFU forget quality, log x,
vs model utility; known facts the highest forget key-fact accuracy vs neighbour accuracy) for every sweep point,
each method's points joined in grid order (one line per value of the grid's other keys), error bars from the
min-max over seeds, the target (and retain) models marked, the benchmark's line drawn (p = 0.05; goal 0.1)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from meow.benchmark.registry import Frontier
from meow.report.plots import PALETTE, ROLE_COLOURS, figure, save_figure

FLOOR = 1e-12  # forget quality is a p-value; on a log axis a point at 0 is drawn at the floor


def sweep_benchmark(table: dict[str, Any]) -> Any:
    """The benchmark a sweep table belongs to (sweep.json "benchmark"; TOFU for tables written before it was kept)."""
    from meow.benchmark import BENCHMARKS

    return BENCHMARKS.get(table.get("benchmark") or "tofu")


def _xy(values: dict[str, Any], f: Frontier) -> tuple[float, float, tuple[float, float], tuple[float, float]] | None:
    fx, fy = values.get(f.x), values.get(f.y)
    if not fx or not fy or fx["mean"] is None or fy["mean"] is None:
        return None
    lo = FLOOR if f.log_x else float("-inf")
    x, y = max(fx["mean"], lo), fy["mean"]
    return x, y, (x - max(fx["min"], lo), max(fx["max"], lo) - x), (y - fy["min"], fy["max"] - y)


def _lines(table: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """Points grouped by every grid key but the last, each group in grid order."""
    keys = list(table["grid"])
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in table["points"]:
        groups.setdefault(repr([r["point"][k] for k in keys[:-1]]), []).append(r)
    return list(groups.values())


def frontier_plot(tables: list[dict[str, Any]], path: Path, single: dict[str, tuple[float, float]] | None = None
                  ) -> list[str]:
    """Draw and save; returns notes on points left out. `single`: {method: (x, y)} of the demo's default point,
    drawn hollow for comparison. The axes are the first table's benchmark's (`Benchmark.frontier`)."""
    f = sweep_benchmark(tables[0] if tables else {}).frontier
    lo = FLOOR if f.log_x else float("-inf")
    fig = figure(7.6, 5.0)
    ax = fig.add_subplot()
    notes, xs, ys = [], [], []
    for i, t in enumerate(tables):
        colour = PALETTE[i % len(PALETTE)]
        last = list(t["grid"])[-1] if t["grid"] else None
        lines = _lines(t)
        for j, line in enumerate(lines):
            pts = [(r, _xy(r["values"], f)) for r in line]
            notes += [f"frontier: {t['method']} {r['name']} left out (no {f.x} or {f.y})"
                      for r, p in pts if p is None]
            pts = [(r, p) for r, p in pts if p is not None]
            if not pts:
                continue
            px, py = [p[0] for _, p in pts], [p[1] for _, p in pts]
            xerr = [[p[2][0] for _, p in pts], [p[2][1] for _, p in pts]]
            yerr = [[p[3][0] for _, p in pts], [p[3][1] for _, p in pts]]
            ax.errorbar(px, py, xerr=xerr, yerr=yerr, color=colour, marker="o", markersize=5, linewidth=1.3,
                        linestyle=("-", "--", ":", "-.")[j % 4], capsize=2, elinewidth=0.8, zorder=3,
                        label=t["method"] + (" " + ", ".join(f"{k}={line[0]['point'][k]}" for k in list(t["grid"])[:-1])
                                             if len(lines) > 1 else ""))
            if last is not None:
                for (r, p) in pts:
                    ax.annotate(f"{r['point'][last]:g}" if isinstance(r["point"][last], float) else
                                str(r["point"][last]), (p[0], p[1]), xytext=(4, 3), textcoords="offset points",
                                fontsize=6, color=colour)
            xs += px
            ys += py
        if single and t["method"] in single:
            x, y = single[t["method"]]
            ax.scatter([max(x, lo)], [y], facecolor="none", edgecolor=colour, s=70, linewidth=1.4, zorder=4)
    if tables:
        for kind, marker, size in (("target", "*", 220), ("retain", "D", 80)):
            v = tables[0][kind]["values"]
            if v.get(f.x) is not None and v.get(f.y) is not None:
                x, y = max(v[f.x], lo), v[f.y]
                ax.scatter([x], [y], marker=marker, s=size, color=ROLE_COLOURS[kind], edgecolor="black",
                           linewidth=0.6, zorder=5, label=f"{kind} model")
                xs.append(x)
                ys.append(y)
    if f.log_x:
        ax.set_xscale("log")
    if xs and f.log_x:
        ax.set_xlim(min(min(xs), f.line) / 5, max(max(xs), 1.0) * 3)
    elif xs:
        ax.set_xlim(-0.05, max(max(xs), f.line) + 0.05)
    if xs:
        pad = max(0.05, 0.1 * (max(ys) - min(ys)))
        ax.set_ylim(max(0.0, min(ys) - pad), max(ys) + pad)
    ax.axvline(f.line, color="#555555", linestyle="--", linewidth=1, zorder=1)
    ax.text(f.line, 0.98, f"{f.line_label} ", transform=ax.get_xaxis_transform(), va="top", ha="right", fontsize=8)
    keys = sorted({k for t in tables for k in t["grid"]})
    seeds = max((len(r["seeds"]) for t in tables for r in t["points"]), default=1)
    ax.set_title(f"Frontier: {f.x_label.split(' (')[0].split(',')[0]} vs {f.y_label.split(' →')[0]} over "
                 f"{', '.join(keys) or 'the base point'}"
                 + (f" (error bars: min-max over {seeds} seeds)" if seeds > 1 else ""), fontsize=10)
    ax.set_xlabel(f.x_label)
    ax.set_ylabel(f.y_label)
    ax.grid(True, color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="lower left", fontsize=7, frameon=True, framealpha=0.9)
    save_figure(fig, path)
    return notes
