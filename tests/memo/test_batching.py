"""Batching changes nothing: batched scores and greedy generations equal a plain one-at-a-time computation."""

from __future__ import annotations

import pytest
from rouge_score import rouge_scorer

from meow.memo import score_records
from meow.modeling import generate
from meow.modeling.generation import greedy_ids

MAX_NEW = 200


def plain_memo(lm, greedy_one, question: str, answer: str, stride: int = 5) -> tuple[float, list[str]]:
    """MEMO written out: every window generated alone, ROUGE-1 precision against the rest, mean."""
    scorer = rouge_scorer.RougeScorer(["rouge1"], use_stemmer=True)
    scores, gens = [], []
    for i in range(1, len(answer), stride):
        gen = greedy_one(lm, f"Question: {question}\nAnswer: {answer[:i]}", MAX_NEW)
        gens.append(gen)
        scores.append(scorer.score(answer[i:], gen)["rouge1"].precision)
    return (sum(scores) / len(scores) if scores else 0.0), gens


def test_batched_memo_equals_one_at_a_time(tiny_lm, memo_records, greedy_one, monkeypatch):
    recs = memo_records[:4]
    seen: list[tuple[list[str], list[str]]] = []
    real = generate

    def spy(lm, prompts, *args, **kwargs):
        out = real(lm, prompts, *args, **kwargs)
        seen.append((list(prompts), out))
        return out

    monkeypatch.setattr("meow.modeling.generation.generate", spy)
    scored = score_records(tiny_lm, recs, stride=5, max_new_tokens=MAX_NEW, batch_size=16, progress=False)
    (prompts, batched_gens), = seen
    plain_gens: list[str] = []
    for rec, out in zip(recs, scored):
        expected = []
        for answer in [rec["answer"], *rec["inverted_answers"]]:
            score, gens = plain_memo(tiny_lm, greedy_one, rec["question"], answer)
            expected.append(score)
            plain_gens += gens
        assert [out["memo"]["answer"], *out["memo"]["inverted_answers"]] == pytest.approx(expected, abs=1e-12)
    assert batched_gens == plain_gens  # greedy generations identical, window by window
    assert len(prompts) > 100 and len(set(plain_gens)) > 20  # many windows, varied outputs
    memo = [r["memo"] for r in scored]
    originals = [m["answer"] for m in memo]
    inverted = [s for m in memo for s in m["inverted_answers"]]
    assert sum(originals) / len(originals) > sum(inverted) / len(inverted)  # the model memorised the originals


def test_continuous_batching_equals_one_at_a_time(tiny_lm, memo_records, greedy_one):
    """Rows of different lengths finish at different steps; a batch of 3 refills, merges and trims constantly."""
    tok = tiny_lm.tokenizer
    questions = [r["question"] for r in memo_records]
    prompts = [*tiny_lm.prompts(questions), "Question: Who", "Question: " + questions[0] + " and more words?",
               *(f"Question: {q}\nAnswer: {r['answer'][:12]}" for q, r in zip(questions, memo_records)),
               tiny_lm.prompts(questions)[1]]  # a repeated prompt
    for max_new in (1, 7, 40):
        expected = [greedy_one(tiny_lm, p, max_new) for p in prompts]
        assert generate(tiny_lm, prompts, max_new_tokens=max_new, batch_size=3) == expected
    encs = [tok(p)["input_ids"] for p in prompts]
    ids = greedy_ids(tiny_lm.model, encs, 40, 3, tok.eos_token_id, tok.pad_token_id)
    assert any(x[-1] == tok.eos_token_id for x in ids) and any(len(x) == 40 for x in ids)  # both ways to stop
    assert len({len(x) for x in ids}) > 3
    assert greedy_ids(tiny_lm.model, encs, 0, 3, tok.eos_token_id, tok.pad_token_id) == [[] for _ in encs]
    assert generate(tiny_lm, [], max_new_tokens=5) == []


