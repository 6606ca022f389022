"""`meow sweep` on the tiny fixtures: grid parsing, one run per point and seed, aggregation, resume, reproducibility."""

from __future__ import annotations

import json

import pytest
from rich.console import Console

from meow.errors import MeowError
from meow.sweep.grid import default_grid, parse_grid, point_name, points

FAST_EVAL = {"max_new_tokens": 8, "memorisation": False, "fluency": False}
BASE = {"batch_size": 4, "grad_accum": 1, "lr": 1e-3, "warmup_epochs": 0.0}


def test_parse_grid_types_and_order():
    grid = parse_grid(["lr=1e-4,3e-4", "epochs=5,10", "select=smallest,random"])
    assert grid == {"lr": [1e-4, 3e-4], "epochs": [5, 10], "select": ["smallest", "random"]}
    assert points(grid)[:3] == [{"lr": 1e-4, "epochs": 5, "select": "smallest"},
                                {"lr": 1e-4, "epochs": 5, "select": "random"},
                                {"lr": 1e-4, "epochs": 10, "select": "smallest"}]
    assert len(points(grid)) == 8
    assert point_name({"lr": 1e-4, "epochs": 5}, 2) == "lr=0.0001,epochs=5,seed=2"
    assert default_grid(1e-3, 10.0) == {"lr": [3.33e-4, 1e-3, 3e-3], "epochs": [5.0, 10.0]}


@pytest.mark.parametrize("bad", [["lr"], ["lr="], ["nope=1,2"], ["lr=1,1"]])
def test_parse_grid_refuses_mistakes(bad):
    with pytest.raises(MeowError):
        parse_grid(bad, known={"lr", "epochs"})


def test_spread_and_crossing():
    from meow.report.seeds import crosses_line, spread

    s = spread([0.03, None, 0.09])
    assert (s["mean"], s["min"], s["max"], s["n"]) == (pytest.approx(0.06), 0.03, 0.09, 2)
    assert crosses_line(s) and not crosses_line(spread([0.06, 0.09])) and not crosses_line(spread([0.01]))


@pytest.fixture(scope="module")
def sweep(tiny_bench_dir, tiny_model_dir, tmp_path_factory):
    from meow.evaluate import EvalConfig
    from meow.sweep import run_sweep

    out = tmp_path_factory.mktemp("sweep") / "ga"
    table = run_sweep("ga", str(tiny_model_dir), str(tiny_bench_dir / "forget10.json"), out, data=tiny_bench_dir,
                      retain_model=str(tiny_model_dir), grid={"epochs": [1.0, 2.0]}, seeds=[0, 1], base=BASE,
                      eval_cfg=EvalConfig(**FAST_EVAL), console=Console(quiet=True))
    return out, table


def test_sweep_writes_one_run_per_point_and_seed(sweep):
    out, table = sweep
    for f in ("sweep.json", "table.csv", "table.md", "frontier.png", "retain/summary.json", "target/summary.json"):
        assert (out / f).is_file(), f
    assert [r["name"] for r in table["points"]] == ["epochs=1", "epochs=2"]
    for r in table["points"]:
        assert r["seeds"] == [0, 1]
        per_seed = [json.loads((out / "runs" / n / "result.json").read_text())["values"]["model_utility"]
                    for n in r["runs"]]
        mu = r["values"]["model_utility"]
        assert mu["mean"] == pytest.approx(sum(per_seed) / 2) and (mu["min"], mu["max"]) == (min(per_seed),
                                                                                            max(per_seed))
    assert not (out / "runs" / "epochs=1,seed=0" / "model").exists()  # numbers only by default
    steps = [json.loads((out / "runs" / n / "result.json").read_text())["steps"] for n in ("epochs=1,seed=0",
                                                                                            "epochs=2,seed=0")]
    assert steps == [2, 4]  # 6 forget rows, batch 4: 2 steps an epoch
    # the retain model is the target here, so the target row is the retain model compared with itself
    assert table["target"]["values"]["forget_quality"] == pytest.approx(1.0)
    assert "epochs" in (out / "table.md").read_text()


