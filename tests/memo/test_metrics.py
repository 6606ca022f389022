"""MEMO, MA and EL against values worked out by hand."""

from __future__ import annotations

import itertools

import pytest
import torch

from meow.errors import MeowError
from meow.memo import MEMO_METRICS, memo_scores, score_records, summarise, windows
from meow.memo.el import el_windows, overlap
from meow.modeling import LM, PromptFormat


def test_suffix_windows_listed():
    # len("red apples are sweet") = 20, stride 5: i = 1, 6, 11, 16
    assert windows("Q?", "red apples are sweet", "suffix", 5) == [
        ("r", "ed apples are sweet"),
        ("red ap", "ples are sweet"),
        ("red apples ", "are sweet"),
        ("red apples are s", "weet"),
    ]
    assert windows("Q?", "abcdef", "suffix", 5) == [("a", "bcdef")]  # i = 6 is not < 6
    assert windows("Q?", "abcdefg", "suffix", 5) == [("a", "bcdefg"), ("abcdef", "g")]
    assert windows("Q?", "abc", "suffix", 1) == [("a", "bc"), ("ab", "c")]
    assert windows("Q?", "x", "suffix", 5) == []


def test_prefix_windows_listed():
    # len("Who is he?") = 10: i = 1, 6; the target is the rest of the question, a space, then the answer
    assert windows("Who is he?", "Bob.", "prefix", 5) == [("W", "ho is he? Bob."), ("Who is", " he? Bob.")]


class FakeGenerate:
    """Stands in for meow.modeling.generation.generate: checks the prompts, returns fixed texts in order."""

    def __init__(self, expected_prompts: list[str] | None, texts: list[str]):
        self.expected, self.texts, self.calls = expected_prompts, texts, []

    def __call__(self, lm, prompts, max_new_tokens=200, batch_size=64, temperature=0.0, seed=0, desc=None):
        self.calls.append({"prompts": list(prompts), "max_new_tokens": max_new_tokens, "batch_size": batch_size})
        if self.expected is not None:
            assert list(prompts) == self.expected
        assert len(prompts) == len(self.texts)
        return list(self.texts)


PLAIN = LM(model=None, tokenizer=None, fmt=PromptFormat("plain"))


def test_memo_suffix_hand_worked(monkeypatch):
    q = "Who?"
    head = "Question: Who?\nAnswer: "
    prompts = [head + "r", head + "red ap", head + "red apples ", head + "red apples are s", head + "b"]
    texts = [
        "ed apple is sweet",  # target "ed apples are sweet": ed, appl(e|es) stemmed, sweet -> 3 of 4 words
        "",                   # nothing generated -> 0
        "are sweet are",      # target "are sweet": are (clipped to 1), sweet -> 2 of 3
        "weet",               # target "weet" -> 1 of 1
        "lue lue",            # answer "blue", window "b" -> target "lue": clipped 1 of 2
    ]
    fake = FakeGenerate(prompts, texts)
    monkeypatch.setattr("meow.modeling.generation.generate", fake)
    got = memo_scores(PLAIN, [q, q, q], ["red apples are sweet", "blue", "x"], stride=5, max_new_tokens=17,
                      batch_size=3)
    assert got == pytest.approx([(3 / 4 + 0 + 2 / 3 + 1) / 4, 1 / 2, 0.0], abs=1e-12)
    assert fake.calls[0]["max_new_tokens"] == 17 and fake.calls[0]["batch_size"] == 3
    assert len(fake.calls) == 1  # every window of every answer in one batched call


def test_memo_prefix_hand_worked(monkeypatch):
    fake = FakeGenerate(["W", "Who is"], ["ho is Bob", "she"])  # raw question text, no template
    monkeypatch.setattr("meow.modeling.generation.generate", fake)
    # target "ho is he? Bob.": ho, is, bob all found -> 1; target " he? Bob.": "she" not found -> 0
    assert memo_scores(PLAIN, ["Who is he?"], ["Bob."], mode="prefix") == [pytest.approx(0.5)]


def test_el_overlap_hand_worked():
    assert overlap("a a b c", "a b x") == pytest.approx(2 / 3)  # distinct {a, b, c}; a, b in the reference
    assert overlap("", "a b") == 0.0
    assert overlap("x y", "a b") == 0.0


def test_el_suffix_prefixes_and_mean(monkeypatch, tiny_lm):
    answer = "the cat sat on a mat"
    tok = tiny_lm.tokenizer
    ids = tok(" " + answer, add_special_tokens=False)["input_ids"]
    ws = el_windows(tiny_lm, "Who sat?", answer, "suffix")
    assert len(ws) == len(ids) - 2  # i = 1 .. T-2 (n = 1)
    head = "Question: Who sat?\nAnswer:"
    grown = [p[len(head):] for p, _ in ws]
    assert all(p.startswith(head) for p, _ in ws)
    assert grown[0] and all((" " + answer).startswith(g) for g in grown)
    assert all(len(a) < len(b) for a, b in itertools.pairwise(grown))
    assert {ref for _, ref in ws} == {answer}  # suffix mode scores against the whole answer (the reference's choice)
    texts = ["", *["the cat dog"] * (len(ws) - 1)]  # 0, then 2 of 3 distinct words in the answer
    monkeypatch.setattr("meow.modeling.generation.generate", FakeGenerate([p for p, _ in ws], texts))
    (got,) = memo_scores(tiny_lm, ["Who sat?"], [answer], metric="el")
    assert got == pytest.approx((len(ws) - 1) * (2 / 3) / len(ws))


