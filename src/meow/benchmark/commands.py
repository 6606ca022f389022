"""`meow benchmark make OUT_DIR`: write the built-in fictitious-authors benchmark."""

from __future__ import annotations

import argparse
from pathlib import Path


def _make(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from meow.benchmark.generate import MANIFEST, make_benchmark
    from meow.errors import MeowError
    from meow.io import prepare_output

    if args.out_dir and args.out and args.out_dir != args.out:
        raise MeowError(f"OUT_DIR {args.out_dir} and --out {args.out}: give the output folder once")
    args.out_dir = args.out_dir or args.out
    if not args.out_dir:
        raise MeowError("no output folder: give OUT_DIR or --out DIR")
    if args.kind == "known-facts":
        from meow.benchmark.known_facts.commands import make_known_facts_cli

        return make_known_facts_cli(args)

    # a folder holding a benchmark is rewritten in place (same arguments: byte-identical; others: refused by
    # make_benchmark unless --force); any other non-empty folder is the user's and needs --force
    ours = (Path(args.out_dir) / MANIFEST).is_file()
    prepare_output(args.out_dir, kind="dir", force=args.force, replace_ok=ours, option="OUT_DIR")
    if args.kind == "muse":
        return _make_muse(args)
    manifest = make_benchmark(args.out_dir, authors=args.authors, qa_per_author=args.qa_per_author,
                              seed=args.seed, background=args.background, force=args.force)
    table = Table(title=f"benchmark written to {args.out_dir}")
    table.add_column("split")
    table.add_column("records", justify="right")
    for name, count in manifest["splits"].items():
        table.add_row(name, str(count))
    Console().print(table)
    return 0


def _make_muse(args: argparse.Namespace) -> int:
    from meow.benchmark.muse import make_muse_benchmark

    manifest = make_muse_benchmark(args.out_dir, articles=args.articles, qa_per_article=args.qa_per_article,
                                   seed=args.seed, force=args.force)
    for rel, count in manifest["files"].items():
        print(f"{rel}: {count}")
    print(f"MUSE-format benchmark written to {args.out_dir} (evaluate with `meow eval-muse --data {args.out_dir}`)")
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
    make.add_argument("out_dir", metavar="OUT_DIR", nargs="?", default=None,
                      help="folder to write <split>.json files into (or --out)")
    make.add_argument("--out", default=None, metavar="DIR", help="the same as OUT_DIR")
    make.add_argument("--authors", type=int, default=40,
                      help="number of authors in `full` (forget01 needs a multiple of 100; default 40)")
    make.add_argument("--qa-per-author", type=int, default=10, help="questions per author (default 10, max 20 as in TOFU)")
    make.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    make.add_argument("--background", type=int, default=20,
                      help="records in each background set, real_authors and world_facts (default 20)")
    make.add_argument("--kind", default="authors", choices=("authors", "muse", "known-facts"),
                      help="authors: TOFU-shaped fictitious authors (default); muse: invented news articles in "
                           "MUSE's layout (raw/, verbmem/, knowmem/, privleak/); known-facts: the built-in bank of "
                           "common-knowledge questions probed on --model (what it learned in pre-training)")
    make.add_argument("--articles", type=int, default=10,
                      help="--kind muse: articles in each raw split (forget, retain1, retain2, holdout; default 10)")
    make.add_argument("--qa-per-article", type=int, default=4,
                      help="--kind muse: KnowMem questions per article (default 4, max 8)")
    make.add_argument("--force", action="store_true",
                      help="replace a benchmark made with other arguments in OUT_DIR (or write into a folder "
                      "that holds other files)")
    from meow.benchmark.known_facts.commands import add_known_facts_arguments

    add_known_facts_arguments(make)
    make.set_defaults(func=_make)
