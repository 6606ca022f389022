"""`meow benchmark make OUT_DIR`: write the built-in fictitious-authors benchmark."""

from __future__ import annotations

import argparse
from pathlib import Path


def _make(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from meow.benchmark.generate import MANIFEST, make_benchmark
    from meow.benchmark.requests import add_requests, check_spec, parse_spec
    from meow.io import prepare_output

    # a folder holding a benchmark is rewritten in place (same arguments: byte-identical; others: refused by
    # make_benchmark unless --force); any other non-empty folder is the user's and needs --force
    ours = (Path(args.out_dir) / MANIFEST).is_file()
    prepare_output(args.out_dir, kind="dir", force=args.force, replace_ok=ours, option="OUT_DIR")
    spec = parse_spec(args.requests)
    check_spec(spec, args.kind, authors=args.authors, articles=args.articles)  # before anything is written
    if args.kind == "muse":
        return _make_muse(args, spec)
    manifest = make_benchmark(args.out_dir, authors=args.authors, qa_per_author=args.qa_per_author,
                              seed=args.seed, background=args.background, force=args.force)
    requests = add_requests(args.out_dir, spec)  # meow.benchmark.requests: request1..K for `meow unlearn --sequence`
    manifest["splits"] |= {n: c for n, c in zip(requests["files"], requests["records"])} if requests else {}
    table = Table(title=f"benchmark written to {args.out_dir}")
    table.add_column("split")
    table.add_column("records", justify="right")
    for name, count in manifest["splits"].items():
        table.add_row(name, str(count))
    Console().print(table)
    return 0


def _make_muse(args: argparse.Namespace, spec: str | int | None) -> int:
    from meow.benchmark.muse import make_muse_benchmark
    from meow.benchmark.requests import add_requests
    from meow.io import read_json

    make_muse_benchmark(args.out_dir, articles=args.articles, qa_per_article=args.qa_per_article, seed=args.seed,
                        force=args.force)
    add_requests(args.out_dir, spec)  # sust/ and scal/ (or, without --requests, none left from an earlier run)
    manifest = read_json(Path(args.out_dir) / "benchmark.json")
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
    make.add_argument("out_dir", metavar="OUT_DIR", help="folder to write <split>.json files into")
    make.add_argument("--authors", type=int, default=40,
                      help="number of authors in `full` (forget01 needs a multiple of 100; default 40)")
    make.add_argument("--qa-per-author", type=int, default=10, help="questions per author (default 10, max 20 as in TOFU)")
    make.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    make.add_argument("--background", type=int, default=20,
                      help="records in each background set, real_authors and world_facts (default 20)")
    make.add_argument("--kind", default="authors", choices=("authors", "muse"),
                      help="authors: TOFU-shaped fictitious authors (default); muse: invented news articles in "
                           "MUSE's layout (raw/, verbmem/, knowmem/, privleak/)")
    make.add_argument("--articles", type=int, default=10,
                      help="--kind muse: articles in each raw split (forget, retain1, retain2, holdout; default 10)")
    make.add_argument("--qa-per-article", type=int, default=4,
                      help="--kind muse: KnowMem questions per article (default 4, max 8)")
    make.add_argument("--force", action="store_true",
                      help="replace a benchmark made with other arguments in OUT_DIR (or write into a folder "
                      "that holds other files)")
    make.add_argument("--requests", default=None, metavar="nested|K",
                      help="also split the forget set into successive requests for `meow unlearn --sequence` "
                      "(request1.json ..): nested = TOFU's forget01 -> forget05 -> forget10, each request the new "
                      "authors; K = the largest forget split's authors in K disjoint chunks (MUSE's sustainability "
                      "folds; --kind muse: sust/forget_k.json and the nested scal/forget_k.json)")
    make.set_defaults(func=_make)
