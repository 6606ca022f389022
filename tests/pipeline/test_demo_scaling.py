"""`meow demo --scaling --requests 2` on a very small benchmark: every method at forget05 and forget10 (the scalability
figure) and over 2 sequential requests (the sustainability figure)."""

from __future__ import annotations

import json

import pytest
from rich.console import Console

from meow.demo import DemoConfig, run_demo

SMALL = {"authors": 20, "qa_per_author": 2, "background": 2, "hidden_size": 32, "layers": 1, "train_epochs": 8.0,
         "methods": ["ga", "npo"], "attacks": [], "nlg_prefix_tokens": 0, "unlearn_epochs": 1.0,
         "eval_max_new_tokens": 8, "memo_max_new_tokens": 8, "threads": 1, "scaling": True, "requests": 2}


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


def test_every_method_over_the_sequential_requests(run):
    table = json.loads((run / "report" / "table.json").read_text())
    assert {"sustainability", "sustainability_requests"} <= set(table["plots"])
    requests = [[json.loads(line) for line in (run / "requests" / f"request_{k}.json").read_text().splitlines()]
                for k in (1, 2)]
    forget10 = [json.loads(line) for line in (run / "data" / "forget10.json").read_text().splitlines()]
    assert requests[0] + requests[1] == forget10 and {r["author"] for r in requests[0]} != {r["author"] for r in
                                                                                            requests[1]}
    for method in ("ga", "npo"):
        steps = [json.loads((run / "sequences" / method / f"step_{k}" / "eval" / "summary.json").read_text())
                 for k in (1, 2)]
        assert table["sequence"]["sustainability"]["model_utility"][method] == [
            [k, s["model_utility"]["value"]] for k, s in enumerate(steps, 1)]
        assert len(steps[1]["splits"]["forget"]["rouge_l_recall"]) and steps[1]["splits"]["forget"][
            "rouge_l_recall"]["n"] == len(forget10)  # after request 2: both requests' questions


def test_bad_request_counts_are_refused_before_anything_runs(tmp_path):
    from meow.config import from_dict
    from meow.errors import MeowError

    for n, message in ((1, "at least 2 requests"), (3, "only 2 authors in forget10")):
        with pytest.raises(MeowError, match=message):
            from_dict(DemoConfig, {**SMALL, "requests": n})
