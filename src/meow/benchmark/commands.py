"""`meow benchmark make OUT_DIR`: write the built-in fictitious-authors benchmark."""

from __future__ import annotations

import argparse


def _make(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from meow.benchmark.generate import make_benchmark

    manifest = make_benchmark(args.out_dir, authors=args.authors, qa_per_author=args.qa_per_author,
                              seed=args.seed, background=args.background, force=args.force)
    table = Table(title=f"benchmark written to {args.out_dir}")
    table.add_column("split")
    table.add_column("records", justify="right")
    for name, count in manifest["splits"].items():
        table.add_row(name, str(count))
    Console().print(table)
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    bench = sub.add_parser("benchmark", help="the built-in fictitious-authors benchmark (TOFU-shaped)")
    bench.set_defaults(func=lambda args: bench.print_help() or 2)
    cmds = bench.add_subparsers(dest="benchmark_command", metavar="COMMAND")
    make = cmds.add_parser(
        "make", help="write the benchmark's splits to a folder (offline, deterministic)",
        description="Write TOFU-named splits (full, forgetXX, retainYY, *_perturbed, holdoutXX, background sets) "
                    "of invented authors as JSON Lines files, plus benchmark.json. Same arguments give "
                    "byte-identical files.")
    make.add_argument("out_dir", metavar="OUT_DIR", help="folder to write <split>.json files into")
    make.add_argument("--authors", type=int, default=40,
                      help="number of authors in `full` (forget01 needs a multiple of 100; default 40)")
    make.add_argument("--qa-per-author", type=int, default=10, help="questions per author (default 10, max 20 as in TOFU)")
    make.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    make.add_argument("--background", type=int, default=20,
                      help="records in each background set, real_authors and world_facts (default 20)")
    make.add_argument("--force", action="store_true",
                      help="replace a benchmark made with other arguments in OUT_DIR")
    make.set_defaults(func=_make)
