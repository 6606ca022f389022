"""`meow demo --scaling` on a very small benchmark: every method at forget05 and forget10, the scalability figure."""

from __future__ import annotations

import json

import pytest
from rich.console import Console

from meow.demo import DemoConfig, run_demo

SMALL = {"authors": 20, "qa_per_author": 2, "background": 2, "hidden_size": 32, "layers": 1, "train_epochs": 8.0,
         "methods": ["ga", "npo"], "attacks": [], "nlg_prefix_tokens": 0, "unlearn_epochs": 1.0,
         "eval_max_new_tokens": 8, "memo_max_new_tokens": 8, "threads": 1, "scaling": True}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo") / "run"
    run_demo(folder, DemoConfig(**SMALL), console=Console(quiet=True))
    return folder


def test_every_method_at_every_size(run):
    table = json.loads((run / "report" / "table.json").read_text())
    assert "scalability" in table["plots"] and (run / "report" / table["plots"]["scalability"]).is_file()
    points = table["sequence"]["scalability"]
    for method in ("ga", "npo"):
        sweep = json.loads((run / "scaling" / method / "sweep.json").read_text())
        assert [p["point"]["forget_size"] for p in sweep["points"]] == [5, 10]
        for metric in ("forget_rouge_l", "model_utility"):
            assert points[metric][method] == [[float(p["point"]["forget_size"]), p["values"][metric]["mean"]]
                                              for p in sweep["points"]]
        # forget10 with the demo's own options, seed and start is the demo's main run of the method: same numbers
        main = json.loads((run / "evals" / method / "summary.json").read_text())
        big = json.loads((run / "scaling" / method / "runs" / "forget_size=10,seed=0" / "eval" / "summary.json")
                         .read_text())
        assert big["model_utility"]["value"] == main["model_utility"]["value"]
        assert big["splits"]["forget"]["rouge_l_recall"] == main["splits"]["forget"]["rouge_l_recall"]


def test_scaling_sizes_are_the_tofu_sizes_up_to_the_forget_split():
    from meow.demo.scaling import scaling_sizes

    assert scaling_sizes(20, "forget10") == [5, 10] and scaling_sizes(100, "forget05") == [1, 5]
    assert scaling_sizes(10, "forget10") == [10]