def test_sweep_resumes_and_repeats_exactly(sweep, tiny_bench_dir, tiny_model_dir, tmp_path):
    """Same machine, same seed: a second sweep into another folder gives identical numbers; the first folder is
    reused as it is."""
    from meow.evaluate import EvalConfig
    from meow.sweep import run_sweep

    out, _ = sweep
    before = (out / "runs" / "epochs=1,seed=1" / "result.json").stat().st_mtime_ns
    again = run_sweep("ga", str(tiny_model_dir), str(tiny_bench_dir / "forget10.json"), out, data=tiny_bench_dir,
                      retain_model=str(tiny_model_dir), grid={"epochs": [1.0]}, seeds=[1], base=BASE,
                      eval_cfg=EvalConfig(**FAST_EVAL), console=Console(quiet=True))
    assert (out / "runs" / "epochs=1,seed=1" / "result.json").stat().st_mtime_ns == before
    fresh = run_sweep("ga", str(tiny_model_dir), str(tiny_bench_dir / "forget10.json"), tmp_path / "fresh",
                      data=tiny_bench_dir, retain_model=str(tiny_model_dir), grid={"epochs": [1.0]}, seeds=[1],
                      base=BASE, eval_cfg=EvalConfig(**FAST_EVAL), console=Console(quiet=True))
    assert fresh["points"][0]["values"] == again["points"][0]["values"]


def test_sweep_cli_refuses_unknown_grid_key(tiny_model_dir, tmp_path):
    from meow.cli import main

    assert main(["sweep", "--method", "ga", "--model", str(tiny_model_dir), "--forget", "x.json",
                 "--retain-eval", "r", "--out", str(tmp_path / "o"), "--grid", "bogus=1,2"]) == 2


def test_a_tofu_sweep_needs_its_retain_reference(tiny_bench_dir, tiny_model_dir, tmp_path, capsys):
    """Forget quality needs the retain model: without --retain-eval / --retain-model a sweep on TOFU data stops at
    once (one line, exit 2, nothing written); on known-facts data (no retain model exists) it runs."""
    from meow.cli import main

    out = tmp_path / "o"
    assert main(["sweep", "--method", "ga", "--model", str(tiny_model_dir), "--forget",
                 str(tiny_bench_dir / "forget10.json"), "--data", str(tiny_bench_dir), "--out", str(out)]) == 2
    assert "give --retain-eval DIR or --retain-model DIR" in capsys.readouterr().err and not out.exists()
    assert main(["sweep", "--method", "ga", "--model", str(tiny_model_dir), "--forget", "x.json",
                 "--eval-limit", "0", "--retain-eval", "r", "--out", str(out)]) == 2
    assert "--eval-limit" in capsys.readouterr().err


def test_known_facts_frontier_axes_follow_the_benchmark(tmp_path):
    """The frontier and the Markdown table of a known-facts sweep use its columns (forget KFA, neighbour KFA; linear
    x with the 0.1 goal line); a TOFU table keeps forget quality vs model utility."""
    from meow.benchmark import BENCHMARKS
    from meow.report.frontier import frontier_plot, sweep_benchmark
    from meow.sweep.table import to_markdown

    def s(v):
        return {"mean": v, "min": v, "max": v, "n": 1}

    kf = BENCHMARKS.get("known-facts").frontier
    assert (kf.x, kf.y, kf.log_x, kf.line) == ("kf_forget_max", "kf_neighbour", False, 0.1)
    table = {"method": "meow", "benchmark": "known-facts", "grid": {"lr": [1e-3, 3e-3]}, "notes": [],
             "target": {"name": "target", "values": {"kf_forget_max": 1.0, "kf_neighbour": 1.0}},
             "retain": {"name": "retain", "values": {}},
             "points": [{"name": f"lr={lr}", "point": {"lr": lr}, "seeds": [0],
                         "values": {"kf_forget_max": s(x), "kf_neighbour": s(y)}}
                        for lr, x, y in ((1e-3, 0.6, 0.95), (3e-3, 0.1, 0.8))]}
    assert sweep_benchmark(table).name == "known-facts" and sweep_benchmark({}).name == "tofu"
    assert frontier_plot([table], tmp_path / "f.png") == [] and (tmp_path / "f.png").stat().st_size > 0
    md = to_markdown([table])
    assert "forget KFA: highest over probe kinds" in md and "| 0.100 |" in md and "retain" not in md
    assert "forget quality" in to_markdown([{**table, "benchmark": "tofu"}])
