"""`build_report(run_dir)`: the tables, plots, HTML and Markdown of a run folder (see `meow.report.collect`).

Outputs in `out_dir` (default RUN/report):

    report.html    self-contained (CSS inline, PNGs embedded as base64)
    report.md      Markdown; images are the files in plots/
    table.csv      every row and column; "n/a" where a value is missing
    table.json     {"format", "run", "created", "target", "retain",
                    "columns": [{"name", "label", "table", "better", "description", "source"}],
                    "rows": [{"name", "role", "folder", "model", "values": {column: value or null},
                              "reasons": {column: why it is null}, "notes": {column: how the report computed it}}],
                    "best": {column: best value among the methods (columns where they differ)},
                    "memo": {model: {"original", "inverted", "n", "source"}}, "plots": {name: file}, "notes": [...]}
    plots/*.png    forget_quality_vs_utility, memo, metrics, robustness (when attacks ran)
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from meow.io import atomic_write_text, prepare_output, staged_dir, write_json
from meow.report.collect import METHOD, RETAIN, TARGET, Run, load_run
from meow.report.columns import COLUMNS, best
from meow.report.plots import forget_quality_vs_utility, memo_before_after, metric_bars
from meow.report.render import rich_tables, to_csv, to_html, to_markdown
from meow.report.seeds import add_seed_spread, sweep_tables

FORMAT = 1


def _rel(path: Path, start: Path) -> str:
    try:
        return os.path.relpath(path, start)
    except ValueError:  # another drive (Windows)
        return str(path)


def build_table(run: Run) -> dict[str, Any]:
    """table.json content (without "plots"): every column's value per model, why one is missing, the best."""
    rows = []
    for m in run.models:
        values, reasons = {}, {}
        for c in COLUMNS:
            v, why = _cell(c, m, run)
            values[c.name] = v
            if v is None:
                reasons[c.name] = why
        notes = {k: e["note"] for k, e in m.recomputed.items() if e.get("value") is not None}
        rows.append({"name": m.name, "role": m.role, "folder": _rel(m.folder, run.folder),
                     "model": m.summary.get("model"), "kind": m.summary.get("kind", "tofu"), "values": values,
                     "reasons": reasons, "notes": notes})
    add_seed_spread(rows, run.folder, run.notes)  # --seeds N: mean over seeds, min-max in row["spread"]
    methods = [r for r in rows if r["role"] == METHOD]
    best_values = {c.name: best([r["values"][c.name] for r in methods], c.better) for c in COLUMNS
                   if len({r["values"][c.name] for r in methods} - {None}) > 1}  # nothing to rank in a tie
    memo = {m.name: {"original": m.memo.original, "inverted": m.memo.inverted, "n": m.memo.n,
                     "source": _rel(m.memo.source, run.folder)} for m in run.models if m.memo is not None}
    target, retain = run.role(TARGET), run.role(RETAIN)
    return {"format": FORMAT, "run": str(run.folder), "created": dt.datetime.now().isoformat(timespec="seconds"),
            "target": target.name if target else None, "retain": retain.name if retain else None,
            "columns": [c.info() for c in COLUMNS], "rows": rows,
            "best": {k: v for k, v in best_values.items() if v is not None}, "memo": memo,
            "notes": list(run.notes)}


def _cell(c: Any, m: Any, run: Run) -> tuple[float | None, str | None]:
    """One cell; a value that is there but unusable (NaN, a string, a wrong shape) is n/a with a one-line warning."""
    from meow.errors import warn
    from meow.report.columns import BAD

    try:
        v, why = c.get(m, run)
    except (TypeError, ValueError, AttributeError, KeyError) as e:
        v, why = None, f"{BAD}: {c.name} could not be read ({type(e).__name__})"
    if v is None and isinstance(why, str) and why.startswith(BAD):
        warn(f"report: {m.name}: {c.label} shown as n/a: {why}")
    return v, why


