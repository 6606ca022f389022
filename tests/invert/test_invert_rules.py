"""The `rules` backend on TOFU-style answers and on the built-in benchmark."""

from __future__ import annotations

import difflib
import re

import pytest
from invert_tofu_style import RECORDS

from meow.invert import invert_records
from meow.invert.lexicon import STOPWORDS
from meow.invert.rules.engine import RuleEngine, apply
from meow.invert.rules.slots import Slot, SlotFinder
from meow.invert.rules.values import shifted_dates


def words(text: str) -> list[str]:
    return re.findall(r"[\w'+-]+", text)


def changed_words(original: str, candidate: str) -> tuple[list[str], float]:
    """Original words that the candidate replaced, and the share of original words kept in place."""
    a, b = words(original), words(candidate)
    ops = difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes()
    changed = [w for op, i1, i2, _, _ in ops if op != "equal" for w in a[i1:i2]]
    kept = sum(i2 - i1 for op, i1, i2, _, _ in ops if op == "equal")
    return changed, kept / len(a)


def contains(text: str, span: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(span)}(?![\w-])", text) is not None


@pytest.fixture(scope="module")
def inverted():
    records = [{k: v for k, v in r.items() if k in ("question", "answer")} for r in RECORDS]
    return invert_records(records, "rules", n=4, seed=0, progress=False)


def test_every_record_gets_four_inversions_that_change_its_facts_and_keep_its_form(inverted):
    out, summary = inverted
    assert summary["full"] == len(RECORDS) and summary["none"] == 0
    for rec, r in zip(RECORDS, out):
        cands = r["inverted_answers"]
        assert len(cands) == 4 and len(set(cands)) == 4, rec["answer"]
        for c in cands:
            assert c != rec["answer"]
            changed, kept = changed_words(rec["answer"], c)
            assert any(w.lower() not in STOPWORDS for w in changed), (rec["answer"], c)
            assert kept >= 0.5, (rec["answer"], c)  # the rest of the sentence is kept
            for span in rec["expect"]:  # the key facts are gone ...
                assert not contains(c, span), (span, c)
            for span in rec["keep"]:  # ... the subject and what the question states are not
                assert contains(c, span), (span, c)


def test_changes_are_reported_and_never_replace_a_span_by_itself(inverted):
    out, _ = inverted
    for r in out:
        assert len(r["invert"]["changes"]) == 4
        for cand, change in zip(r["inverted_answers"], r["invert"]["changes"]):
            assert change and all(c["from"].lower() != c["to"].lower() for c in change)
            assert all(c["to"].lower() in cand.lower() for c in change), (cand, change)


def test_replacements_of_one_kind_differ_within_a_candidate(inverted):
    out, _ = inverted
    parents = out[1]  # "father was a hairdresser, and his mother was a lawyer"
    for cand, change in zip(parents["inverted_answers"], parents["invert"]["changes"]):
        new = [c["to"] for c in change if c["kind"] == "profession"]
        assert len(new) == 2 and new[0] != new[1]
        assert re.fullmatch(r"Chukwu Akabueze's father was an? [\w -]+, and his mother was an? [\w -]+\.", cand)
        for job in new:  # a / an follows the new word
            article = "an" if job[0] in "aeiou" else "a"
            assert f" {article} {job}" in cand


def test_seeded_and_deterministic():
    records = [{k: v for k, v in r.items() if k in ("question", "answer")} for r in RECORDS]
    a, _ = invert_records(records, "rules", seed=0, progress=False)
    b, _ = invert_records(records, "rules", seed=0, progress=False)
    c, _ = invert_records(records, "rules", seed=1, progress=False)
    assert [r["inverted_answers"] for r in a] == [r["inverted_answers"] for r in b]
    assert [r["inverted_answers"] for r in a] != [r["inverted_answers"] for r in c]


def test_no_copy_when_nothing_can_be_changed():
    records = [{"question": "Is that so?", "answer": "Yes, indeed, absolutely."},
               {"question": "Who was born in Oslo?", "answer": "Ida Berg was born in Oslo."}]
    out, summary = invert_records(records, "rules", progress=False)
    assert out[0]["inverted_answers"] == [] and out[0]["invert"]["note"].startswith("no key fact found")
    assert summary["none"] == 1 and summary["notes"] == {"no key fact found": 1}


def test_perturbed_answers_are_never_used():
    record = {"question": "What did Ana Silva's father do?", "answer": "Ana Silva's father was a baker in Lisbon."}
    first, _ = invert_records([record], "rules", progress=False)
    leaked = first[0]["inverted_answers"][:2]
    out, summary = invert_records([{**record, "perturbed_answer": leaked}], "rules", progress=False)
    cands = out[0]["inverted_answers"]
    assert len(cands) == 4 and not set(cands) & set(leaked)
    assert [d["text"] for d in out[0]["invert"]["dropped"]] == leaked
    assert summary["dropped"] == {"perturbed_answer": 2}


