"""`meow summarize` and `--retain-eval` over meow, TOFU and open-unlearning logs: the aggregates equal those of a
plain re-implementation of TOFU's aggregate_eval_stat.py (get_model_utility, get_forget_quality) and of
open-unlearning's metrics on the same hand-built logs, to 1e-9 relative, in every format and mixed."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import hmean, ks_2samp

from meow.cli import main
from meow.evaluate.aggregate import summarize
from meow.evaluate.logs import read_eval_logs
from meow.evaluate.logs.commands import summarize_logs
from meow.evaluate.results import EvalResult

FILES = {"retain": "eval_log.json", "forget": "eval_log_forget.json", "ra": "eval_real_author_wo_options.json",
         "wf": "eval_real_world_wo_options.json"}
N = 7


def _losses(seed: int, shift: float) -> dict[str, dict[str, list]]:
    """Per split: gt, para, pert (3 per question), rouge, holdout min-k log-prob means (for the MIA)."""
    rng = random.Random(seed)
    out = {}
    for split in FILES:
        gt = [rng.uniform(0.01, 3) * shift for _ in range(N)]
        para = [rng.uniform(0.1, 3) * shift for _ in range(N)] if split in ("forget", "retain") else gt
        out[split] = {"gt": gt, "para": para, "pert": [[rng.uniform(0.5, 4) for _ in range(3)] for _ in range(N)],
                      "rouge": [rng.random() for _ in range(N)]}
    out["mia"] = {"forget": [rng.uniform(0, 3) * shift for _ in range(N)],
                  "holdout": [rng.uniform(0, 3) for _ in range(N + 2)]}
    return out


def _tofu_logs(d: dict) -> dict[str, dict]:
    """TOFU's eval_log*.json content: dicts keyed by question index (as strings, after json.dump)."""
    return {FILES[s]: {"avg_gt_loss": {str(i): v for i, v in enumerate(d[s]["gt"])},
                       "avg_paraphrased_loss": {str(i): v for i, v in enumerate(d[s]["para"])},
                       "average_perturb_loss": {str(i): v for i, v in enumerate(d[s]["pert"])},
                       "rougeL_recall": {str(i): v for i, v in enumerate(d[s]["rouge"])},
                       "truth_ratio": {}} for s in FILES}


def _ou_logs(d: dict) -> dict[str, dict]:
    """open-unlearning's TOFU_EVAL.json content, each per-question value computed as its metrics do."""
    out: dict[str, dict] = {}

    def put(name, values):
        out[name] = {"agg_value": None, "value_by_index": {str(i): v for i, v in enumerate(values)}}

    for s in FILES:
        gt, para, pert = np.array(d[s]["gt"]), np.array(d[s]["para"]), np.array(d[s]["pert"])
        put(f"{s}_Q_A_Prob", [{"prob": float(np.exp(-x)), "avg_loss": float(x)} for x in gt])
        put(f"{s}_Q_A_PERT_Prob", [{"prob": list(np.exp(-p)), "avg_loss": list(p)} for p in pert])
        put(f"{s}_Q_A_ROUGE", [{"rougeL_recall": r, "generation": "g", "ground_truth": "a"} for r in d[s]["rouge"]])
        if s in ("forget", "retain"):
            put(f"{s}_Q_A_PARA_Prob", [{"prob": float(np.exp(-x)), "avg_loss": float(x)} for x in para])
        else:  # probability_w_options
            probs = np.exp(-gt) / (np.exp(-gt) + np.exp(-pert).sum(-1) + 1e-10)
            put(f"{s}_Q_A_Prob_normalised", [{"prob": float(p)} for p in probs])
            out[f"{s}_Q_A_Prob_normalised"]["agg_value"] = float(np.mean(probs))
        # truth_ratio handler: wrong / (correct + 1e-10), wrong = exp(-mean avg_loss of the perturbed answers)
        tr = np.exp(-pert.mean(-1)) / (np.exp(-para) + 1e-10)
        name = "forget_truth_ratio" if s == "forget" else f"{s}_Truth_Ratio"
        put(name, [{"score": float(x)} for x in tr])
        out[name]["agg_value"] = float(np.mean(np.minimum(tr, 1 / (tr + 1e-10))) if s == "forget"
                                       else np.mean(np.maximum(0, 1 - tr)))
        out[f"{s}_Q_A_Prob"]["agg_value"] = float(np.mean(np.exp(-gt)))
        out[f"{s}_Q_A_ROUGE"]["agg_value"] = float(np.mean(d[s]["rouge"]))
    # mia_min_k: scores are loss-like (-mean of the lowest log-probs); auc = roc_auc_score([0]*forget + [1]*holdout)
    f, h = d["mia"]["forget"], d["mia"]["holdout"]
    auc = sum(1.0 if y > x else 0.5 if y == x else 0.0 for x in f for y in h) / (len(f) * len(h))
    out["mia_min_k"] = {"agg_value": auc, "auc": auc,
                        "forget": {"value_by_index": {str(i): {"score": x} for i, x in enumerate(f)}},
                        "holdout": {"value_by_index": {str(i): {"score": x} for i, x in enumerate(h)}}}
    out["model_utility"] = {"agg_value": float(hmean([out[k]["agg_value"] for k in (
        "retain_Q_A_Prob", "retain_Q_A_ROUGE", "retain_Truth_Ratio", "ra_Q_A_Prob_normalised", "ra_Q_A_ROUGE",
        "ra_Truth_Ratio", "wf_Q_A_Prob_normalised", "wf_Q_A_ROUGE", "wf_Truth_Ratio")]))}
    return out