def test_sampling_still_reproducible(tiny_lm):
    prompts = tiny_lm.prompts(["Who?", "Where?"])
    a = generate(tiny_lm, prompts, max_new_tokens=8, temperature=1.0, seed=3)
    assert a == generate(tiny_lm, prompts, max_new_tokens=8, temperature=1.0, seed=3)


def test_prefix_mode_batched_equals_one_at_a_time(tiny_lm, memo_records, greedy_one):
    """Prefix mode continues the raw question text (BOS added by the tokenizer, no template)."""
    scorer = rouge_scorer.RougeScorer(["rouge1"], use_stemmer=True)
    recs = [{**r, "inverted_answers": r["inverted_answers"][:1]} for r in memo_records[:2]]
    scored = score_records(tiny_lm, recs, mode="prefix", stride=7, max_new_tokens=40, progress=False)
    for rec, out in zip(recs, scored):
        q = rec["question"]
        for answer, got in zip([rec["answer"], *rec["inverted_answers"]],
                               [out["memo"]["answer"], *out["memo"]["inverted_answers"]]):
            precisions = [scorer.score(q[i:] + " " + answer, greedy_one(tiny_lm, q[:i], 40))["rouge1"].precision
                          for i in range(1, len(q), 7)]
            assert got == pytest.approx(sum(precisions) / len(precisions), abs=1e-12)


def test_prefix_tree_by_hand():
    from meow.modeling.prefix_tree import Node, prefix_levels

    # [1,2,3,4,5,6] and [1,2,3,4,5,7] share 5 tokens; [1,2] is a prefix of [1,2,3]: it keeps its last token;
    # [8,9,9] shares nothing: a leaf at depth 0 with all its tokens
    encs = [[1, 2, 3, 4, 5, 6], [8, 9, 9], [1, 2, 3, 4, 5, 7], [1, 2], [1, 2, 3]]
    assert prefix_levels(encs) == [
        [Node(-1, 0, 1, 3, None), Node(-1, 0, 3, 1, 1)],  # [1] shared by four prompts; [8,9,9] alone
        [Node(0, 1, 2, 3, 3), Node(0, 1, 2, 4, None)],  # [1,2] ends at its last token; [2] under the rest
        [Node(1, 2, 3, 4, 4), Node(1, 2, 5, 0, None)],  # [1,2,3] ends; [3,4,5] shared by the two long ones
        [Node(1, 5, 6, 0, 0), Node(1, 5, 6, 2, 2)],
    ]
    assert prefix_levels([[7]]) == [[Node(-1, 0, 1, 0, 0)]] and prefix_levels([]) == []
    assert prefix_levels([[1, 2], [1, 2]]) == [[Node(-1, 0, 1, 0, None)], [Node(0, 1, 2, 0, 0), Node(0, 1, 2, 1, 1)]]


def test_prefix_tree_covers_every_prompt_once():
    """Random prompts: each prompt's path from the root is its tokens, each leaf has a token of its own, and no
    two nodes of a level hold the same prefix (each distinct prefix computed once)."""
    import random

    from meow.modeling.prefix_tree import prefix_levels

    rng = random.Random(0)
    for _ in range(200):
        encs = [[rng.randrange(3) for _ in range(rng.randrange(1, 7))] for _ in range(rng.randrange(1, 9))]
        levels = prefix_levels(encs)
        seen = set()
        for depth, level in enumerate(levels):
            keys = [tuple(encs[n.rep][: n.end]) for n in level]
            assert len(set(zip(keys, [n.leaf for n in level]))) == len(level)
            for n in level:
                assert n.end > n.start
                if depth:
                    parent = levels[depth - 1][n.parent]
                    assert parent.leaf is None and parent.end == n.start
                    assert encs[n.rep][: n.start] == encs[parent.rep][: n.start]
                else:
                    assert n.parent == -1 and n.start == 0
                if n.leaf is not None:
                    assert n.end == len(encs[n.leaf]) and encs[n.rep] == encs[n.leaf]
                    seen.add(n.leaf)
        assert seen == set(range(len(encs)))
