"""Text forms of the report table: CSV, Markdown, self-contained HTML and a rich table for the terminal."""

from __future__ import annotations

import base64
import csv
import html
import io
import json
from pathlib import Path
from typing import Any

from meow.benchmark import BENCHMARKS
from meow.report.collect import METHOD
from meow.report.columns import COLUMNS, SHORT_LEGEND, TABLES, Column, columns, fmt
from meow.report.plots import DPI
from meow.report.seeds import spread_text

HOW_TO_READ = [
    ("forget quality", "p-value of a two-sample Kolmogorov-Smirnov test between the model's truth ratios on the "
                       "forget set and the retain model's (a model never trained on the forget set). Above 0.05 "
                       "the two are statistically indistinguishable: the goal of unlearning. Shown on a log scale."),
    ("model utility", "harmonic mean of 9 TOFU numbers (probability, ROUGE-L recall and truth ratio on the retain, "
                      "real-authors and world-facts sets): what the model still knows and should keep."),
    ("key-fact accuracy", "share of greedy generations that still state the question's key fact (lower on the "
                          "forget set, higher on the retain set)."),
    ("MEMO", "how much of an answer the model reproduces from its own prefixes (ROUGE-1 precision of the "
             "continuations). After unlearning the original answers should score lower than under the target "
             "model (\"before\"); MEOW fine-tunes on some of the inverted answers, which then score higher."),
    ("MIA AUC / PrivLeak", "membership inference of forget (members) against holdout (non-members) questions: an "
                           "AUC of 0.5 cannot tell them apart; PrivLeak (MUSE) = ((1 - AUC) - (1 - AUC_retain)) / "
                           "(1 - AUC_retain) * 100: 0 is best, strongly negative = still leaks."),
]


def shown_columns(table: dict[str, Any], name: str) -> list[Column]:
    """The main table always shows every column (unless no row belongs to a benchmark with a main table, e.g. a
    MUSE-only run); the others only columns with at least one value."""
    cols = columns(name)
    if name == "main":
        return [] if table["rows"] and not any(
            "main" in getattr(BENCHMARKS.for_summary(r), "tables", ()) for r in table["rows"]) else cols
    return [c for c in cols if any(r["values"][c.name] is not None for r in table["rows"])]


def is_best(table: dict[str, Any], row: dict[str, Any], c: Column) -> bool:
    return row["role"] == METHOD and row["values"][c.name] is not None and row["values"][c.name] == table[
        "best"].get(c.name)


# ---------------------------------------------------------------- CSV and Markdown

