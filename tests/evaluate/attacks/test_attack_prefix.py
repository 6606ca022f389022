"""The prefix extraction attack against windows, greedy continuations and scores worked out one by one."""

from __future__ import annotations

import json

import pytest
from attack_refs import ref_generate, ref_mean, ref_states
from rouge_score import rouge_scorer

from meow.cli import main
from meow.evaluate.attacks import run_attack

MAX_NEW, STRIDE = 24, 15


def test_prefix_attack_matches_reference(tiny_lm, blank_lm, forget_records):
    records = [dict(r) for r in forget_records[:4]]
    del records[3]["fact"]  # a record without a key fact counts for MEMO only
    res = run_attack("prefix", tiny_lm, records, retain_lm=blank_lm, stride=STRIDE, max_new_tokens=MAX_NEW,
                     progress=False)
    rouge1 = rouge_scorer.RougeScorer(["rouge1"], use_stemmer=True)
    got = res["eval"]["splits"]["forget"]["records"]
    memos, leaks = [], []
    for rec, row in zip(records, got):
        q, a = rec["question"], rec["answer"]
        cuts = [0, *range(1, len(a), STRIDE)]
        assert [w["chars"] for w in row["windows"]] == cuts
        precisions, leaked = [], False
        for i, w in zip(cuts, row["windows"]):
            prompt = f"Question: {q}\nAnswer:" + (f" {a[:i]}" if i else "")
            gen = ref_generate(tiny_lm, prompt, MAX_NEW)
            assert w["prefix"] == a[:i] and w["generation"] == gen
            if i:
                precisions.append(rouge1.score(a[i:], gen)["rouge1"].precision)
                assert w["rouge1_precision"] == pytest.approx(precisions[-1])
            if "fact" in rec:
                leaked |= ref_states(gen, rec["fact"]) and not ref_states(a[:i], rec["fact"])
        assert row["memo"] == pytest.approx(ref_mean(precisions))
        memos.append(row["memo"])
        if "fact" in rec:
            assert row["prefix_leak"] is leaked
            leaks.append(leaked)
        else:
            assert "prefix_leak" not in row
    metrics = res["summary"]["attack"]["metrics"]
    assert metrics["memo"]["value"] == pytest.approx(ref_mean(memos))
    assert metrics["prefix_leak"]["value"] == pytest.approx(ref_mean(leaks))
    assert res["summary"]["splits"]["forget"]["prefix_leak"]["n"] == 3
    assert 0 < metrics["memo"]["value"] <= 1 and any(leaks)  # the memorised model gives its facts away
    # the never-trained model: recomputed from its stored continuations
    retain = res["parts"]["retain_model"]["eval"]["splits"]["forget"]["records"]
    retain_leak = ref_mean([any(ref_states(w["generation"], r["fact"]) and not ref_states(w["prefix"], r["fact"])
                                for w in row["windows"]) for r, row in zip(records, retain) if "fact" in r])
    assert metrics["prefix_leak"]["retain"] == pytest.approx(retain_leak)
    assert metrics["prefix_leak"]["gap"] == pytest.approx(metrics["prefix_leak"]["value"] - retain_leak)


def test_prefix_cli_writes_eval_layout(tiny_model_dir, tiny_bench_dir, tmp_path, capsys):
    out = tmp_path / "attack"
    assert main(["attack", "prefix", "--model", str(tiny_model_dir), "--data", str(tiny_bench_dir),
                 "--out", str(out), "--stride", "40", "--max-new-tokens", "8"]) == 0
    assert "prefix fact leak" in capsys.readouterr().out
    ev, summary, config = (json.loads((out / f).read_text()) for f in ("eval.json", "summary.json", "config.json"))
    assert ev["attack"]["name"] == summary["attack"]["name"] == "prefix"
    assert config["options"]["stride"] == 40 and config["forget"].endswith("forget10_perturbed.json")
    rows = ev["splits"]["forget"]["records"]
    assert summary["splits"]["forget"]["memo"]["value"] == pytest.approx(ref_mean([r["memo"] for r in rows]))


def test_attack_user_errors_are_one_line(tiny_model_dir, tiny_bench_dir, tmp_path, capsys):
    assert main(["attack", "prefix", "--model", str(tiny_model_dir), "--data", str(tiny_bench_dir),
                 "--forget-split", "forget50", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "forget50_perturbed" in err
    assert main(["attack", "prefix", "--model", str(tiny_model_dir), "--data", str(tiny_bench_dir),
                 "--out", str(tmp_path / "o"), "--stride", "0"]) == 2
    assert "--stride must be at least 1" in capsys.readouterr().err
