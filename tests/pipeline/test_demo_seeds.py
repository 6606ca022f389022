"""`meow demo --seeds N --sweep` on a very small benchmark: extra seeds, sweeps, spread in the report, environment."""

from __future__ import annotations

import json

import pytest
from rich.console import Console

from meow.demo import DemoConfig, run_demo

SMALL = {"authors": 10, "qa_per_author": 3, "background": 3, "hidden_size": 32, "layers": 1, "train_epochs": 8.0,
         "methods": ["ga"], "attacks": [], "nlg_prefix_tokens": 0, "unlearn_epochs": 1.0, "eval_max_new_tokens": 8,
         "memo_max_new_tokens": 8, "threads": 1, "seeds": 2, "sweep": True, "sweep_grid": "epochs=1,2"}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo") / "run"
    result = run_demo(folder, DemoConfig(**SMALL), console=Console(quiet=True))
    return folder, result


def test_environment_is_recorded(run):
    folder, _ = run
    env = json.loads((folder / "environment.json").read_text())
    assert env["torch_threads"] == 1 and env["versions"]["torch"] and env["versions"]["numpy"]
    assert "gpu" in env and env["cpu"]["vendor"] and env["kernels"]["torch_level"]


def test_seeds_give_mean_and_spread(run):
    folder, _ = run
    table = json.loads((folder / "report" / "table.json").read_text())
    ga = next(r for r in table["rows"] if r["name"] == "ga")
    assert ga["seeds"] == [0, 1]
    main = json.loads((folder / "evals" / "ga" / "summary.json").read_text())["model_utility"]["value"]
    extra = json.loads((folder / "seeds" / "ga" / "runs" / "seed=1" / "result.json").read_text())
    assert extra["seed"] == 1
    per_seed = [main, extra["values"]["model_utility"]]
    assert ga["values"]["model_utility"] == pytest.approx(sum(per_seed) / 2)
    assert ga["spread"]["model_utility"]["min"] == min(per_seed)


def test_sweep_reuses_stages_and_draws_the_frontier(run):
    folder, _ = run
    sweep = json.loads((folder / "sweeps" / "ga" / "sweep.json").read_text())
    assert [p["name"] for p in sweep["points"]] == ["epochs=1", "epochs=2"]
    assert all(p["seeds"] == [0, 1] for p in sweep["points"])
    assert (folder / "report" / "plots" / "frontier.png").is_file()
    assert "frontier" in json.loads((folder / "report" / "table.json").read_text())["plots"]
    again = run_demo(folder, DemoConfig(**SMALL), console=Console(quiet=True))
    assert all(reused for name, _, reused in again["timings"] if name != "report")
