"""The benchmark registry: each benchmark registered once; `meow benchmark make`, `meow demo`, the demo's stage lines
and the report look it up (a benchmark registered here, in the test, is picked up by all of them)."""

from __future__ import annotations

import dataclasses
import importlib
import json

import pytest

from meow.benchmark import BENCHMARKS, Benchmark
from meow.cli import build_parser, main
from meow.demo.lines import stage_line
from meow.report.columns import TABLES
from meow.report.render import shown_columns


@pytest.mark.parametrize("name", BENCHMARKS.names())
def test_every_benchmark_names_a_demo_and_report_tables(name):
    bench = BENCHMARKS.get(name)
    assert bench.name == name and bench.title and bench.eval_command.startswith("meow ")
    demo = importlib.import_module(bench.demo)
    assert dataclasses.is_dataclass(demo.CONFIG) and callable(demo.run)
    assert bench.tables and set(bench.tables) <= set(TABLES)
    assert BENCHMARKS.by_kind(name) is bench and all(BENCHMARKS.by_kind(a) is bench for a in bench.aliases)


def test_summaries_find_their_benchmark():
    assert BENCHMARKS.for_summary({"splits": {}}).name == "tofu"  # meow eval's own summaries carry no kind
    assert BENCHMARKS.for_summary({"kind": "muse"}).name == "muse"
    assert BENCHMARKS.for_summary({"kind": "no-such"}) is None and BENCHMARKS.for_summary({"kind": 3}) is None


def test_authors_is_an_alias_of_tofu(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    args = ["--authors", "20", "--qa-per-author", "2", "--background", "1"]
    assert main(["benchmark", "make", str(a), "--kind", "authors", *args]) == 0
    assert main(["benchmark", "make", str(b), "--kind", "tofu", *args]) == 0
    files = sorted(p.name for p in a.iterdir())
    assert files == sorted(p.name for p in b.iterdir()) and "forget05.json" in files
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)


@pytest.fixture
def toy(monkeypatch):
    """A third benchmark registered for the length of one test (the registry is restored afterwards)."""
    monkeypatch.setattr(BENCHMARKS, "_items", dict(BENCHMARKS._items))

    @BENCHMARKS.register("toy")
    class Toy(Benchmark):
        title = "a test benchmark"
        demo = "meow.demo.muse"
        tables = ("muse",)
        headline = ((("score",), "toy score", True), (("extra", "deep"), "deep", False))

        @staticmethod
        def add_make_arguments(group):
            group.add_argument("--toys", type=int, default=2)

        @staticmethod
        def make(out_dir, args):
            out_dir.mkdir(parents=True, exist_ok=True)
            (out_dir / "toys.json").write_text(json.dumps(list(range(args.toys))))

    return Toy


def test_a_registered_benchmark_is_made_by_benchmark_make(toy, tmp_path):
    parser = build_parser()
    assert parser.parse_args(["benchmark", "make", str(tmp_path), "--kind", "toy"]).toys == 2
    assert main(["benchmark", "make", str(tmp_path / "t"), "--kind", "toy", "--toys", "3"]) == 0
    assert json.loads((tmp_path / "t" / "toys.json").read_text()) == [0, 1, 2]
    assert parser.parse_args(["demo", "--benchmark", "toy"]).benchmark == "toy"


def test_stage_line_and_main_table_follow_the_benchmark(toy, tmp_path):
    summary = tmp_path / "evals" / "m" / "summary.json"
    summary.parent.mkdir(parents=True)
    summary.write_text(json.dumps({"kind": "toy", "score": {"value": 0.25}, "extra": {"deep": {"value": None}}}))
    assert stage_line("eval m", tmp_path) == "toy score 0.250"  # "deep" is n/a and not shown when n/a
    summary.write_text(json.dumps({"kind": "toy", "score": {"value": None}, "extra": {"deep": {"value": 2.0}}}))
    assert stage_line("eval m", tmp_path) == "toy score n/a, deep 2.000"
    rows = [{"kind": "toy", "values": {}}]
    assert shown_columns({"rows": rows}, "main") == []  # toy lists no main table
    assert shown_columns({"rows": [*rows, {"kind": "tofu", "values": {}}]}, "main")


def test_requests_only_for_benchmarks_with_request_splits(toy, tmp_path, capsys):
    assert main(["benchmark", "make", str(tmp_path / "t"), "--kind", "toy", "--requests", "2"]) == 2
    assert "--requests: not available for --kind toy" in capsys.readouterr().err
    assert not (tmp_path / "t").exists()  # refused before anything is written
