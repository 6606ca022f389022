"""Collapsed models evaluate: logits scaled by 1e3, 1e6, 1e36 and NaN weights (copies of the tiny model).

`meow eval`, `meow memo` and `meow attack relearn / paraphrase / prefix` finish with exit 0, every JSON file they
write is strict JSON (no NaN / Infinity), and summary.json says what could not be computed and why.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest

from meow.cli import main
from meow.evaluate import mia, tofu

BROKEN = ("scale1e3", "scale1e6", "scale1e36", "nan")


def _strict(path: Path):
    def no_constant(name: str):
        raise AssertionError(f"{path}: bare {name} in JSON")

    return json.loads(path.read_text(encoding="utf-8"), parse_constant=no_constant)


@pytest.fixture(scope="module")
def broken_models(tiny_model_dir, tmp_path_factory) -> dict[str, Path]:
    """Scaling the final norm's weight scales the logits exactly (untied lm_head input); NaN: one layer's weights."""
    import torch
    from transformers import AutoModelForCausalLM

    root = tmp_path_factory.mktemp("broken")
    out = {}
    for name in BROKEN:
        folder = root / name
        shutil.copytree(tiny_model_dir, folder)
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
        with torch.no_grad():
            if name == "nan":
                model.model.layers[0].mlp.down_proj.weight.fill_(float("nan"))
            else:
                model.model.norm.weight.mul_(float(name.removeprefix("scale")))
        model.save_pretrained(folder)
        out[name] = folder
    return out


@pytest.fixture(scope="module")
def small_data(tiny_bench_dir, tmp_path_factory) -> Path:
    """Three records per split (the tests stay fast); forget records also carry inverted answers for memo."""
    folder = tmp_path_factory.mktemp("small")
    for f in tiny_bench_dir.glob("*.json"):
        try:
            data = json.loads(f.read_text())
        except json.JSONDecodeError:  # JSON Lines under a .json name
            data = [json.loads(line) for line in f.read_text().splitlines() if line.strip()]
        if isinstance(data, list):
            data = data[:3]
            for r in data:
                if "perturbed_answer" in r:
                    r["inverted_answers"] = r["perturbed_answer"][:2]
        (folder / f.name).write_text(json.dumps(data))
    return folder


@pytest.mark.parametrize("name", BROKEN)
def test_eval_of_a_collapsed_model_is_strict_json_with_reasons(broken_models, small_data, tmp_path, name):
    out = tmp_path / "ev"
    rc = main(["eval", "--model", str(broken_models[name]), "--data", str(small_data), "--out", str(out),
               "--max-new-tokens", "4", "--limit", "2"])
    assert rc == 0
    ev, summary = _strict(out / "eval.json"), _strict(out / "summary.json")
    _strict(out / "config.json")
    assert all(len(b["records"]) == 2 for b in ev["splits"].values())  # --limit 2
    assert summary["limit"]["n"] == 2
    for key in ("model_utility", "forget_quality", "mia_auc", "privleak"):
        entry = summary[key]
        assert entry["value"] is not None or entry["reason"], key  # a number, or null with a reason
        assert entry["value"] is None or math.isfinite(entry["value"])
    if name == "nan":
        assert summary["unavailable"], "the NaN model's values are marked unavailable"
        assert any("not finite" in why for why in summary["unavailable"].values())
        rec = ev["splits"]["forget"]["records"][0]
        assert rec["nll_answer"] is None and "probability" in rec["unavailable"]
        assert summary["splits"]["forget"]["probability"]["value"] is None
        assert summary["splits"]["forget"]["probability"]["reason"]
        assert summary["model_utility"]["value"] is None and summary["model_utility"]["reason"]
        assert "forget/extraction_strength" in summary["unavailable"]  # NaN logits: argmax hits mean nothing
    else:  # finite logits: every TOFU number is a finite number
        for split in ("forget", "retain", "real_authors", "world_facts"):
            for metric in ("probability", "truth_ratio"):
                assert math.isfinite(summary["splits"][split][metric]["value"]), (split, metric)
        assert summary["model_utility"]["value"] is not None


@pytest.mark.parametrize("name", ["scale1e36", "nan"])
def test_memo_and_attacks_of_a_collapsed_model_finish(broken_models, small_data, tmp_path, name):
    model = str(broken_models[name])
    for metric in ("memo", "ma", "el"):
        out = tmp_path / f"memo_{metric}.json"
        assert main(["memo", "--model", model, "--forget", str(small_data / "forget10_perturbed.json"), "--out",
                     str(out), "--metric", metric, "--max-new-tokens", "3", "--stride", "40"]) == 0
        _strict(out)
        summary = _strict(out.with_name(f"{out.stem}.summary.json"))
        if name == "nan" and metric == "ma":  # teacher-forced argmax of NaN log-probs: marked, not a made-up 0
            assert "not finite" in summary["unavailable"] and summary["answer"]["count"] == 0
    for attack, extra in (("relearn", ["--steps", "1", "--lr", "1e-3"]), ("paraphrase", []),
                          ("prefix", ["--stride", "40"])):
        out = tmp_path / attack
        rc = main(["attack", attack, "--model", model, "--data", str(small_data), "--out", str(out),
                   "--max-new-tokens", "3", *extra])
        assert rc == 0, attack
        for f in out.rglob("*.json"):
            _strict(f)


def test_log_space_metrics_do_not_overflow():
    # mean NLLs in the thousands (a long gradient ascent run): math.exp would raise OverflowError
    assert tofu.probability(5000.0) == 0.0
    assert tofu.option_probability(3000.0, [3001.0, 3002.0]) == pytest.approx(
        1 / (1 + math.exp(-1) + math.exp(-2)))  # softmax of -NLL, shifted: the same ratio as at small NLLs
    assert tofu.truth_ratio(5000.0, [1.0]) == math.inf  # R itself overflows; log R stays
    assert tofu.log_truth_ratio(5000.0, [1.0, 3.0]) == pytest.approx(4998.0)
    assert tofu.truth_ratio_forget([4998.0, -4998.0]) == 0.0  # min(R, 1/R) = exp(-|log R|)
    assert tofu.truth_ratio_kept([4998.0, -4998.0]) == pytest.approx(0.5)  # max(0, 1 - R): 0 and 1
    assert tofu.logsumexp([1000.0, 1000.0]) == pytest.approx(1000 + math.log(2))
    assert math.isnan(tofu.option_probability(float("nan"), [1.0]))
    assert math.isnan(mia.min_k([-1.0, float("nan")], 0.5))
    assert math.isnan(tofu.harmonic_mean([0.5, float("nan")]))
    rec = {"log_truth_ratio": 4998.0, "truth_ratio": None}  # what eval.json holds when R overflowed
    assert tofu.record_log_ratio(rec) == 4998.0
    assert tofu.record_log_ratio({"truth_ratio": 0.5}) == pytest.approx(math.log(0.5))  # older folders
