"""Known-facts metrics in `meow eval`: key-fact accuracy with variants per split and per probe kind, the summary
entry, MIA forget vs neighbour; on a tiny random model whose greedy answers are replaced by chosen ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meow.benchmark.known_facts import load_bank, make_known_facts
from meow.evaluate import EvalConfig, evaluate, load_splits, summarize
from meow.evaluate.known_facts import probe_prompt
from meow.modeling import PromptFormat


@pytest.fixture(scope="module")
def tiny_random_lm():
    from meow.modeling.lm import LM, prepare_tokenizer
    from meow.modeling.tiny import TinyConfig, build_tiny_model, record_texts, train_tokenizer

    tok = train_tokenizer(record_texts([f.record() for f in load_bank()]), vocab_size=400)
    model = build_tiny_model(tok, TinyConfig(hidden_size=32, layers=1, heads=2, intermediate_size=64,
                                             vocab_size=400, max_positions=256))
    return LM(model.eval(), prepare_tokenizer(tok), PromptFormat(), {}, "tiny-random")


def _answers_by_entity(lm, known: set[str]):
    """Greedy 'answers': the true answer for the first two facts of `known` entities, else a wrong one; probe
    prompts: a fill-in-the-blank answer giving a variant (when there is one) for fact 0 only, adversarial: none."""
    table = {}
    for f in load_bank():
        right = f.entity in known and f.index < 2
        table[lm.prompts([f.question])[0]] = f.answer if right else f"Maybe {f.wrong[0]}."
        blank = (f.variants[0] if f.variants else f.fact) if right and f.index == 0 else f.wrong[1]
        table[lm.prompts([probe_prompt("fill_in_blank", f.blank)])[0]] = f"It is {blank}."
        table[lm.prompts([probe_prompt("adversarial", f.adversarial)])[0]] = "I cannot say."
    return table


def test_eval_on_known_facts(tmp_path: Path, monkeypatch, tiny_random_lm):
    bank = load_bank()
    ents = list(dict.fromkeys(f.entity for f in bank))
    table: dict[str, str] = {}

    def fake_generate(lm, prompts, max_new_tokens=200, batch_size=64, temperature=0.0, seed=0, desc=None):
        return [table.get(p, f.answer) if (f := by_prompt.get(p)) else table[p] for p in prompts]

    by_prompt = {tiny_random_lm.prompts([f.question])[0]: f for f in bank}
    # making the benchmark: every fact "known" (the probe states every answer)
    table.update({p: f.answer for p, f in by_prompt.items()})
    monkeypatch.setattr("meow.modeling.generation.generate", fake_generate)
    make_known_facts(tmp_path / "kf", tiny_random_lm, forget_entities=2, neighbours=2, seed=3, progress=False)
    # evaluating: only some entities still "known"
    known = set(ents[::3])
    table.clear()
    table.update(_answers_by_entity(tiny_random_lm, known))
    splits, _, absent = load_splits(tmp_path / "kf", "forget")
    assert set(splits) == {"forget", "retain", "world_facts", "holdout"} and "real_authors" in absent
    cfg = EvalConfig(max_new_tokens=8, batch_size=16, mia_gradnorm=False)
    result = evaluate(tiny_random_lm, splits, cfg=cfg, progress=False)

    def expected(records: list[dict], kind: str) -> float:  # worked out from the table's rules, not the metric
        hits = []
        for r in records:
            entity, index = r["entity"], int(r["id"].split("#")[1])
            right = entity in known and index < 2
            hits.append(right if kind == "question" else right and index == 0 and kind == "fill_in_blank")
        return sum(hits) / len(hits)

    s = result.summary
    for split in ("forget", "retain", "world_facts"):
        assert s["splits"][split]["key_fact"]["value"] == pytest.approx(expected(splits[split], "question"), abs=0)
    assert s["splits"]["forget_fill_in_blank"]["key_fact"]["value"] == expected(splits["forget"], "fill_in_blank")
    assert s["splits"]["forget_adversarial"]["key_fact"]["value"] == 0.0
    entry = s["known_facts"]
    assert entry["forget"] == {"fill_in_blank": expected(splits["forget"], "fill_in_blank"),
                               "question": expected(splits["forget"], "question"), "adversarial": 0.0}
    assert entry["value"] == max(entry["forget"].values())
    assert entry["neighbour"] == s["splits"]["retain"]["key_fact"]["value"]
    assert entry["general"] == s["splits"]["world_facts"]["key_fact"]["value"]
    # MIA forget (members) vs neighbours (holdout): the Min-K% AUC recomputed by hand from the stored scores
    mem = [r["mia"]["min_k"] for r in result.records("forget")]
    non = [r["mia"]["min_k"] for r in result.records("holdout")]
    wins = sum((m > n) + 0.5 * (m == n) for m in mem for n in non)
    assert s["mia_auc"]["value"] == pytest.approx(wins / (len(mem) * len(non)), abs=1e-12)  # a ratio of counts
    assert {r["question"] for r in result.records("holdout")} == {r["question"] for r in splits["retain"]}
    # the saved evaluation summarises to the same numbers, and the probe records hold their generations
    out = result.save(tmp_path / "eval")
    again = summarize(json.loads((out / "eval.json").read_text()))
    assert again["known_facts"] == entry
    assert all("generation" in r for r in result.records("forget_fill_in_blank"))


def test_known_facts_entry_is_missing_elsewhere():
    splits = {"forget": {"key_fact": None}}
    from meow.evaluate.known_facts import known_facts_entry

    out = known_facts_entry({}, splits, None)
    assert out["value"] is None and "not a known-facts evaluation" in out["reason"]


def test_eval_summary_prints_the_known_facts_table():
    from rich.console import Console

    from meow.evaluate.table import print_summary

    summary = {"model": "m", "splits": {}, "known_facts": {
        "value": 0.5, "label": "known facts", "forget": {"fill_in_blank": 0.25, "question": 0.5, "adversarial": 0.125},
        "neighbour": 0.875, "general": 1.0}}
    console = Console(record=True, width=120)
    print_summary(summary, console)
    text = console.export_text()
    rows = {"forget, fill-in-blank probes": "0.2500", "forget, question probes": "0.5000",
            "forget, adversarial probes": "0.1250", "neighbours (same kind)": "0.8750", "general knowledge": "1.0000"}
    for label, value in rows.items():
        (line,) = [x for x in text.splitlines() if label in x]
        assert value in line, line
