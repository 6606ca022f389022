"""Auto-MEMO before training, evaluation while training, forget quality against a retain evaluation, best model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scipy.stats import ks_2samp
from tolerances import PY

from meow.data import load_records
from meow.io import write_json, write_records
from meow.memo import score_records
from meow.modeling import load_lm, mean_nll
from meow.unlearn.config import resolve_configs
from meow.unlearn.run import unlearn
from meow.unlearn.select import select_inverted

RETAIN_RATIOS = [0.3, 0.5, 0.8]


@pytest.fixture(scope="module")
def run_with_eval(tiny_model_dir, unlearn_files, tmp_path_factory):
    d = tmp_path_factory.mktemp("eval_run")
    forget = load_records(unlearn_files["forget_plain"])[:2]  # no MEMO scores: computed before training
    write_records(d / "forget.json", forget)
    write_json(d / "retain_eval" / "eval.json", {"format": 1, "splits": {"forget": {"records": [
        {"question": f"q{i}", "truth_ratio": r} for i, r in enumerate(RETAIN_RATIOS)]}}})
    cfg, method = resolve_configs(None, {
        "method": "meow", "max_steps": 4, "lr": 1e-3, "grad_accum": 1, "batch_size": 2, "warmup_epochs": 0,
        "top_k": 2, "memo_max_new_tokens": 6, "eval_max_new_tokens": 8, "eval_every": "2",
        "best_metric": "forget_loss:max", "retain_eval": str(d / "retain_eval"), "dtype": "float64"})
    from accelerate.state import AcceleratorState

    summary = unlearn(str(tiny_model_dir), str(d / "forget.json"), str(d / "out"), cfg, method,
                      retain=str(unlearn_files["retain"]))
    AcceleratorState._reset_state(True)
    return d, forget, summary


def test_auto_memo_scores_with_the_starting_model(run_with_eval, tiny_model_dir):
    d, forget, summary = run_with_eval
    assert summary["memo_computed"] == 2
    scored = load_records(d / "out" / "forget_memo.json")
    want = score_records(load_lm(tiny_model_dir, dtype="float64"), forget, stride=5, max_new_tokens=6, progress=False)
    assert [r["memo"]["inverted_answers"] for r in scored] == [r["memo"]["inverted_answers"] for r in want]
    picks = [json.loads(line) for line in (d / "out" / "selected.jsonl").read_text().splitlines()]
    assert [[s["index"] for s in p["selected"]] for p in picks] == select_inverted(want, 2, "smallest")
    assert not (d / "forget.json").read_text().count('"memo"')  # the input file is left alone


def test_eval_rows_and_best_model(run_with_eval):
    d, forget, summary = run_with_eval
    rows = [json.loads(line) for line in (d / "out" / "train_log.jsonl").read_text().splitlines()]
    evals = [r for r in rows if "eval" in r]
    assert [r["step"] for r in evals] == [2, 4]
    for r in evals:
        assert set(r["eval"]) == {"forget_loss", "retain_loss", "forget_rouge_l", "forget_memo", "forget_quality"}
        assert 0 <= r["eval"]["forget_rouge_l"] <= 1 and 0 <= r["eval"]["forget_memo"] <= 1
    best = max(evals, key=lambda r: r["eval"]["forget_loss"])
    assert summary["best"]["step"] == best["step"] and summary["best"]["value"] == best["eval"]["forget_loss"]
    lm = load_lm(d / "out" / "best", dtype="float64")  # the kept model scores what the log says it scored
    got = mean_nll(lm, [r["question"] for r in forget], [r["answer"] for r in forget])
    # the run and this reload are float64 (equality is the claim) and differ only in batching, i.e. the order of
    # float64 sums: logprob_bound(600, 50 x 2^-53, 50, 2^-53) ~ 1e-13 per log-prob (tests/tolerances.py), and so
    # for their mean; 1e-9 absolute (the NLL is ~1-5) leaves 1e4 to spare on any CPU
    assert sum(got) / len(got) == pytest.approx(best["eval"]["forget_loss"], rel=0, abs=1e-9)


def test_forget_quality_is_the_ks_p_value_against_the_retain_model(run_with_eval):
    d, forget, _ = run_with_eval
    last = [json.loads(line) for line in (d / "out" / "train_log.jsonl").read_text().splitlines() if "eval" in line][-1]
    lm = load_lm(Path(d / "out"), dtype="float64")  # after the last step, the model evaluated at step 4
    ratios = []
    for r in forget:
        para = mean_nll(lm, [r["question"]], [r["paraphrased_answer"]])[0]
        pert = mean_nll(lm, [r["question"]] * len(r["perturbed_answer"]), r["perturbed_answer"])
        ratios.append(2.718281828459045 ** (para - sum(pert) / len(pert)))
    # the KS p-value depends only on the order of the 2 + 3 ratios, which float64 reorderings (~1e-13) cannot
    # change while no forget ratio is within 1e-6 of a retain one (checked); what is left is scipy's float64
    # arithmetic on the same ranks: PY (tests/tolerances.py)
    assert min(abs(a - b) for a in ratios for b in RETAIN_RATIOS) > 1e-6
    assert last["eval"]["forget_quality"] == pytest.approx(ks_2samp(ratios, RETAIN_RATIOS).pvalue, rel=PY)