# ---------------------------------------------------------------- TOFU's aggregate_eval_stat.py, re-implemented

def tofu_model_utility(logs: dict) -> dict[str, float]:
    names = {FILES["ra"]: "Real Authors", FILES["wf"]: "Real World", FILES["retain"]: "Retain",
             FILES["forget"]: "Forget"}
    out = {}
    for k, v in logs.items():
        gt = np.array(list(v["avg_gt_loss"].values()))
        if "eval_log" in k:
            out[f"Prob. {names[k]}"] = np.mean(np.exp(-gt))
        else:
            false = np.exp(-np.array(list(v["average_perturb_loss"].values())))
            out[f"Prob. {names[k]}"] = np.mean(np.exp(-gt) / np.concatenate([np.exp(-gt)[:, None], false], 1).sum(-1))
        out[f"ROUGE {names[k]}"] = np.array(list(v["rougeL_recall"].values())).mean()
        stat = np.exp(np.array(list(v["average_perturb_loss"].values())).mean(-1)
                      - np.array(list(v["avg_paraphrased_loss"].values())))
        out[f"Truth Ratio {names[k]}"] = (np.mean(np.minimum(stat, 1 / stat)) if "forget" in k
                                         else np.mean(np.maximum(0, 1 - 1 / stat)))
    out["Model Utility"] = hmean([v for k, v in out.items() if "Forget" not in k])
    return out


def tofu_forget_quality(logs: dict, retain: dict) -> float:
    def ratios(x):
        f = x[FILES["forget"]]
        return np.exp(np.array(list(f["average_perturb_loss"].values())).mean(-1)
                      - np.array(list(f["avg_paraphrased_loss"].values())))

    return ks_2samp(ratios(logs), ratios(retain)).pvalue


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b), 1e-300)


@pytest.fixture(scope="module")
def logs(tmp_path_factory) -> dict[str, Path]:
    """The same model's and retain model's values in every format: {"<fmt>" / "<fmt>_retain": path}."""
    root = tmp_path_factory.mktemp("logs")
    out = {}
    for who, d in (("", _losses(1, 0.3)), ("_retain", _losses(2, 1.0))):
        folder = root / f"tofu{who}"
        folder.mkdir()
        for name, content in _tofu_logs(d).items():
            (folder / name).write_text(json.dumps(content))
        out[f"tofu{who}"] = folder
        (root / f"agg{who}").mkdir()
        out[f"agg{who}"] = root / f"agg{who}" / "eval_log_aggregated.json"
        out[f"agg{who}"].write_text(json.dumps(_tofu_logs(d)))
        out[f"ou{who}"] = root / f"ou{who}" / "TOFU_EVAL.json"
        out[f"ou{who}"].parent.mkdir()
        out[f"ou{who}"].write_text(json.dumps(_ou_logs(d)))
        ev = read_eval_logs(out[f"ou{who}"])  # a meow eval folder holding the same values
        EvalResult(ev, summarize(ev)).save(root / f"meow{who}")
        out[f"meow{who}"] = root / f"meow{who}"
    return out