def build_report(run_dir: str | Path, out_dir: str | Path | None = None, target: str = TARGET,
                 retain: str = RETAIN, force: bool = False) -> dict[str, Any]:
    """Write the report of `run_dir` into `out_dir` (default RUN/report); returns table.json content plus "out",
    "html", "markdown" and "files" (every file written). `target` / `retain`: the rows of the reference models.

    The output policy of every command (meow.io.prepare_output): an existing `out_dir` is replaced only with
    `force`, and never when it is (or holds) the run folder or an evaluation folder; the folder is written
    whole into a temporary sibling, then moved into place."""
    out = Path(out_dir) if out_dir is not None else Path(run_dir) / "report"
    prepare_output(out, kind="dir", inputs=[run_dir], replace_ok=True, holds_outputs=[run_dir])  # cheap checks first
    from meow.report.sequence import only_sequences, sequence_report

    if only_sequences(Path(run_dir)):  # sequences / forget-size sweeps only: their figures (meow.report.sequence)
        return sequence_report(run_dir, out, force)
    run = load_run(run_dir, target, retain)
    prepare_output(out, kind="dir", force=force, inputs=[run_dir, *(m.folder for m in run.models)],
                   holds_outputs=[run_dir])
    table = build_table(run)
    with staged_dir(out) as tmp:
        images = _write(table, run, tmp)
    files = [out / n for n in ("report.html", "report.md", "table.csv", "table.json")]
    return {**table, "out": str(out), "html": str(files[0]), "markdown": str(files[1]),
            "files": [str(p) for p in files + [out / rel for rel in images]]}


def _write(table: dict[str, Any], run: Run, out: Path) -> list[str]:
    """Plots, table.json, table.csv, report.md and report.html into `out`; returns the plots' relative paths."""
    plots_dir = out / "plots"
    specs = [("forget_quality_vs_utility", "Forget quality vs. model utility", forget_quality_vs_utility),
             *_frontier(run.folder),
             ("memo", "MEMO of original vs. inverted answers, before and after unlearning", memo_before_after),
             ("metrics", "Main metrics per model", metric_bars)]
    if any(r["values"][c["name"]] is not None for r in table["rows"] for c in table["columns"]
           if c["table"] == "robustness"):
        specs.append(("robustness", "Robustness per model",
                      lambda t, p: metric_bars(t, p, "robustness", "Robustness per model")))
    from meow.report.sequence import report_figures

    more, points = report_figures(run.folder)  # RUN/sequences/*, RUN/scaling/*: sustainability, scalability
    specs += more
    if points:
        table["sequence"] = points
    images: dict[str, tuple[Path, str]] = {}
    for name, title, draw in specs:
        path = plots_dir / f"{name}.png"
        table["notes"] += draw(table, path)
        if path.is_file():
            images[name] = (path, title)
    table["plots"] = {k: _rel(p, out) for k, (p, _) in images.items()}
    write_json(out / "table.json", table)
    atomic_write_text(out / "table.csv", to_csv(table))
    atomic_write_text(out / "report.md", to_markdown(table, {k: (_rel(p, out), t) for k, (p, t) in images.items()}))
    atomic_write_text(out / "report.html", to_html(table, images, run.config_text, run.manifest))
    return list(table["plots"].values())


def _frontier(run: Path) -> list[tuple[str, str, Any]]:
    """The frontier plot of RUN/sweeps/*/sweep.json (meow demo --sweep), with each method's default point hollow."""
    tables = sweep_tables(run)
    if not tables:
        return []
    from meow.report.frontier import frontier_plot, sweep_benchmark

    f = sweep_benchmark(tables[0]).frontier

    def draw(table: dict[str, Any], path: Path) -> list[str]:
        single = {r["name"]: (r["values"][f.x], r["values"][f.y]) for r in table["rows"]
                  if r["role"] == METHOD and r["values"].get(f.x) is not None and r["values"].get(f.y) is not None}
        notes = frontier_plot(tables, path, single)
        return [*notes, *(n for t in tables for n in t.get("notes", [])),
                "frontier: hollow circles are the default points of the table; every sweep's own table is "
                "sweeps/<method>/table.md"]
    return [("frontier", "Frontier over the sweep grid (lines: each method in grid order)", draw)]


def print_report(table: dict[str, Any], console: Any = None) -> None:
    from rich.console import Console

    console = console or Console()
    for t in rich_tables(table):
        console.print(t)
    for note in table["notes"]:
        console.print(f"[dim]note: {note}[/dim]")
