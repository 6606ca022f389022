"""The report's figures (matplotlib, Agg canvas; no pyplot state): each function draws from the table dict
(`meow.report.report.build_table`), writes one PNG and returns notes on what it had to leave out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from meow.evaluate.tofu import FORGET_QUALITY_LINE
from meow.report.collect import METHOD, RETAIN, TARGET
from meow.report.columns import COLUMNS, columns, fmt

ROLE_COLOURS = {TARGET: "#c44e52", RETAIN: "#55a868"}
PALETTE = ("#4c72b0", "#dd8452", "#8172b3", "#937860", "#da8bc3", "#64b5cd", "#ccb974", "#8c8c8c", "#2f4b7c",
           "#a05195")
DPI = 130


def colours(rows: list[dict[str, Any]]) -> dict[str, str]:
    """One colour per model, the same in every figure: red target, green retain, the palette for methods."""
    out, i = {}, 0
    for r in rows:
        if r["role"] in ROLE_COLOURS:
            out[r["name"]] = ROLE_COLOURS[r["role"]]
        else:
            out[r["name"]], i = PALETTE[i % len(PALETTE)], i + 1
    return out


def figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    return fig


def save_figure(fig: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=DPI, facecolor="white")
    tmp.replace(path)


def _style(ax: Any) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(True, axis="y", color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)


def _skipped(what: str, names: list[str], why: str) -> list[str]:
    return [f"{what}: left out {', '.join(names)} ({why})"] if names else []


def forget_quality_vs_utility(table: dict[str, Any], path: Path) -> list[str]:
    """Scatter: forget quality (log x, p = 0.05 marked) vs model utility; target and retain models marked."""
    rows, col = table["rows"], colours(table["rows"])
    have = [r for r in rows if r["values"]["forget_quality"] is not None and r["values"]["model_utility"] is not None]
    notes = _skipped("forget quality vs utility", [r["name"] for r in rows if r not in have],
                     "forget quality or model utility not available")
    if not have:
        return [*notes, "forget quality vs utility: no model has both numbers; plot not drawn"]
    fig = figure(7.2, 4.8)
    ax = fig.add_subplot()
    markers = {TARGET: ("*", 260), RETAIN: ("D", 110), METHOD: ("o", 90)}
    for r in have:
        x, y = r["values"]["forget_quality"], r["values"]["model_utility"]
        m, s = markers[r["role"]]
        label = f"{r['name']} ({r['role']} model)" if r["role"] != METHOD else r["name"]
        ax.scatter([max(x, 1e-300)], [y], marker=m, s=s, color=col[r["name"]], edgecolor="black", linewidth=0.6,
                   zorder=3, label=label)
        sp = r.get("spread") or {}
        if "forget_quality" in sp and "model_utility" in sp:  # --seeds N: min-max over the seeds
            fq, mu = sp["forget_quality"], sp["model_utility"]
            if None not in (fq["min"], fq["max"], mu["min"], mu["max"]):
                ax.errorbar([max(x, 1e-300)], [y], xerr=[[max(x, 1e-300) - max(fq["min"], 1e-300)],
                                                         [max(fq["max"], 1e-300) - max(x, 1e-300)]],
                            yerr=[[y - mu["min"]], [mu["max"] - y]], color=col[r["name"]], capsize=2,
                            elinewidth=0.8, zorder=2, linestyle="none")
    ax.set_xscale("log")
    xs = [max(r["values"]["forget_quality"], 1e-300) for r in have]
    _annotate(ax, [r["name"] for r in have], xs, [r["values"]["model_utility"] for r in have])
    lo, hi = min(min(xs), FORGET_QUALITY_LINE), max(max(xs), 1.0)
    ax.set_xlim(lo / 5, hi * 3)
    ys = [r["values"]["model_utility"] for r in have]
    pad = max(0.05, 0.15 * (max(ys) - min(ys)))
    ax.set_ylim(max(0.0, min(ys) - pad), max(ys) + pad)
    ax.axvline(FORGET_QUALITY_LINE, color="#555555", linestyle="--", linewidth=1, zorder=1)
    ax.axvspan(FORGET_QUALITY_LINE, hi * 3, color="#55a868", alpha=0.08, zorder=0,
               label="p > 0.05: indistinguishable\nfrom the retain model")
    ax.text(FORGET_QUALITY_LINE, 0.98, "p = 0.05 ", transform=ax.get_xaxis_transform(), va="top", ha="right",
            fontsize=8, color="#444444")
    ax.set_xlabel("forget quality (KS-test p-value vs retain model, log scale) → better")
    ax.set_ylabel("model utility → better")
    seeds = max((len(r.get("seeds") or []) for r in have), default=0)
    ax.set_title("Forget quality vs. model utility (best: top right)"
                 + (f"\nmeans over {seeds} seeds, bars: min-max" if seeds > 1 else ""))
    ax.grid(True, which="major", color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="lower left", fontsize=8, frameon=True, framealpha=0.9)
    save_figure(fig, path)
    return notes


def _annotate(ax: Any, names: list[str], xs: list[float], ys: list[float]) -> None:
    """Name each point; a label that would sit on an earlier one (close in log x and y) moves down a line."""
    import math

    span = (max(ys) - min(ys)) or 1.0
    placed: list[tuple[float, float, int]] = []
    for name, x, y in zip(names, xs, ys):
        near = [k for px, py, k in placed if abs(math.log10(x) - px) < 0.25 and abs(y - py) / span < 0.08]
        k = min(set(range(len(placed) + 1)) - set(near))
        placed.append((math.log10(x), y, k))
        ax.annotate(name, (x, y), xytext=(8, 5 - 11 * k), textcoords="offset points", fontsize=9)


def memo_before_after(table: dict[str, Any], path: Path) -> list[str]:
    """Grouped bars per model: mean MEMO of the original answers vs of the inverted answers."""
    rows = table["rows"]
    have = [r for r in rows if r["name"] in table["memo"]]
    notes = _skipped("MEMO plot", [r["name"] for r in rows if r not in have], "no memo.json")
    if not have:
        return [*notes, "MEMO plot: no model has MEMO scores; plot not drawn"]
    import numpy as np

    fig = figure(max(5.5, 1.3 * len(have) + 2.5), 4.4)
    ax = fig.add_subplot()
    x, w = np.arange(len(have)), 0.38
    for off, kind, colour, label in ((-w / 2, "original", "#c44e52", "original answers"),
                                     (w / 2, "inverted", "#4c72b0", "inverted answers")):
        vals = [table["memo"][r["name"]][kind] for r in have]
        pos = [p + off for p, v in zip(x, vals) if v is not None]
        shown = [v for v in vals if v is not None]
        bars = ax.bar(pos, shown, w, color=colour, label=label, edgecolor="white")
        ax.bar_label(bars, labels=[fmt(v) for v in shown], fontsize=8, padding=2)
        notes += _skipped("MEMO plot", [r["name"] for r, v in zip(have, vals) if v is None], f"no {kind} scores")
    ax.set_xticks(x, [_tick(r) for r in have])
    ax.set_ylabel("mean MEMO (ROUGE-1 precision)")
    ax.set_ylim(0, max(1.0, ax.get_ylim()[1]) * 1.08)
    ax.set_title("MEMO of original vs. inverted answers, before (target) and after unlearning")
    ax.legend(fontsize=8, loc="upper right")
    _style(ax)
    save_figure(fig, path)
    return notes


def _tick(row: dict[str, Any]) -> str:
    return {TARGET: f"{row['name']}\n(before)", RETAIN: f"{row['name']}\n(retain)"}.get(row["role"], row["name"])


def metric_bars(table: dict[str, Any], path: Path, table_name: str = "main",
                title: str = "Main metrics per model") -> list[str]:
    """One small bar chart per column of `table_name`, one bar per model (target and retain hatched)."""
    rows, col = table["rows"], colours(table["rows"])
    cols = [c for c in columns(table_name) if any(r["values"][c.name] is not None for r in rows)]
    notes = [f"metric bars: left out {c.label} (no model has it)" for c in columns(table_name)
             if c not in cols and table_name == "main"]
    if not cols:
        return notes
    ncol = min(3, len(cols))
    nrow = -(-len(cols) // ncol)
    fig = figure(max(7.5, 4.2 * ncol), 0.45 * len(rows) + 3.0 * nrow)
    axes = fig.subplots(nrow, ncol, squeeze=False).ravel()
    for ax, c in zip(axes, cols):
        vals = [r["values"][c.name] for r in rows]
        idx = list(range(len(rows)))
        bars = ax.barh([i for i, v in zip(idx, vals) if v is not None], [v for v in vals if v is not None],
                       color=[col[r["name"]] for r, v in zip(rows, vals) if v is not None],
                       hatch=None, edgecolor="white")
        for b, r in zip(bars, [r for r, v in zip(rows, vals) if v is not None]):
            if r["role"] != METHOD:
                b.set_hatch("//")
                b.set_edgecolor("white")
        ax.bar_label(bars, labels=[fmt(v, c.digits) for v in vals if v is not None], fontsize=7, padding=2)
        for i, v in zip(idx, vals):
            if v is None:
                ax.text(0, i, " n/a", va="center", ha="left", fontsize=8, color="#888888",
                        transform=ax.get_yaxis_transform())
        if c.name == "forget_quality":
            from matplotlib.ticker import LogLocator

            ax.set_xscale("log")
            ax.xaxis.set_major_locator(LogLocator(numticks=5))
            ax.axvline(FORGET_QUALITY_LINE, color="#555555", linestyle="--", linewidth=1)
        elif c.better == "0.5":
            ax.axvline(0.5, color="#555555", linestyle="--", linewidth=1)
        elif c.better == "0":
            ax.axvline(0, color="#555555", linewidth=1)
        ax.set_yticks(idx, [r["name"] for r in rows], fontsize=8)
        ax.set_ylim(len(rows) - 0.5, -0.5)  # first row on top, every row's slot kept (n/a ones too)
        ax.margins(x=0.22)
        ax.set_title(c.header, fontsize=10)
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(True, axis="x", color="#e5e5e5", linewidth=0.8)
        ax.set_axisbelow(True)
    for ax in axes[len(cols):]:
        ax.set_visible(False)
    fig.suptitle(f"{title}\n↑ higher is better · ↓ lower is better · →x closest to x is best · hatched: "
                 "reference models", fontsize=11)
    save_figure(fig, path)
    return notes


PLOTS = {
    "forget_quality_vs_utility": (forget_quality_vs_utility, "Forget quality vs. model utility"),
    "memo": (memo_before_after, "MEMO of original vs. inverted answers"),
    "metrics": (metric_bars, "Main metrics per model"),
}
__all__ = ["COLUMNS", "PLOTS", "forget_quality_vs_utility", "memo_before_after", "metric_bars"]