@pytest.mark.parametrize("fmt", ["tofu", "agg", "ou", "meow"])
@pytest.mark.parametrize("retain_fmt", ["tofu", "agg", "ou", "meow"])
def test_summarize_equals_tofus_aggregation_in_every_format(logs, fmt, retain_fmt):
    tofu = json.loads(logs["agg"].read_text())
    ref = tofu_model_utility(tofu)
    ref["Forget Quality"] = tofu_forget_quality(tofu, json.loads(logs["agg_retain"].read_text()))
    _, summary = summarize_logs(logs[fmt], logs[f"{retain_fmt}_retain"])
    got = summary["tofu_names"]
    assert set(ref) <= set(got)
    for name, value in ref.items():
        assert _close(got[name], float(value)), (name, got[name], value)
    assert set(summary["model_utility"]["components"]) == {f"{s}/{m}" for s in ("retain", "real_authors",
                                                                                  "world_facts")
                                                           for m in ("probability", "rouge_l_recall", "truth_ratio")}


def test_open_unlearning_agg_values_and_privleak(logs):
    ou, ou_retain = json.loads(logs["ou"].read_text()), json.loads(logs["ou_retain"].read_text())
    _, s = summarize_logs(logs["ou"], logs["ou_retain"])
    assert _close(s["model_utility"]["value"], ou["model_utility"]["agg_value"])
    assert _close(s["splits"]["forget"]["truth_ratio"]["value"], ou["forget_truth_ratio"]["agg_value"])
    assert _close(s["splits"]["real_authors"]["probability"]["value"], ou["ra_Q_A_Prob_normalised"]["agg_value"])
    # ks_test: forget_truth_ratio scores against the retain logs' forget_truth_ratio scores
    scores = [v["score"] for v in ou["forget_truth_ratio"]["value_by_index"].values()]
    scores_r = [v["score"] for v in ou_retain["forget_truth_ratio"]["value_by_index"].values()]
    assert _close(s["forget_quality"]["value"], ks_2samp(scores, scores_r).pvalue)
    # privleak: 1 - agg_value of each model's mia_min_k, (score - ref) / (ref + 1e-10) * 100
    auc, auc_r = ou["mia_min_k"]["agg_value"], ou_retain["mia_min_k"]["agg_value"]
    assert _close(s["mia_auc"]["value"], auc)
    assert _close(s["privleak"]["value"], ((1 - auc) - (1 - auc_r)) / ((1 - auc_r) + 1e-10) * 100)
    assert s["privleak"]["reference"] == "retain model"
    _, alone = summarize_logs(logs["ou"])  # no retain logs: open-unlearning's ref_value 0.5
    assert _close(alone["privleak"]["value"], ((1 - auc) - 0.5) / (0.5 + 1e-10) * 100)
    assert alone["privleak"]["reference_auc"] == 0.5 and "default 0.5" in alone["privleak"]["reference"]
    assert alone["forget_quality"]["value"] is None and alone["forget_quality"]["reason"]


def test_summarize_cli_writes_strict_json_and_refuses_to_overwrite(logs, tmp_path, capsys):
    out = tmp_path / "s"
    assert main(["summarize", str(logs["tofu"]), "--retain-eval", str(logs["ou_retain"]), "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text(), parse_constant=lambda c: pytest.fail(c))
    assert summary["log_format"] == "tofu" and summary["retain_log_format"] == "open-unlearning"
    assert summary["privleak"]["value"] is None  # TOFU's logs hold no MIA scores: null with the reason
    assert summary["privleak"]["reason"]
    assert main(["summarize", str(logs["tofu"]), "--out", str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["summarize", str(logs["tofu"]), "--out", str(out), "--force"]) == 0
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"something": 1}))
    assert main(["summarize", str(bad)]) == 2
    assert "not a known evaluation log" in capsys.readouterr().err


def test_eval_against_published_logs_of_another_length_says_so(tiny_model_dir, tiny_bench_dir, logs, tmp_path):
    out = tmp_path / "ev"
    rc = main(["eval", "--model", str(tiny_model_dir), "--data", str(tiny_bench_dir), "--out", str(out),
               "--retain-eval", str(logs["tofu_retain"]), "--limit", "3", "--no-generation", "--no-mia"])
    assert rc == 0
    s = json.loads((out / "summary.json").read_text())
    assert s["forget_quality"]["value"] is not None and s["forget_quality"]["n_retain"] == N
    assert "cover 7 forget questions, this evaluation 3" in s["forget_quality"]["warning"]
    ev = json.loads((out / "eval.json").read_text())
    assert all(len(b["records"]) == 3 for b in ev["splits"].values()) and ev["limit"]["n"] == 3
