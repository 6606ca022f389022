"""`meow report RUN_DIR [--out DIR]`: tables, plots, HTML and Markdown over every evaluated model of a run."""

from __future__ import annotations

import argparse


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report", help="tables, plots and an HTML/Markdown report of a run's evaluated models",
        description="Read RUN_DIR/evals/<name>/summary.json (or RUN_DIR/<name>/summary.json: any set of `meow eval` "
                    "outputs), plus MEMO scores, attack and NLG results where present, and write report.html "
                    "(self-contained), report.md, table.csv, table.json and plots/*.png. Rows named target and "
                    "retain are the reference models; all others are methods.")
    p.add_argument("run_dir", metavar="RUN_DIR", help="run folder (from `meow demo`) or a folder of eval folders")
    p.add_argument("--out", default=None, metavar="DIR", help="output folder (default: RUN_DIR/report)")
    p.add_argument("--target", default="target", metavar="NAME", help="row of the target model (default: target)")
    p.add_argument("--retain", default="retain", metavar="NAME", help="row of the retain model (default: retain)")
    p.add_argument("--force", action="store_true", help="replace --out (RUN_DIR/report by default) if it exists")
    p.set_defaults(func=run_report)


def run_report(args: argparse.Namespace) -> int:
    from rich.console import Console

    from meow.report.report import build_report, print_report

    console = Console()
    table = build_report(args.run_dir, args.out, target=args.target, retain=args.retain, force=args.force)
    print_report(table, console)
    console.print("wrote:", *table["files"], sep="\n  ", soft_wrap=True)  # whole paths, never wrapped
    return 0
