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

from meow.errors import MeowError
from meow.io import atomic_write_text, write_json
from meow.report.collect import METHOD, RETAIN, TARGET, Run, load_run
from meow.report.columns import COLUMNS, best
from meow.report.plots import forget_quality_vs_utility, memo_before_after, metric_bars
from meow.report.render import rich_tables, to_csv, to_html, to_markdown

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
            v, why = c.get(m, run)
            values[c.name] = v
            if v is None:
                reasons[c.name] = why
        notes = {k: e["note"] for k, e in m.recomputed.items() if e.get("value") is not None}
        rows.append({"name": m.name, "role": m.role, "folder": _rel(m.folder, run.folder),
                     "model": m.summary.get("model"), "kind": m.summary.get("kind", "tofu"), "values": values,
                     "reasons": reasons, "notes": notes})
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


def _check_out(out: Path, run: Run) -> None:
    """The report folder must not be (or hold) an evaluation folder: its files would sit among the inputs."""
    for m in run.models:
        if out.resolve() == m.folder.resolve():
            raise MeowError(f"--out {out}: is the evaluation folder of {m.name!r}; choose another folder")


def build_report(run_dir: str | Path, out_dir: str | Path | None = None, target: str = TARGET,
                 retain: str = RETAIN) -> dict[str, Any]:
    """Write the report of `run_dir` into `out_dir` (default RUN/report); returns table.json content plus "out",
    "html", "markdown" and "files" (every file written). `target` / `retain`: the rows of the reference models."""
    run = load_run(run_dir, target, retain)
    out = Path(out_dir) if out_dir is not None else Path(run_dir) / "report"
    _check_out(out, run)
    table = build_table(run)
    plots_dir = out / "plots"
    specs = [("forget_quality_vs_utility", "Forget quality vs. model utility", forget_quality_vs_utility),
             ("memo", "MEMO of original vs. inverted answers, before and after unlearning", memo_before_after),
             ("metrics", "Main metrics per model", metric_bars)]
    if any(r["values"][c["name"]] is not None for r in table["rows"] for c in table["columns"]
           if c["table"] == "robustness"):
        specs.append(("robustness", "Robustness per model",
                      lambda t, p: metric_bars(t, p, "robustness", "Robustness per model")))
    images: dict[str, tuple[Path, str]] = {}
    for name, title, draw in specs:
        path = plots_dir / f"{name}.png"
        path.unlink(missing_ok=True)  # a stale plot from an earlier report must not be embedded
        table["notes"] += draw(table, path)
        if path.is_file():
            images[name] = (path, title)
    table["plots"] = {k: _rel(p, out) for k, (p, _) in images.items()}
    write_json(out / "table.json", table)
    atomic_write_text(out / "table.csv", to_csv(table))
    atomic_write_text(out / "report.md", to_markdown(table, {k: (_rel(p, out), t) for k, (p, t) in images.items()}))
    atomic_write_text(out / "report.html", to_html(table, images, run.config_text, run.manifest))
    files = [out / n for n in ("report.html", "report.md", "table.csv", "table.json")]
    return {**table, "out": str(out), "html": str(files[0]), "markdown": str(files[1]),
            "files": [str(p) for p in files + [p for p, _ in images.values()]]}


def print_report(table: dict[str, Any], console: Any = None) -> None:
    from rich.console import Console

    console = console or Console()
    for t in rich_tables(table):
        console.print(t)
    for note in table["notes"]:
        console.print(f"[dim]note: {note}[/dim]")
