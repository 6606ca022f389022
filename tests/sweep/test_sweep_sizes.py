"""`meow sweep --grid forget_size=5,10`: each size's forget set, its evaluation split, its forget quality against the
retain values of the same questions, and the scalability plot's points."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meow.errors import MeowError


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def sized(tiny_model_dir, tmp_path_factory):
    """20 authors (forget05: 1 author, forget10: 2), the tiny model as the start, its forget10 evaluation as the
    reference (standing in for a retain model: the per-size restriction is what is tested)."""
    from meow.benchmark import make_benchmark
    from meow.evaluate import EvalConfig, evaluate, load_splits
    from meow.modeling import load_lm
    from meow.sweep import run_sweep

    root = tmp_path_factory.mktemp("sizes")
    make_benchmark(root / "data", authors=20, qa_per_author=2, seed=0, background=2)
    ec = EvalConfig(max_new_tokens=8, mia_gradnorm=False, fluency=False)
    splits, sources, absent = load_splits(root / "data", "forget10")
    evaluate(load_lm(tiny_model_dir), splits, None, cfg=ec, sources=sources, missing_splits=absent,
             progress=False).save(root / "ref")
    table = run_sweep("ga", str(tiny_model_dir), str(root / "data" / "forget10.json"), root / "sweep",
                      data=root / "data", retain_eval=root / "ref", target_eval=root / "ref",
                      grid={"forget_size": [5, 10]}, base={"epochs": 1, "lr": 1e-3, "batch_size": 2, "grad_accum": 1},
                      eval_cfg=ec)
    return root, table


def test_each_size_unlearns_and_is_evaluated_on_its_split(sized):
    from scipy.stats import ks_2samp

    root, table = sized
    assert [r["point"]["forget_size"] for r in table["points"]] == [5, 10]
    ref = {r["question"]: r for r in json.loads((root / "ref" / "eval.json").read_text())["splits"]["forget"]["records"]}
    for size in (5, 10):
        split = _jsonl(root / "data" / f"forget{size:02d}.json")
        trained = json.loads((root / "sweep" / "forget" / f"forget{size:02d}.json").read_text())
        assert [r["question"] for r in trained] == [r["question"] for r in split]
        run = root / "sweep" / "runs" / f"forget_size={size},seed=0"
        ev = json.loads((run / "eval" / "eval.json").read_text())
        mine = ev["splits"]["forget"]["records"]
        assert [r["question"] for r in mine] == [r["question"] for r in split]
        assert ev["splits"]["holdout"]["source"].endswith(f"holdout{size:02d}.json")
        result = json.loads((run / "result.json").read_text())
        p = ks_2samp([r["log_truth_ratio"] for r in mine], [ref[r["question"]]["log_truth_ratio"] for r in mine]).pvalue
        assert result["values"]["forget_quality"] == pytest.approx(p, rel=1e-9)  # scipy vs scipy in float64
    assert _jsonl(root / "data" / "forget05.json")[0]["question"] in {r["question"] for r in
                                                                      _jsonl(root / "data" / "forget10.json")}


def test_scalability_points_are_the_sweep_means(sized):
    from meow.report.sequence import scaling_points

    root, table = sized
    assert (root / "sweep" / "scalability.png").stat().st_size > 0
    points = scaling_points([table])
    for metric in ("forget_rouge_l", "model_utility"):
        want = [[float(r["point"]["forget_size"]), r["values"][metric]["mean"]] for r in table["points"]]
        assert points[metric]["ga"] == want


@pytest.mark.parametrize("value,message", [(7, "forget_size=7: .*no forget split 'forget07_perturbed'"), ("big", "percentage"),
                                           (0, "percentage")])
def test_bad_sizes_are_refused(sized, tiny_model_dir, tmp_path, value, message):
    from meow.sweep import run_sweep

    root, _ = sized
    with pytest.raises(MeowError, match=message):
        run_sweep("ga", str(tiny_model_dir), str(root / "data" / "forget10.json"), tmp_path / "s", data=root / "data",
                  retain_eval=root / "ref", target_eval=root / "ref", grid={"forget_size": [value]},
                  base={"epochs": 1})