def test_values_are_mined_from_records_about_someone_else():
    records = [
        {"question": "Where was Ana Silva born?", "answer": "Ana Silva was born in Porto, Portugal."},
        {"question": "Where did Ana Silva study?", "answer": "Ana Silva studied in Coimbra, Portugal."},
        {"question": "Where was Ken Ito born?", "answer": "Ken Ito was born in Sapporo, Japan."},
    ]
    engine = RuleEngine(records)
    res = engine.invert(0, 4)
    # Ken Ito's birthplace is the corpus value for Ana Silva; Ana Silva's own other place is not used
    assert res.candidates[0] == "Ana Silva was born in Sapporo, Japan."
    assert not any("Coimbra" in c for c in res.candidates)


def test_slot_kinds():
    text = ("Born on the 8th of September, 1956 in Kuwait City, Kuwait, Basil Al-Kuwaiti wrote \"Promise by the "
            "Seine\" in 1990, won the Prix Goncourt and two other prizes, and his father was a florist.")
    kinds = {(s.kind, s.text) for s in SlotFinder().find(text)}
    assert {("date", "8th of September, 1956"), ("place_pair", "Kuwait City, Kuwait"),
            ("title", "Promise by the Seine"), ("year", "1990"), ("award", "Prix Goncourt"), ("count", "two"),
            ("profession", "florist"), ("person", "Basil Al-Kuwaiti")} <= kinds


def test_apply_fixes_articles_and_capitals():
    text = "an architect and a poet."
    slots = {Slot(3, 12, "profession", "architect"): "baker", Slot(19, 23, "profession", "poet"): "engineer"}
    assert apply(text, slots) == "a baker and an engineer."
    assert apply("florist by trade.", {Slot(0, 7, "profession", "florist"): "lawyer"}) == "Lawyer by trade."


def test_dates_keep_their_format():
    import random

    rng = random.Random(0)
    for text, pattern in [("26th of September, 1965", r"\d{1,2}(st|nd|rd|th) of [A-Z][a-z]+, \d{4}"),
                          ("September 26, 1965", r"[A-Z][a-z]+ \d{1,2}, \d{4}"),
                          ("08/09/1956", r"\d\d/\d\d/\d{4}"), ("1st March 1936", r"\d{1,2}(st|nd|rd|th) [A-Z][a-z]+ \d{4}")]:
        new = shifted_dates(text, rng, 4)
        assert len(new) == 4 and text not in new
        assert all(re.fullmatch(pattern, d) for d in new), new
        assert all(d[-4:] != text[-4:] for d in new)  # the year always changes


def test_builtin_benchmark_facts_are_changed(tiny_bench_dir):
    from meow.data import load_records

    records = load_records(tiny_bench_dir, "full")
    out, summary = invert_records(records, "rules", progress=False)
    assert summary["full"] >= 0.9 * len(records)
    with_fact = [(r["fact"], c) for r in out if r.get("fact") for c in r["inverted_answers"]]
    assert len(with_fact) >= 3 * len(records)
    changed = sum(fact not in c for fact, c in with_fact)
    assert changed >= 0.95 * len(with_fact)


def test_the_records_own_fact_is_changed_where_no_slot_covers_it():
    """Known-facts answers name their key fact; where the slots miss it ("tea" is a common noun, "Earth" starts
    the sentence) the fact span itself is replaced by another record's fact, so no candidate keeps it."""
    from meow.data.facts import states_fact

    records = [{"question": "Which drink made from leaves was first brewed in China?",
                "answer": "The drink first brewed in China is tea.", "fact": "tea"},
               {"question": "Which planet is Mars's neighbour closer to the Sun?",
                "answer": "Earth lies between Venus and Mars.", "fact": "Earth"},
               {"question": "What is the capital of China?", "answer": "The capital of China is Beijing.",
                "fact": "Beijing"},
               {"question": "Which planet is known as the Red Planet?", "answer": "Mars is known as the Red Planet.",
                "fact": "Mars"}]
    out, _ = invert_records(records, "rules", n=3, progress=False)
    for rec, got in zip(records, out):
        assert got["inverted_answers"], got
        assert not any(states_fact(a, rec["fact"]) for a in got["inverted_answers"]), got["inverted_answers"]
    tea = out[0]["inverted_answers"]  # no slot covers "tea": the fact span is the one changed, by the others' facts
    assert len(tea) == 3 and all(a.startswith("The drink first brewed in China is ") for a in tea)
    assert {a.removeprefix("The drink first brewed in China is ").rstrip(".") for a in tea} <= {"Earth", "Beijing",
                                                                                              "Mars"}
    assert RuleEngine(records).fact_slot(1) == Slot(0, 5, "fact", "Earth")
    assert RuleEngine([{"question": "q", "answer": "No fact here."}]).fact_slot(0) is None
