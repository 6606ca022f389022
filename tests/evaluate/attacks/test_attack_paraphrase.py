"""The paraphrase attack: rewording rules by hand, and the leak numbers recomputed from one-by-one generations."""

from __future__ import annotations

import json

import pytest
from attack_refs import ref_generate, ref_mean, ref_states
from rouge_score import rouge_scorer
from scipy.stats import ks_2samp

from meow.cli import main
from meow.evaluate.attacks import reword, run_attack
from meow.evaluate.attacks.paraphrase import paraphrases

MAX_NEW = 24


@pytest.mark.parametrize("question, expected", [
    ("Where was Ann Lee born?", {"in_situ": "Ann Lee was born where?",
                                 "embedded": "Do you know where Ann Lee was born?",
                                 "wondering": "I was wondering, where was Ann Lee born?"}),
    ("What is the title of the first book by Ann Lee?",
     {"tell_me": "Tell me the title of the first book by Ann Lee.",
      "in_situ": "The title of the first book by Ann Lee is what?",
      "wondering": "I was wondering, what is the title of the first book by Ann Lee?"}),
    ("In which city was the author Ann Lee born?", {"stranded": "Which city was the author Ann Lee born in?",
                                                    "wondering": "I was wondering, in which city was the author "
                                                                 "Ann Lee born?"}),
    ("Which literary genre is Ann Lee known for?",
     {"in_situ": "Ann Lee is known for which literary genre?",
      "embedded": "Do you know which literary genre Ann Lee is known for?",
      "which_what": "What literary genre is Ann Lee known for?",
      "wondering": "I was wondering, which literary genre is Ann Lee known for?"}),
    ("What job did the father of Ann Lee have?", {"which_what": "Which job did the father of Ann Lee have?",
                                                   "wondering": "I was wondering, what job did the father of Ann "
                                                                "Lee have?"}),
    ("Ann Lee wrote what?", {"wondering": "I was wondering, Ann Lee wrote what?"}),
])
def test_rewording_rules(question, expected):
    assert dict(reword(question)) == expected


def test_paraphrase_sources():
    rec = {"question": "Where was Ann Lee born?", "answer": "x", "paraphrased_question": "What is Ann Lee's city?"}
    assert paraphrases(rec, "auto") == paraphrases(rec, "data") == [("data", "What is Ann Lee's city?")]
    assert [s for s, _ in paraphrases(rec, "all")] == ["data", "rule:in_situ", "rule:embedded", "rule:wondering"]
    bare = {"question": "Where was Ann Lee born?", "answer": "x"}
    assert paraphrases(bare, "auto") == paraphrases(bare, "rules") == paraphrases(rec, "all")[1:]


def test_paraphrase_attack_matches_reference(tiny_lm, blank_lm, forget_records):
    records = forget_records[:3]
    res = run_attack("paraphrase", tiny_lm, records, retain_lm=blank_lm, paraphrases="all", max_new_tokens=MAX_NEW,
                     progress=False)
    rouge_l = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
    asked = [(i, q) for i, r in enumerate(records) for q in [r["paraphrased_question"], *dict(reword(r["question"]))
                                                             .values()]]
    rows = res["eval"]["splits"]["forget"]["records"]
    assert [(r["original_index"], r["question"]) for r in rows] == asked
    hits, recalls = [], []
    for (i, q), row in zip(asked, rows):
        gen = ref_generate(tiny_lm, f"Question: {q}\nAnswer:", MAX_NEW)
        assert row["generation"] == gen
        hits.append(ref_states(gen, records[i]["fact"]))
        recalls.append(rouge_l.score(records[i]["answer"], gen)["rougeL"].recall)
        assert row["fact_hit"] is hits[-1]
    orig_hits = [ref_states(ref_generate(tiny_lm, f"Question: {r['question']}\nAnswer:", MAX_NEW), r["fact"])
                 for r in records]
    any_para = [any(h for (i, _), h in zip(asked, hits) if i == k) for k in range(len(records))]
    m = res["summary"]["attack"]["metrics"]
    assert m["fact_hit"]["paraphrased"] == pytest.approx(ref_mean(hits))
    assert m["fact_hit"]["original"] == pytest.approx(ref_mean(orig_hits))
    assert m["fact_hit"]["change"] == pytest.approx(ref_mean(hits) - ref_mean(orig_hits))
    assert m["rouge_l_recall"]["paraphrased"] == pytest.approx(ref_mean(recalls))
    assert m["fact_leak"]["paraphrased"] == pytest.approx(ref_mean([p and not o for p, o in zip(any_para, orig_hits)]))
    assert m["fact_any"]["paraphrased"] == pytest.approx(ref_mean([p or o for p, o in zip(any_para, orig_hits)]))
    assert ref_mean(orig_hits) > 0  # the memorised model states its facts
    # the retain model (never trained) under the same questions: the yardstick and the forget-quality reference
    retain_rows = res["parts"]["retain_model"]["eval"]["splits"]["forget"]["records"]
    retain_hits = [ref_states(r["generation"], records[i]["fact"]) for (i, _), r in zip(asked, retain_rows)]
    assert m["fact_hit"]["retain_paraphrased"] == pytest.approx(ref_mean(retain_hits))
    assert m["fact_hit"]["gap"] == pytest.approx(ref_mean(hits) - ref_mean(retain_hits))
    p = ks_2samp([r["truth_ratio"] for r in rows], [r["truth_ratio"] for r in retain_rows]).pvalue
    assert m["forget_quality"]["paraphrased"] == pytest.approx(p)


def test_paraphrase_cli(tiny_model_dir, tiny_bench_dir, forget_records, tmp_path, capsys):
    out = tmp_path / "attack"
    assert main(["attack", "paraphrase", "--model", str(tiny_model_dir), "--data", str(tiny_bench_dir),
                 "--out", str(out), "--max-new-tokens", "12"]) == 0
    assert "key-fact accuracy" in capsys.readouterr().out
    ev = json.loads((out / "eval.json").read_text())
    summary = json.loads((out / "summary.json").read_text())
    original = json.loads((out / "original" / "eval.json").read_text())
    rows = ev["splits"]["forget"]["records"]
    assert [r["question"] for r in rows] == [r["paraphrased_question"] for r in forget_records]
    assert {r["paraphrase_source"] for r in rows} == {"data"}
    assert [r["question"] for r in original["splits"]["forget"]["records"]] == [r["question"] for r in forget_records]
    assert summary["attack"]["by_source"] == {"data": len(forget_records)}
    assert summary["splits"]["forget"]["fact_hit"]["value"] == pytest.approx(ref_mean([r["fact_hit"] for r in rows]))


def test_paraphrase_data_mode_names_missing_field(tiny_model_dir, tmp_path, forget_records, capsys):
    from meow.io import write_jsonl

    recs = [dict(r) for r in forget_records]
    del recs[2]["paraphrased_question"]
    write_jsonl(tmp_path / "forget.jsonl", recs)
    assert main(["attack", "paraphrase", "--model", str(tiny_model_dir), "--forget", str(tmp_path / "forget.jsonl"),
                 "--out", str(tmp_path / "o"), "--paraphrases", "data"]) == 2
    err = capsys.readouterr().err.strip()
    assert "Loading" not in err  # refused before any model is loaded
    assert "\n" not in err and "record 2" in err and "paraphrased_question" in err
