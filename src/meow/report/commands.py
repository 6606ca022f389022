"""`meow report RUN_DIR [--out DIR]`: tables, plots, HTML and Markdown over every evaluated model of a run."""

from __future__ import annotations

import argparse


def add_commands(sub: argparse._SubParsersAction) -> None:
    from meow import options as O

    p = sub.add_parser(
        "report", help="tables, plots and an HTML/Markdown report of a run's evaluated models",
        description="Read RUN_DIR/evals/<name>/summary.json (or RUN_DIR/<name>/summary.json: any set of `meow eval` "
                    "outputs), plus MEMO scores, attack and NLG results where present, and write report.html "
                    "(self-contained), report.md, table.csv, table.json and plots/*.png. Rows named target and "
                    "retain are the reference models; all others are methods.")
    p.add_argument("run_dir", metavar="RUN_DIR", help="run folder (from `meow demo`) or a folder of eval folders")
    O.out(p, "output folder (default: RUN_DIR/report)", required=False, default=None, metavar="DIR")
    p.add_argument("--target-row", dest="target", default="target", metavar="NAME",
                   help="row of the target model (default: target)")
    p.add_argument("--retain-row", dest="retain", default="retain", metavar="NAME",
                   help="row of the retain model (default: retain)")
    O.renamed(p, "--target", "--target-row", "target", metavar="NAME")
    O.renamed(p, "--retain", "--retain-row", "retain", metavar="NAME")  # --retain is a data file elsewhere
    O.force(p, "replace --out (RUN_DIR/report by default) if it exists")
    p.set_defaults(func=run_report)


def run_report(args: argparse.Namespace) -> int:
    from rich.console import Console

    from meow.report.report import build_report, print_report

    console = Console()
    table = build_report(args.run_dir, args.out, target=args.target, retain=args.retain, force=args.force)
    print_report(table, console)
    console.print("wrote:", *table["files"], sep="\n  ", soft_wrap=True)  # whole paths, never wrapped
    return 0