def to_csv(table: dict[str, Any]) -> str:
    """All rows and all columns; values at full precision, "n/a" where missing (pandas reads it as NaN)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["name", "role", *(c.name for c in COLUMNS)])
    for r in table["rows"]:
        w.writerow([r["name"], r["role"], *("n/a" if r["values"][c.name] is None else repr(r["values"][c.name])
                                            for c in COLUMNS)])
    return buf.getvalue()


def _md_cell(table: dict[str, Any], r: dict[str, Any], c: Column) -> str:
    text = (fmt(r["values"][c.name], c.digits) + spread_text(r, c.name, c.digits)
            + ("†" if c.name in r["notes"] else ""))
    return f"**{text}**" if is_best(table, r, c) else text


def to_markdown(table: dict[str, Any], plots: dict[str, tuple[str, str]]) -> str:
    """GitHub Markdown; images are the PNG files in plots/ next to it."""
    out = [f"# meow report: {table['run']}", "", f"Created {table['created']}. Rows: "
           + ", ".join(f"{r['name']} ({r['role']})" for r in table["rows"]) + ".", ""]
    for name, title in TABLES.items():
        cols = shown_columns(table, name)
        if not cols:
            continue
        out += [f"## {title}", "", "| model | " + " | ".join(c.header for c in cols) + " |",
                "|---|" + "---:|" * len(cols)]
        for r in table["rows"]:
            label = r["name"] if r["role"] == METHOD else f"{r['name']} *({r['role']})*"
            out.append(f"| {label} | " + " | ".join(_md_cell(table, r, c) for c in cols) + " |")
        out.append("")
    seeds = max((len(r.get("seeds") or []) for r in table["rows"]), default=0)
    if seeds > 1:
        out += [f"Method rows: mean over {seeds} seeds, (min–max) where the seeds differ, in the columns computed "
                "for every seed (forget quality, model utility, key-fact accuracies, forget ROUGE-L, MIA AUC, "
                "PrivLeak); MEMO, fluency, attacks and NLG are of the main seed's run.", ""]
    out += ["Bold: best method per column (reference models excluded). ↑ higher is better, ↓ lower is better, "
            "→x closest to x is best. n/a: not available (see table.json for why). † computed by the report "
            "(see table.json).", ""]
    for file, title in plots.values():
        out += [f"## {title}", "", f"![{title}]({file})", ""]
    out += ["## How to read this", ""] + [f"- **{k}**: {v}" for k, v in HOW_TO_READ] + [""]
    if table["notes"]:
        out += ["## Notes", ""] + [f"- {n}" for n in table["notes"]] + [""]
    out += ["## Columns", ""] + [f"- `{c.name}` ({c.header}): {c.description}. Source: {c.source}."
                                 for c in COLUMNS] + [""]
    return "\n".join(out)


# ---------------------------------------------------------------- HTML

CSS = """
body { font: 15px/1.5 -apple-system, BlinkMacSystemFont, "Segoe UI", Helvetica, Arial, sans-serif; color: #222;
       max-width: 1180px; margin: 2em auto; padding: 0 1.2em; background: #fafafa; }
h1 { font-size: 1.6em; margin-bottom: 0.1em; } h2 { font-size: 1.2em; margin-top: 1.8em;
     border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
.meta { color: #666; font-size: 0.9em; } .meta code { background: #eee; padding: 1px 4px; border-radius: 3px; }
.wrap { overflow-x: auto; }
table { border-collapse: collapse; background: white; box-shadow: 0 1px 3px rgba(0,0,0,0.08); font-size: 0.92em; }
th, td { padding: 6px 10px; border-bottom: 1px solid #eee; text-align: right; white-space: nowrap; }
th { background: #f1f3f5; font-weight: 600; vertical-align: bottom; white-space: normal; min-width: 5.5em;
     cursor: help; }
th:first-child, td:first-child { text-align: left; }
tr.ref td { color: #555; background: #f8f8f8; } tr.ref td:first-child { font-style: italic; }
td.best { background: #e3f4e6; font-weight: 700; color: #1b5e20; }
td.na { color: #aaa; cursor: help; }
.badge { font-size: 0.75em; padding: 1px 6px; border-radius: 8px; margin-left: 6px; font-style: normal;
         color: white; }
.badge.target { background: #c44e52; } .badge.retain { background: #55a868; }
.legend { color: #666; font-size: 0.85em; margin-top: 0.5em; }
figure { margin: 1.2em 0; background: white; padding: 0.8em; box-shadow: 0 1px 3px rgba(0,0,0,0.08); }
figure img { max-width: 100%; height: auto; display: block; margin: auto; }
figcaption { color: #555; font-size: 0.9em; margin-top: 0.4em; }
.howto dt { font-weight: 600; margin-top: 0.5em; } .howto dd { margin-left: 1.2em; color: #333; }
pre { background: #f1f3f5; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
details { margin: 0.5em 0; } summary { cursor: pointer; color: #444; }
ul.notes { color: #666; font-size: 0.9em; }
"""


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _html_table(table: dict[str, Any], name: str) -> str:
    cols = shown_columns(table, name)
    head = "".join(f'<th title="{_e(c.description + ". Source: " + c.source)}">{_e(c.header)}</th>' for c in cols)
    body = []
    for r in table["rows"]:
        cells = []
        for c in cols:
            v = r["values"][c.name]
            if v is None:
                cells.append(f'<td class="na" title="{_e(r["reasons"].get(c.name, ""))}">n/a</td>')
                continue
            note = r["notes"].get(c.name)
            text = (_e(fmt(v, c.digits) + spread_text(r, c.name, c.digits))
                    + (f'<sup title="{_e(note)}">†</sup>' if note else ""))
            cells.append(f'<td class="best">{text}</td>' if is_best(table, r, c) else f"<td>{text}</td>")
        badge = f'<span class="badge {r["role"]}">{r["role"]}</span>' if r["role"] != METHOD else ""
        cls = ' class="ref"' if r["role"] != METHOD else ""
        body.append(f'<tr{cls}><td title="{_e(r.get("model") or "")}">{_e(r["name"])}{badge}</td>'
                    + "".join(cells) + "</tr>")
    return (f'<div class="wrap"><table><thead><tr><th>model</th>{head}</tr></thead><tbody>' + "".join(body)
            + "</tbody></table></div>")


def to_html(table: dict[str, Any], images: dict[str, tuple[Path, str]], config_text: str | None = None,
            manifest: dict[str, Any] | None = None) -> str:
    """One self-contained page: header, tables (best method per column highlighted), embedded PNGs, how to read."""
    parts = [f"<h1>meow report</h1><div class=\"meta\">run folder <code>{_e(table['run'])}</code> · created "
             f"{_e(table['created'])} · {len(table['rows'])} models</div>"]
    if config_text:
        parts.append(f"<details><summary>config.yaml</summary><pre>{_e(config_text)}</pre></details>")
    listed = (manifest or {}).get("stages")
    stages = {k: v["seconds"] for k, v in (listed if isinstance(listed, dict) else {}).items()
              if isinstance(v, dict) and isinstance(v.get("seconds"), (int, float))}
    if stages:
        rows = "".join(f"<tr><td>{_e(k)}</td><td>{v:.1f}</td></tr>" for k, v in stages.items())
        parts.append(f"<details><summary>stage timings ({sum(stages.values()):.0f} s in all)</summary><table>"
                     f"<thead><tr><th>stage</th><th>seconds</th></tr></thead><tbody>{rows}</tbody></table></details>")
    if manifest:
        parts.append(f"<details><summary>manifest.json</summary><pre>{_e(json.dumps(manifest, indent=2))}</pre>"
                     "</details>")
    for name, title in TABLES.items():
        if shown_columns(table, name):
            parts.append(f"<h2>{_e(title)}</h2>{_html_table(table, name)}")
    parts.append('<div class="legend">Green: best method per column (target and retain are references, not '
                 "ranked). ↑ higher is better, ↓ lower is better, →x closest to x is best. n/a: not available "
                 "(hover for why). † computed by the report (hover). Hover a column header for its definition and "
                 "source.</div>")
    side = [k for k in ("forget_quality_vs_utility", "frontier") if k in images]
    for name, (path, title) in images.items():
        if len(side) == 2 and name in side:  # the single points and the sweep's frontier side by side
            if name == side[0]:
                parts.append('<div style="display: flex; gap: 1em; flex-wrap: wrap">'
                             + "".join(_figure(*images[k], max_width="49%") for k in side) + "</div>")
            continue
        parts.append(_figure(path, title))
    parts.append('<h2>How to read this</h2><dl class="howto">'
                 + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in HOW_TO_READ) + "</dl>")
    if table["notes"]:
        parts.append('<h2>Notes</h2><ul class="notes">' + "".join(f"<li>{_e(n)}</li>" for n in table["notes"])
                     + "</ul>")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>meow report: {_e(table["run"])}'
            f'</title><meta name="viewport" content="width=device-width, initial-scale=1"><style>{CSS}</style>'
            f"</head><body>{''.join(parts)}</body></html>\n")


def _figure(path: Path, title: str, max_width: str | None = None) -> str:
    raw = path.read_bytes()
    width = int.from_bytes(raw[16:20], "big") * 100 // DPI  # PNG IHDR width, shown at 100 pixels per inch
    data = base64.b64encode(raw).decode("ascii")
    box = f' style="flex: 1 1 0; max-width: {max_width}"' if max_width else ""
    size = "width: 100%" if max_width else f"width: {width}px"
    return (f'<figure{box}><img alt="{_e(title)}" style="{size}" src="data:image/png;base64,{data}">'
            f"<figcaption>{_e(title)}</figcaption></figure>")


# ---------------------------------------------------------------- terminal

def rich_tables(table: dict[str, Any]) -> list[Any]:
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    out = []
    for name, title in TABLES.items():
        cols = shown_columns(table, name)
        if not cols:
            continue
        refs = ", ".join(f"{r['name']} = {r['role']} model" for r in table["rows"] if r["role"] != METHOD)
        caption = (f"italic: {refs}; " if refs else "") + "green: best method; " + SHORT_LEGEND
        t = Table(title=f"meow report: {title.lower()}", caption=caption if name == "main" else None,
                  box=box.SIMPLE_HEAD, padding=(0, 0, 0, 1), pad_edge=False)
        t.add_column("model", style="bold", no_wrap=True)
        for c in cols:  # wide enough for every value and the header's longest word: wrap, never cut
            texts = [fmt(r["values"][c.name], c.digits) + spread_text(r, c.name, c.digits) for r in table["rows"]]
            t.add_column(c.short_header, justify="right", width=max(map(len, [*texts, *c.short_header.split()])))
        for r in table["rows"]:
            t.add_row(escape(r["name"]), *(f"[bold green]{fmt(r['values'][c.name], c.digits)}[/bold green]"
                                           + spread_text(r, c.name, c.digits) if is_best(table, r, c)
                                           else fmt(r["values"][c.name], c.digits) + spread_text(r, c.name, c.digits)
                                           for c in cols), style="italic" if r["role"] != METHOD else None)
        out.append(t)
    return out
