"""The known-facts benchmark in the registry: `meow benchmark make --kind known-facts --model DIR`, `meow demo
--model DIR` (meow.demo.known_facts), `meow eval --forget-split forget`, the report's "Known facts" table."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from meow.benchmark.registry import BENCHMARKS, Benchmark, Frontier

GOAL = 0.1  # the forget key-fact accuracy a method must reach on every probe kind (issue 17's goal, docs/known_facts.md)


@BENCHMARKS.register("known-facts")
class KnownFacts(Benchmark):
    title = "the built-in bank of common-knowledge questions probed on --model (what it learned in pre-training)"
    demo = "meow.demo.known_facts"
    eval_command = "meow eval"
    tables = ("main", "known_facts", "robustness")
    headline = ((("known_facts",), "known facts: highest forget KFA", True),)
    frontier = Frontier("kf_forget_max", "kf_neighbour", log_x=False, line=GOAL, line_label=f"goal {GOAL:g}",
                        x_label="forget key-fact accuracy, highest over the probe kinds ← better",
                        y_label="neighbour key-fact accuracy → better")
    sweep_columns = ("kf_forget_max", "kf_forget_fill_in_blank", "kf_forget_question", "kf_forget_adversarial",
                     "kf_neighbour", "kf_general")
    retain_model = False  # knowledge from pre-training: the model before unlearning is the reference

    @staticmethod
    def holds(folder: Path) -> bool:
        from meow.benchmark.known_facts.make import is_known_facts

        return is_known_facts(folder)

    @staticmethod
    def add_make_arguments(group: Any) -> None:
        from meow.benchmark.known_facts.options import add_known_facts_arguments

        add_known_facts_arguments(group)

    @staticmethod
    def make(out_dir: Path, args: argparse.Namespace) -> None:
        from meow.benchmark.known_facts.options import make_known_facts_cli

        make_known_facts_cli(args)
