"""`meow benchmark make OUT_DIR --kind NAME`: write a registered built-in benchmark (meow.benchmark.registry)."""

from __future__ import annotations

import argparse
from pathlib import Path

from meow import options as O


def _make(args: argparse.Namespace) -> int:
    from meow.benchmark import BENCHMARKS
    from meow.benchmark.generate import MANIFEST
    from meow.io import prepare_output

    bench = BENCHMARKS.by_kind(args.kind)
    if args.out_dir and args.out and args.out_dir != args.out:
        from meow.errors import MeowError

        raise MeowError(f"OUT_DIR {args.out_dir} and --out {args.out}: give the output folder once")
    args.out_dir = args.out_dir or args.out
    if not args.out_dir:
        from meow.errors import MeowError

        raise MeowError("no output folder: give OUT_DIR or --out DIR")
    # a folder holding a benchmark is rewritten in place (same arguments: byte-identical; others: refused by
    # make_benchmark unless --force); any other non-empty folder is the user's and needs --force
    ours = (Path(args.out_dir) / MANIFEST).is_file()
    prepare_output(args.out_dir, kind="dir", force=args.force, replace_ok=ours, option="OUT_DIR")
    from meow.benchmark.requests import parse_spec

    spec = parse_spec(args.requests)
    if spec is not None:
        bench.check_requests(spec, args)
    bench.make(Path(args.out_dir), args)
    entry = bench.write_requests(Path(args.out_dir), spec)  # files for `meow unlearn --sequence`
    if entry:
        sizes = entry.get("records") or entry.get("articles")
        print(f"{len(entry['files'])} {entry['style']} requests: " + ", ".join(
            f"{n} ({c})" for n, c in zip(entry["files"], sizes)))
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    from meow.benchmark import BENCHMARKS

    bench = sub.add_parser("benchmark", help="the built-in benchmarks (TOFU-shaped fictitious authors, MUSE-format articles)")
    bench.set_defaults(func=lambda args: bench.print_help() or 2)
    cmds = bench.add_subparsers(dest="benchmark_command", metavar="COMMAND")
    make = cmds.add_parser(
        "make", help="write a built-in benchmark's files to a folder (offline, deterministic)",
        description="Write a registered benchmark (--kind; default: TOFU-named splits of invented authors: full, "
                    "forgetXX, retainYY, *_perturbed, holdoutXX, background sets, as JSON Lines) plus "
                    "benchmark.json. Same arguments give byte-identical files.")
    make.add_argument("out_dir", metavar="OUT_DIR", nargs="?", default=None,
                      help="folder to write <split>.json files into (or --out DIR)")
    O.out(make, "the same as OUT_DIR", required=False, default=None, metavar="DIR")
    make.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    make.add_argument("--kind", default="authors", choices=BENCHMARKS.kinds(),
                      help="which benchmark: " + "; ".join(f"{BENCHMARKS.get(n).name}: {BENCHMARKS.get(n).title}"
                                                          for n in BENCHMARKS.names()) + " (default: authors = tofu)")
    for name in BENCHMARKS.names():
        BENCHMARKS.get(name).add_make_arguments(make.add_argument_group(f"--kind {name}"))
    make.add_argument("--requests", default=None, metavar="nested|K",
                      help="also split the forget set into successive requests for `meow unlearn --sequence`: "
                      "nested = TOFU's forget01 -> forget05 -> forget10, each request the new authors "
                      "(request1.json ..); K = the largest forget split's authors in K disjoint chunks (MUSE's "
                      "sustainability folds; --kind known-facts: the forget entities in K requests, whole entities; "
                      "--kind muse: sust/forget_k.json and the nested scal/forget_k.json)")
    O.force(make, "replace a benchmark made with other arguments in OUT_DIR (or write into a folder "
                      "that holds other files)")
    make.set_defaults(func=_make)
