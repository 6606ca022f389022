"""The MUSE-format mini benchmark registered as `muse`: `meow benchmark make --kind muse`, `meow demo --benchmark
muse` (meow.demo.muse), `meow eval-muse` (summary.json "kind": "muse"), the report's MUSE table."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from meow.benchmark.registry import BENCHMARKS, Benchmark


@BENCHMARKS.register("muse")
class Muse(Benchmark):
    title = "invented news articles in MUSE's layout (raw/, verbmem/, knowmem/, privleak/)"
    demo = "meow.demo.muse"
    eval_command = "meow eval-muse"
    tables = ("muse",)
    sequence_columns = ("verbmem_forget", "knowmem_forget", "knowmem_retain", "muse_privleak")
    headline = ((("verbmem_forget",), "VerbMem forget", True), (("knowmem_forget",), "KnowMem forget", True),
                (("knowmem_retain",), "KnowMem retain", True), (("privleak",), "PrivLeak", True))

    @staticmethod
    def add_make_arguments(group: Any) -> None:
        group.add_argument("--articles", type=int, default=10,
                           help="articles in each raw split (forget, retain1, retain2, holdout; default 10)")
        group.add_argument("--qa-per-article", type=int, default=4,
                           help="KnowMem questions per article (default 4, max 8)")

    @staticmethod
    def check_requests(spec: str | int, args: argparse.Namespace) -> None:
        from meow.benchmark.requests import check_text_requests

        check_text_requests(spec, args.articles)

    @staticmethod
    def write_requests(out_dir: Path, spec: str | int | None) -> dict[str, Any] | None:
        from meow.benchmark.requests import write_text_requests

        return write_text_requests(out_dir, spec)

    @staticmethod
    def make(out_dir: Path, args: argparse.Namespace) -> None:
        from meow.benchmark.muse.generate import make_muse_benchmark

        manifest = make_muse_benchmark(out_dir, articles=args.articles, qa_per_article=args.qa_per_article,
                                       seed=args.seed, force=args.force)
        for rel, count in manifest["files"].items():
            print(f"{rel}: {count}")
        print(f"MUSE-format benchmark written to {out_dir} (evaluate with `meow eval-muse --data {out_dir}`)")
