"""Reports over evaluated models: tables (CSV, JSON, Markdown, HTML), plots, one self-contained HTML page.

    from meow.report import build_report
    table = build_report("runs/demo")            # writes runs/demo/report/{report.html, report.md, table.*, plots/}
    table["rows"][0]["values"]["forget_quality"]

What a run folder holds is documented in `meow.report.collect`; the columns (and where each value comes from) in
`meow.report.columns`; the output files in `meow.report.report`.
"""

from meow.report.collect import Run, load_run
from meow.report.columns import COLUMNS, Column
from meow.report.report import build_report, build_table, print_report

__all__ = ["COLUMNS", "Column", "Run", "build_report", "build_table", "load_run", "print_report"]
