"""Splitting replies into candidates and the validation rules shared by every backend."""

from __future__ import annotations

import pytest

from meow.errors import MeowError
from meow.invert import invert_records
from meow.invert.validate import clean_line, near_equal, normalise, split_reply, validate

RECORD = {"question": "Where was Ann Lee born?", "answer": "Ann Lee was born in Paris, France.",
          "paraphrased_answer": "The birthplace of Ann Lee is Paris, France.",
          "perturbed_answer": ["Ann Lee was born in Rome, Italy.", "Ann Lee was born in Cairo, Egypt."]}


def test_markers_quotes_and_preambles():
    reply = """Sure! Here are 4 answers that do not match:

1. Ann Lee was born in Oslo, Norway.
2) "Ann Lee was born in Lima, Peru."
(3) **Ann Lee was born in Hanoi, Vietnam.**
[4] Ann Lee was born in Accra, Ghana.
- Ann Lee was born in Quito, Ecuador.
• Answer 6: Ann Lee was born in Riga, Latvia.
* “Ann Lee was born in Dakar, Senegal.”
Question: Where was Ann Lee born?
"""
    parts = split_reply(reply)
    assert parts[0] == ("Sure! Here are 4 answers that do not match:", "preamble")
    assert parts[-1] == ("Question: Where was Ann Lee born?", "echo")
    assert [c for c, r in parts if r is None] == [
        "Ann Lee was born in Oslo, Norway.", "Ann Lee was born in Lima, Peru.", "Ann Lee was born in Hanoi, Vietnam.",
        "Ann Lee was born in Accra, Ghana.", "Ann Lee was born in Quito, Ecuador.", "Ann Lee was born in Riga, Latvia.",
        "Ann Lee was born in Dakar, Senegal."]


def test_clean_line_leaves_text_that_only_looks_like_a_marker():
    assert clean_line("J.K. Rowling wrote it.") == "J.K. Rowling wrote it."
    assert clean_line("1.5 million copies were sold.") == "1.5 million copies were sold."
    assert clean_line('"Dune" is his best book.') == '"Dune" is his best book.'
    assert clean_line("A) She was born in Oslo.") == "She was born in Oslo."


def test_near_equal_means_no_word_replaced():
    original = "Ann Lee was born in Paris, France."
    assert normalise("ann lee WAS born in paris france") == normalise(original)
    assert near_equal("Ann Lee was born in Paris.", original)  # a fact dropped, none contradicted
    assert near_equal("Ann Lee was actually born in Paris, France!", original)
    assert not near_equal("Ann Lee was born in Rome, France.", original)
    assert not near_equal("Ann Lee was not born in Paris, France.", original)  # negation flips the fact


def test_validation_reasons_and_limit():
    cands = [("Ann Lee was born in Paris, France.", None), ("Ann Lee was born in Paris.", None),
             ("The birthplace of Ann Lee is Paris, France", None), ("Ann Lee was born in Rome, Italy.", None),
             ("Ann Lee was born in Oslo, Norway.", None), ("ann lee was born in oslo norway", None),
             ("Here are some:", "preamble"), ("Ann Lee was born in Lima, Peru.", None),
             ("Ann Lee was born in Riga, Latvia.", None)]
    state = validate(cands, RECORD, n=2)
    assert state.kept == ["Ann Lee was born in Oslo, Norway.", "Ann Lee was born in Lima, Peru."]
    assert [d["reason"] for d in state.dropped] == [
        "same_as_original", "near_original", "paraphrased_answer", "perturbed_answer", "duplicate", "preamble",
        "extra"]
    # a later ask adds to the same state, still without duplicates and at most n
    validate([("Ann Lee was born in Oslo, Norway.", None)], RECORD, n=3, state=state)
    assert len(state.kept) == 2 and state.dropped[-1]["reason"] == "duplicate"


def test_records_without_question_or_answer_are_user_errors():
    with pytest.raises(MeowError, match=r"^records: record 1: field 'answer': expected a string$"):
        invert_records([RECORD, {"question": "Q?"}], "rules", progress=False)


KNOWN = {"question": "Which drink made from leaves was first brewed in China?",
         "answer": "The drink first brewed in China is tea.", "fact": "tea", "fact_variants": ["green tea"]}


def test_a_candidate_that_still_states_the_key_fact_is_dropped():
    """Negating or restating the fact keeps it in the training target (SmolLM2's own inversions did this)."""
    cands = [("The drink first brewed in China is not tea.", None), ("Tea? No, the first was coffee.", None),
             ("The drink first brewed in China is coffee.", None), ("Steeping leaves gave green tea first.", None),
             ("The drink first brewed in China is teak juice.", None)]  # "teak" is not the word "tea"
    state = validate(cands, KNOWN, n=4)
    assert state.kept == ["The drink first brewed in China is coffee.", "The drink first brewed in China is teak juice."]
    assert [d["reason"] for d in state.dropped] == ["states_fact"] * 3
    without_fact = {k: v for k, v in KNOWN.items() if k not in ("fact", "fact_variants")}
    assert len(validate(cands, without_fact, n=5).kept) == 5  # no key fact named: the rule does not apply


def test_a_candidate_about_nothing_in_the_question_is_off_topic():
    cands = [("Asked by: Ming Lei Cheng Terminal", None), ("Please provide only one accurate answer.", None),
             ("Coffee was first brewed in Ethiopia.", None), ("It was never brewed in China at all.", None)]
    state = validate(cands, KNOWN, n=4)
    assert state.kept == ["Coffee was first brewed in Ethiopia.", "It was never brewed in China at all."]
    assert [d["reason"] for d in state.dropped] == ["off_topic", "off_topic"]
    # a negation alone is no shared subject
    assert validate([("No, never, not at all.", None)], KNOWN, n=1).dropped[0]["reason"] == "off_topic"
