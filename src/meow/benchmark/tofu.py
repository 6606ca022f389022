"""The built-in fictitious-authors benchmark, TOFU-shaped (generate.py, attributes.py, pools.py), registered as
`tofu`: `meow benchmark make --kind tofu` (or `authors`, the default), `meow demo` (meow.demo.tofu), `meow eval`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from meow.benchmark.registry import BENCHMARKS, Benchmark, Frontier

FORGET_QUALITY_LINE = 0.05  # a KS p-value above it: the forget set's truth ratios are indistinguishable from the
# retain model's at the 5% level (TOFU's reading of forget quality)


@BENCHMARKS.register("tofu")
class Tofu(Benchmark):
    title = "TOFU-shaped fictitious authors (default)"
    aliases = ("authors",)
    demo = "meow.demo.tofu"
    eval_command = "meow eval"
    tables = ("main", "robustness", "nlg")
    sequence_columns = ("forget_quality", "forget_rouge_l", "forget_fact_hit", "model_utility")
    headline = ((("model_utility",), "model utility", True), (("forget_quality",), "forget quality", False),
                (("splits", "forget", "fact_hit"), "forget key-fact acc.", True))
    frontier = Frontier("forget_quality", "model_utility", log_x=True, line=FORGET_QUALITY_LINE,
                        line_label=f"p = {FORGET_QUALITY_LINE:g}",
                        x_label="forget quality (KS-test p-value vs retain model, log scale) → better",
                        y_label="model utility → better")
    sweep_columns = ("forget_quality", "model_utility", "forget_fact_hit", "retain_fact_hit", "forget_rouge_l")

    @staticmethod
    def add_make_arguments(group: Any) -> None:
        group.add_argument("--authors", type=int, default=40,
                           help="number of authors in `full` (forget01 needs a multiple of 100; default 40)")
        group.add_argument("--qa-per-author", type=int, default=10,
                           help="questions per author (default 10, max 20 as in TOFU)")
        group.add_argument("--background", type=int, default=20,
                           help="records in each background set, real_authors and world_facts (default 20)")

    @staticmethod
    def check_requests(spec: str | int, args: argparse.Namespace) -> None:
        from meow.benchmark.requests import check_author_requests

        check_author_requests(spec, args.authors)

    @staticmethod
    def write_requests(out_dir: Path, spec: str | int | None) -> dict[str, Any] | None:
        from meow.benchmark.requests import write_author_requests

        return write_author_requests(out_dir, spec)

    @staticmethod
    def make(out_dir: Path, args: argparse.Namespace) -> None:
        from rich.console import Console
        from rich.table import Table

        from meow.benchmark.generate import make_benchmark

        manifest = make_benchmark(out_dir, authors=args.authors, qa_per_author=args.qa_per_author, seed=args.seed,
                                  background=args.background, force=args.force)
        table = Table(title=f"benchmark written to {out_dir}")
        table.add_column("split")
        table.add_column("records", justify="right")
        for name, count in manifest["splits"].items():
            table.add_row(name, str(count))
        Console().print(table)