def test_el_prefix_references_are_the_rest_of_the_text(tiny_lm):
    ws = el_windows(tiny_lm, "Who sat?", "the cat", "prefix")
    assert ws
    for prompt, ref in ws:
        assert prompt + ref == "Who sat? the cat"


@torch.no_grad()
def hand_hits(lm: LM, context: list[int], target: list[int]) -> list[bool]:
    """Predict each target token from the context and the true tokens before it, one forward per token."""
    return [int(lm.model(torch.tensor([context + target[:t]])).logits[0, -1].argmax()) == target[t]
            for t in range(len(target))]


def test_ma_equals_hits_counted_by_hand(tiny_lm, memo_records):
    tok = tiny_lm.tokenizer
    recs = memo_records[:3]
    qs = [r["question"] for r in recs for _ in range(2)]
    answers = [a for r in recs for a in (r["answer"], r["inverted_answers"][0])]
    expected = []
    for q, a in zip(qs, answers):
        hits = hand_hits(tiny_lm, tok(f"Question: {q}\nAnswer:")["input_ids"],
                         tok(" " + a, add_special_tokens=False)["input_ids"])
        expected.append(sum(hits) / len(hits))
    got = memo_scores(tiny_lm, qs, answers, metric="ma", batch_size=4)
    assert got == pytest.approx(expected, abs=1e-12)
    assert got[0] > got[1]  # the memorised answer beats its inversion
    # prefix mode: the raw text "q a" after BOS, from its second token on
    prefix = []
    for q, a in zip(qs, answers):
        ids = tok(f"{q} {a}", add_special_tokens=False)["input_ids"]
        hits = hand_hits(tiny_lm, [tok.bos_token_id, ids[0]], ids[1:])
        prefix.append(sum(hits) / len(hits))
    assert memo_scores(tiny_lm, qs, answers, metric="ma", mode="prefix") == pytest.approx(prefix, abs=1e-12)


def test_registry_and_option_errors(tiny_lm):
    assert MEMO_METRICS.names() == ["el", "ma", "memo"]
    with pytest.raises(MeowError, match="unknown memorisation metric 'bleu'"):
        memo_scores(tiny_lm, ["q"], ["a"], metric="bleu")
    with pytest.raises(MeowError, match="--mode: 'middle' is not one of suffix, prefix"):
        memo_scores(tiny_lm, ["q"], ["a"], mode="middle")
    with pytest.raises(MeowError, match="--stride must be at least 1"):
        memo_scores(tiny_lm, ["q"], ["a"], stride=0)


def test_score_records_attaches_scores_and_keeps_fields(monkeypatch):
    recs = [{"question": "Q1?", "answer": "aaaaaaa", "inverted_answers": ["bb", "cc"], "id": 7},
            {"question": "Q2?", "answer": "dd", "inverted_answers": [], "memo": {"old": True}}]
    # every answer of 2 to 7 characters has windows at i = 1 (and i = 6 for "aaaaaaa")
    texts = ["aaaaaa", "z", "b", "c", "d"]  # precisions: 1, 0 -> 0.5; "b" 1; "c" 1; "d" 1
    fake = FakeGenerate(None, texts)
    monkeypatch.setattr("meow.modeling.generation.generate", fake)
    out = score_records(PLAIN, recs, stride=5, max_new_tokens=9, progress=False)
    assert [p.rsplit(" ", 1)[-1] for p in fake.calls[0]["prompts"]] == ["a", "aaaaaa", "b", "c", "d"]
    options = {"metric": "memo", "mode": "suffix", "stride": 5, "max_new_tokens": 9}
    assert out[0] == {**recs[0], "memo": {**options, "answer": 0.5, "inverted_answers": [1.0, 1.0]}}
    assert out[1] == {**recs[1], "memo": {**options, "answer": 1.0, "inverted_answers": []}}
    assert recs[1]["memo"] == {"old": True}  # inputs untouched
    s = summarise(out)
    assert s["answer"] == {"count": 2, "mean": 0.75}
    assert s["inverted_answers"] == {"count": 2, "mean": 1.0}
    assert s["answer_above_inverted_mean"] == 0.0  # record 0: 0.5 < 1.0; record 1 has no inverted answers


def test_score_records_needs_inverted_answers_unless_only_the_answer():
    with pytest.raises(MeowError, match=r"forget.json: record 1: field 'inverted_answers': missing; run `meow invert`"):
        score_records(PLAIN, [{"question": "q", "answer": "a", "inverted_answers": []},
                              {"question": "q", "answer": "a"}], source="forget.json")
    out = score_records(PLAIN, [{"question": "q", "answer": "a"}], targets=("answer",), progress=False)
    assert out[0]["memo"]["answer"] == 0.0 and "inverted_answers" not in out[0]["memo"]  # no windows -> 0
