"""`evaluate` and `meow eval` on the tiny memorised model, against plain one-question-at-a-time references."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
import torch
from reference import greedy
from tolerances import MAX_LOGIT, TINY_LOGP

from meow.cli import main
from meow.evaluate import EvalConfig, evaluate, forget_quality, load_eval, load_splits, summarize
from meow.evaluate.extraction import extraction_strength
from meow.evaluate.tofu import rouge_l_recall, states_fact

MAX_NEW = 48


# ---------------------------------------------------------------- plain references (model forward, no batching)

def _ids(lm, question: str, answer: str | None = None) -> tuple[list[int], list[int]]:
    tok = lm.tokenizer
    p = tok(lm.prompts([question])[0], add_special_tokens=not lm.fmt.prompt_has_special_tokens)["input_ids"]
    c = tok(lm.continuations([answer])[0], add_special_tokens=False)["input_ids"] if answer is not None else []
    return p, c


@torch.no_grad()
def ref_scores(lm, question: str, answer: str, eos: bool = True) -> tuple[float, list[bool]]:
    """Mean token NLL of the answer followed by EOS (TOFU's labels; `eos=False`: the answer alone) and the
    teacher-forced argmax hits of the answer tokens (open-unlearning drops the EOS label), one unpadded pass."""
    p, c = _ids(lm, question, answer)
    c = [*c, lm.tokenizer.eos_token_id] if eos else c
    logits = lm.model(torch.tensor([p + c])).logits[0, len(p) - 1 : -1]
    assert float(logits.abs().max()) < MAX_LOGIT  # the premise of tolerances.TINY_LOGP
    logp = torch.log_softmax(logits if logits.dtype == torch.float64 else logits.float(), -1)
    target = torch.tensor(c)
    hits = (logp.argmax(-1) == target).tolist()
    return -logp[torch.arange(len(c)), target].mean().item(), hits[:-1] if eos else hits


def ref_generate(lm, question: str, max_new: int = MAX_NEW) -> str:
    return greedy(lm, lm.prompts([question])[0], max_new)

@torch.no_grad()
def ref_extraction_strength(lm, question: str, answer: str) -> float:
    """1 - k/T, k the first prefix length k = 0, 1, ... from which greedy decoding reproduces the rest of the answer.

    Greedy decoding by hand from the prompt plus the first k answer tokens; a run stops at its first wrong token.
    """
    p, c = _ids(lm, question, answer)
    for k in range(len(c)):
        ids = p + c[:k]
        for t in range(k, len(c)):
            if int(lm.model(torch.tensor([ids])).logits[0, -1].argmax()) != c[t]:
                break
            ids.append(c[t])
        else:
            return 1 - k / len(c)
    return 0.0


# ---------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def tiny_lm(tiny_model_dir):
    """The tiny memorised model in float64 (this file's tests claim batched == one at a time: equality)."""
    from meow.modeling import load_lm

    return load_lm(tiny_model_dir, dtype="float64")


@pytest.fixture(scope="module")
def splits(tiny_bench_dir):
    splits, _, absent = load_splits(tiny_bench_dir, "forget10")
    assert set(splits) == {"forget", "retain", "real_authors", "world_facts", "holdout"} and not absent
    return splits


@pytest.fixture(scope="module")
def result(tiny_lm, splits):
    # batch_size 4: several padded batches per split, rows of different lengths side by side
    return evaluate(tiny_lm, splits, cfg=EvalConfig(batch_size=4, max_new_tokens=MAX_NEW), progress=False)


# ---------------------------------------------------------------- batching changes nothing

def test_batched_values_equal_one_at_a_time(tiny_lm, splits, result):
    for split in ("forget", "retain", "real_authors", "world_facts"):
        for rec, got in zip(splits[split], result.records(split)):
            nll, hits = ref_scores(tiny_lm, rec["question"], rec["answer"])
            assert got["nll_answer"] == pytest.approx(nll, abs=TINY_LOGP)  # a mean of log-probs, each within
            para = rec["paraphrased_answer"] if split in ("forget", "retain") else rec["answer"]
            nll_para = ref_scores(tiny_lm, rec["question"], para)[0]
            nll_pert = [ref_scores(tiny_lm, rec["question"], a)[0] for a in rec["perturbed_answer"]]
            assert got["nll_paraphrased"] == pytest.approx(nll_para, abs=TINY_LOGP)
            assert got["nll_perturbed"] == pytest.approx(nll_pert, abs=TINY_LOGP)
            gen = ref_generate(tiny_lm, rec["question"])
            assert got["generation"] == gen
            # derived values from the reference numbers, by their formulas: exp of a difference of two values each
            # within TINY_LOGP moves by a factor within exp(2 TINY_LOGP) - 1 = 1e-4 (a ratio of such: 2e-4)
            assert got["truth_ratio"] == pytest.approx(math.exp(nll_para - sum(nll_pert) / len(nll_pert)), rel=1e-3)
            if split in ("forget", "retain"):
                assert got["probability"] == pytest.approx(math.exp(-nll), rel=1e-3)
                assert got["exact_memorisation"] == pytest.approx(sum(hits) / len(hits))
            else:
                p = [math.exp(-x) for x in (nll, *nll_pert)]
                assert got["probability"] == pytest.approx(p[0] / sum(p), rel=1e-3)
            assert got["rouge_l_recall"] == pytest.approx(rouge_l_recall(gen, rec["answer"]))
            assert got["fact_hit"] == states_fact(gen, rec["fact"])
    for rec, got in zip(splits["holdout"], result.records("holdout")):
        assert got["mia"]["loss"] == pytest.approx(ref_scores(tiny_lm, rec["question"], rec["answer"])[0],
                                                   abs=TINY_LOGP)
        assert "generation" not in got


def test_memorised_model_scores_like_it(result):
    s = result.summary
    assert s["splits"]["forget"]["fact_hit"]["value"] >= 0.5
    assert s["splits"]["forget"]["rouge_l_recall"]["value"] > 0.8
    assert s["mia_auc"]["value"] > 0.8  # forget answers are far more likely than never-seen holdout answers
    assert s["model_utility"]["value"] is not None and len(s["model_utility"]["components"]) == 9
    assert s["forget_quality"]["value"] is None and s["forget_quality"]["reason"].startswith("no retain model")


def test_extraction_strength_equals_greedy_generation_reference(tiny_lm, splits, result):
    from meow.modeling import score

    rows = [(r["question"], a) for r in splits["forget"] for a in (r["answer"], *r["perturbed_answer"][:3])]
    scores = score(tiny_lm, tiny_lm.prompts([q for q, _ in rows]), tiny_lm.continuations([a for _, a in rows]))
    got = [extraction_strength(s.answer_only().hits.tolist()) for s in scores]
    want = [ref_extraction_strength(tiny_lm, q, a) for q, a in rows]
    assert got == pytest.approx(want)
    assert any(0 < w < 1 for w in want) and any(w == 1 for w in want)  # not a trivial all-0 / all-1 case
    answers = [g for g, (_, a) in zip(got, rows) if any(a == r["answer"] for r in splits["forget"])]
    # discrete (k/T from argmax hits): equal unless two logits tie within float32 rounding (none do here)
    assert [r["extraction_strength"] for r in result.records("forget")] == pytest.approx(answers)


def test_fluency_model_scores_generations(tiny_lm, splits, result):
    from meow.modeling import LM
    from meow.modeling.tiny import TinyConfig, build_tiny_model

    other = LM(build_tiny_model(tiny_lm.tokenizer, TinyConfig(hidden_size=32, layers=1, heads=2,
                                                              intermediate_size=64), seed=1).eval().double(),
               tiny_lm.tokenizer, tiny_lm.fmt)  # float64 as well: TINY_LOGP covers its log-probs (|z| < 1)
    sub = {"forget": splits["forget"]}
    res = evaluate(tiny_lm, sub, cfg=EvalConfig(max_new_tokens=MAX_NEW, mia=False), fluency_lm=other, progress=False)
    for rec in res.records("forget"):
        assert rec["generation"] == result.records("forget")[rec["index"]]["generation"]
        nll = ref_scores(other, rec["question"], rec["generation"], eos=False)[0]
        assert rec["generation_ppl"] == pytest.approx(math.exp(nll), rel=1e-3)  # exp(TINY_LOGP) - 1 = 4.8e-5
        assert "mia" not in rec


def test_summary_recomputes_from_saved_eval_json(tmp_path, result):
    result.save(tmp_path / "a")
    loaded = load_eval(tmp_path / "a")
    again = summarize(json.loads((tmp_path / "a" / "eval.json").read_text()))
    assert again == json.loads(json.dumps(result.summary))
    assert loaded.value("model_utility") == result.value("model_utility")
    # a model against itself as retain model: identical truth ratios, KS p = 1, PrivLeak 0
    fq = forget_quality(tmp_path / "a", tmp_path / "a")
    assert fq["value"] == pytest.approx(1.0) and fq["ks_statistic"] == 0.0
    assert summarize(loaded, loaded)["privleak"]["value"] == pytest.approx(0.0)


# ---------------------------------------------------------------- CLI

def test_cli_end_to_end_with_retain_model_and_retain_eval(tiny_model_dir, tiny_bench_dir, tmp_path, capsys):
    out = tmp_path / "eval"
    args = ["eval", "--model", str(tiny_model_dir), "--data", str(tiny_bench_dir), "--forget-split", "forget10",
            "--max-new-tokens", "16", "--no-fluency"]
    assert main([*args, "--out", str(out), "--retain-model", str(tiny_model_dir)]) == 0
    printed = capsys.readouterr().out
    assert "forget quality" in printed and "model utility" in printed
    summary = json.loads((out / "summary.json").read_text())
    assert summary["forget_quality"]["value"] == pytest.approx(1.0)  # the model is its own retain model
    assert summary["privleak"]["value"] == pytest.approx(0.0)
    assert (out / "retain_model" / "eval.json").is_file()
    config = json.loads((out / "config.json").read_text())
    assert config["options"]["fluency"] is False and config["versions"]["meow"]
    assert config["files"]["forget"].endswith("forget10_perturbed.json")
    records = json.loads((out / "eval.json").read_text())["splits"]["forget"]["records"]
    assert "rep3" not in records[0] and "truth_ratio" in records[0]

    out2 = tmp_path / "eval2"
    assert main([*args, "--out", str(out2), "--retain-eval", str(out / "retain_model"), "--no-generation",
                 "--no-mia"]) == 0
    s2 = json.loads((out2 / "summary.json").read_text())
    assert s2["forget_quality"]["value"] == summary["forget_quality"]["value"]  # truth ratios need no generation
    assert s2["model_utility"]["value"] is None and "rouge_l_recall" in s2["model_utility"]["reason"]
    assert s2["privleak"]["value"] is None and "--no-mia" in s2["privleak"]["reason"]
    rec = json.loads((out2 / "eval.json").read_text())["splits"]["forget"]["records"][0]
    assert "generation" not in rec and "mia" not in rec and "exact_memorisation" in rec


def test_table_shows_missing_forget_quality_as_na(result):
    from rich.console import Console

    from meow.evaluate.table import print_summary

    console = Console(record=True, width=200)
    print_summary(result.summary, console)
    text = console.export_text()
    assert "forget quality" in text and "n/a (no retain model)" in text
    assert f"{result.value('model_utility'):.4f}" in text
    assert f"{result.value('truth_ratio', 'forget'):.4f}" in text


def test_cli_explicit_files(tiny_model_dir, tiny_bench_dir, tmp_path):
    out = tmp_path / "eval"
    assert main(["eval", "--model", str(tiny_model_dir), "--forget", str(tiny_bench_dir / "forget10_perturbed.json"),
                 "--holdout", str(tiny_bench_dir / "holdout10.json"), "--out", str(out), "--max-new-tokens", "8",
                 "--no-fluency"]) == 0
    s = json.loads((out / "summary.json").read_text())
    assert set(s["splits"]) == {"forget", "holdout"}
    assert "retain" in s["missing_splits"] and "--retain FILE" in s["missing_splits"]["retain"]
    assert s["model_utility"]["value"] is None and "retain/probability" in s["model_utility"]["reason"]


def _error(capsys, argv) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    return err


def test_bad_input_ends_with_one_line_and_exit_2(tiny_model_dir, tiny_bench_dir, tmp_path, capsys):
    rows = [json.loads(line) for line in (tiny_bench_dir / "forget10_perturbed.json").read_text().splitlines()]
    del rows[1]["perturbed_answer"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(rows))
    err = _error(capsys, ["eval", "--model", str(tiny_model_dir), "--forget", str(bad), "--out", str(tmp_path / "o")])
    assert "bad.json: record 1: field 'perturbed_answer'" in err

    err = _error(capsys, ["eval", "--model", str(tiny_model_dir), "--data", str(tiny_bench_dir), "--forget-split",
                          "forget99", "--out", str(tmp_path / "o")])
    assert "forget99_perturbed" in err and "forget10_perturbed" in err  # names what is there

    empty = tmp_path / "not_a_model"
    empty.mkdir()
    err = _error(capsys, ["eval", "--model", str(empty), "--data", str(tiny_bench_dir), "--out", str(tmp_path / "o")])
    assert "not_a_model" in err
    broken = tmp_path / "broken_model"
    shutil.copytree(tiny_model_dir, broken)
    (broken / "config.json").write_text("{not json")
    err = _error(capsys, ["eval", "--model", str(broken), "--data", str(tiny_bench_dir), "--out", str(tmp_path / "o")])
    assert "broken_model" in err

    err = _error(capsys, ["eval", "--model", str(tiny_model_dir), "--data", str(tiny_bench_dir),
                          "--out", str(tiny_model_dir)])
    assert "would overwrite" in err
    err = _error(capsys, ["eval", "--model", str(tiny_model_dir), "--data", str(tiny_bench_dir), "--out",
                          str(tmp_path / "o"), "--retain-eval", str(tmp_path / "nowhere")])
    assert "no eval.json" in err
    assert not (tmp_path / "o").exists()  # nothing written on a user error


def test_missing_paraphrase_is_reported_through_the_api(tiny_lm, splits):
    from meow.errors import MeowError

    broken = [dict(r) for r in splits["retain"]]
    del broken[2]["paraphrased_answer"]
    with pytest.raises(MeowError, match=r"retain split: record 2: field 'paraphrased_answer': missing"):
        evaluate(tiny_lm, {"retain": broken}, progress=False)
    broken = [dict(r) for r in splits["forget"]]
    broken[0]["perturbed_answer"] = ["fine", " "]
    with pytest.raises(MeowError, match=r"forget split: record 0: field 'perturbed_answer': holds an empty answer"):
        evaluate(tiny_lm, {"forget": broken}, progress=False)
    with pytest.raises(MeowError, match="unknown split 'forget10'"):
        evaluate(tiny_lm, {"forget10": splits["forget"]}, progress=False)


def test_load_splits_errors(tiny_bench_dir, tmp_path):
    from meow.errors import MeowError

    with pytest.raises(MeowError, match="takes a folder"):
        load_splits(tiny_bench_dir / "forget10_perturbed.json")
    with pytest.raises(MeowError, match="folder not found"):
        load_splits(tmp_path / "missing")
    with pytest.raises(MeowError, match="no forget set"):
        load_splits(None, files={"retain": str(tiny_bench_dir / "retain_perturbed.json")})
    only = tmp_path / "only_forget"
    only.mkdir()
    shutil.copy(tiny_bench_dir / "forget10_perturbed.json", only)
    splits, _, absent = load_splits(only, "forget10_perturbed")  # the suffix is accepted too
    assert set(splits) == {"forget"} and set(absent) == {"retain", "real_authors", "world_facts", "holdout"}
    assert "holdout10" in absent["holdout"]


def test_outputs_are_json_with_the_documented_layout(result, tmp_path):
    result.save(tmp_path)
    ev = json.loads(Path(tmp_path / "eval.json").read_text())
    rec = ev["splits"]["forget"]["records"][0]
    for key in ("question", "answer", "generation", "nll_answer", "nll_paraphrased", "nll_perturbed", "probability",
                "rouge_l_recall", "truth_ratio", "fact_hit", "exact_memorisation", "extraction_strength", "mia",
                "rep3", "brunet_index", "honore_statistic", "generation_ppl"):
        assert key in rec, key
    assert set(rec["mia"]) == {"loss", "zlib", "min_k", "min_k_pp", "gradnorm"}  # reference: needs its model
    assert ev["mia"]["members"] == "forget" and set(ev["mia"]["auc"]) == set(rec["mia"])
    s = json.loads(Path(tmp_path / "summary.json").read_text())
    for key in ("forget_quality", "model_utility", "mia_auc", "privleak"):
        assert {"value", "reason", "description"} <= set(s[key]), key
    assert s["splits"]["world_facts"]["probability"]["n"] == len(ev["splits"]["world_facts"]["records"])


def test_evaluate_scores_in_eval_mode_and_restores_training(tiny_lm, splits):
    modes = []
    handle = tiny_lm.model.register_forward_hook(lambda module, args, out: modes.append(module.training))
    tiny_lm.model.train()
    try:
        evaluate(tiny_lm, {"holdout": splits["holdout"]}, progress=False)
        assert modes and not any(modes)
        assert tiny_lm.model.training
    finally:
        handle.remove()
        tiny_lm.model.eval()


def test_load_eval_errors(tmp_path):
    from meow.errors import MeowError

    (tmp_path / "eval.json").write_text("{oops")
    with pytest.raises(MeowError, match="not valid JSON"):
        load_eval(tmp_path)
    (tmp_path / "eval.json").write_text("[]")
    with pytest.raises(MeowError, match=r"not an eval\.json"):
        load_eval(tmp_path / "eval.json")
