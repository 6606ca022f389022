"""The built-in known-facts bank: size, coverage and the invariants every record relies on."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from meow.benchmark.known_facts.bank import BANK_DIR, BLANK, KINDS, load_bank, parse_bank
from meow.errors import MeowError


def _words(text: str) -> list[str]:
    # an independent normalisation: lowercase, split on spaces, strip ASCII punctuation at the edges
    return [w.strip(".,;:!?\"'()") for w in text.lower().split() if w.strip(".,;:!?\"'()")]


def _contains(text: str, span: str) -> bool:
    t, s = _words(text), _words(span)
    return any(t[i:i + len(s)] == s for i in range(len(t) - len(s) + 1))


def test_bank_size_and_coverage():
    facts = load_bank()
    per_entity = Counter(f.entity for f in facts)
    assert len(facts) >= 400
    assert len(per_entity) >= 40
    assert {f.kind for f in facts} == set(KINDS)
    assert min(per_entity.values()) >= 7  # ~10 per entity, so that enough survive probing
    for kind in KINDS:  # every kind has entities to serve as each other's neighbours
        assert len({f.entity for f in facts if f.kind == kind}) >= 8


def test_every_fact_is_well_formed():
    facts = load_bank()
    assert len({f.question for f in facts}) == len(facts)
    for f in facts:
        assert f.fact in f.answer, f.id
        for name in ("question", "paraphrased_question", "blank"):
            assert not any(_contains(getattr(f, name), k) for k in f.keys), (f.id, name)
        assert f.question != f.paraphrased_question
        assert f.blank.count(BLANK) == 1
        assert len(f.wrong) >= 3 and len(set(f.wrong)) == len(f.wrong)
        rec = f.record()
        for wrong, perturbed in zip(f.wrong, rec["perturbed_answer"]):
            assert wrong in perturbed and perturbed != f.answer
            assert not any(_contains(perturbed, k) for k in f.keys), (f.id, perturbed)
        assert _contains(rec["paraphrased_answer"], f.fact)
        assert rec["probes"] == {"fill_in_blank": f.blank, "adversarial": f.adversarial}


def test_bank_files_are_plain_json_per_kind():
    for kind in KINDS:
        data = json.loads((BANK_DIR / f"{kind}.json").read_text(encoding="utf-8"))
        assert data["kind"] == kind and data["entities"]


@pytest.mark.parametrize("change, field", [
    (lambda f: f.update(fact="Lyon"), "fact"),
    (lambda f: f.update(blank="The capital of France is Paris."), "blank"),
    (lambda f: f.update(question="Is Paris the capital of France?"), "question"),
    (lambda f: f.update(wrong=["Lyon", "Lyon", "Nice"]), "wrong"),
    (lambda f: f.update(wrong=["Paris", "Lyon", "Nice"]), "wrong"),
    (lambda f: f.pop("adversarial"), "adversarial"),
])
def test_a_bad_fact_is_one_clear_error(change, field):
    fact = {"question": "What is the capital of France?", "paraphrased_question": "Which city is France's capital?",
            "answer": "The capital of France is Paris.", "fact": "Paris", "variants": [],
            "wrong": ["Lyon", "Marseille", "Nice"], "blank": "The capital of France is ___.",
            "adversarial": "Name the capital of France."}
    parse_bank({"kind": "place", "entities": [{"name": "France", "facts": [dict(fact)]}]}, "x.json")
    change(fact)
    with pytest.raises(MeowError, match=rf"x.json: France fact 0: field '{field}'"):
        parse_bank({"kind": "place", "entities": [{"name": "France", "facts": [fact]}]}, "x.json")
