"""meow.modeling.reuse: inside `reuse()` a model asked the same prompt or pair twice computes it once; other weights
(by content), other options, and everything outside the block compute as before."""

import copy

import pytest
import torch

from meow.modeling import LM, PromptFormat, generate, reuse, score
from meow.modeling import generation as generation_module
from meow.modeling import scoring as scoring_module
from meow.modeling.tiny import TinyConfig, build_tiny_model, train_tokenizer

TEXTS = [f"Question: Who wrote book {i}?\nAnswer: Book {i} was written by author number {i * 7}." for i in range(20)]
PROMPTS = [f"Question: Who wrote book {i}?\nAnswer:" for i in range(4)]


@pytest.fixture(scope="module")
def lm() -> LM:
    tok = train_tokenizer(TEXTS, vocab_size=300)
    model = build_tiny_model(tok, TinyConfig(hidden_size=32, layers=1, heads=2, intermediate_size=64), seed=1)
    return LM(model.eval(), tok, PromptFormat("plain"))


@pytest.fixture
def counted(monkeypatch):
    """How many prompts reach the greedy loop, and how many pairs the scoring forward passes."""
    calls = {"generate": 0, "score": 0}
    real_tokenize, real_logits = generation_module.tokenize, scoring_module.scored_logits

    def tokenize(*a, **k):  # once per distinct prompt a `generate` call computes
        calls["generate"] += 1
        return real_tokenize(*a, **k)

    def logits(model, input_ids, *a, **k):
        calls["score"] += input_ids.shape[0]
        return real_logits(model, input_ids, *a, **k)

    monkeypatch.setattr(generation_module, "tokenize", tokenize)
    monkeypatch.setattr(scoring_module, "scored_logits", logits)
    return calls


def test_generations_are_computed_once_and_equal(lm, counted):
    plain = generate(lm, PROMPTS, max_new_tokens=8)
    assert counted["generate"] == 4
    with reuse.reuse():
        first = generate(lm, PROMPTS[:2], max_new_tokens=8)
        again = generate(lm, PROMPTS, max_new_tokens=8)  # two new prompts, two kept
        longer = generate(lm, PROMPTS[:1], max_new_tokens=9)  # another option: computed
    # the store is gone after the block
    generate(lm, PROMPTS[:1], max_new_tokens=8)
    assert counted["generate"] == 4 + 2 + 2 + 1 + 1
    # the same prompts alone or in one batch: the greedy loop computes each row as it would alone (exact equality
    # of the decoded tokens is the claim of meow.modeling.generation; the tiny model has no near ties here)
    assert first == plain[:2] and again == plain and len(longer) == 1


def test_scores_are_kept_per_pair_and_stats_computed_when_asked(lm, counted):
    answers = [" Book 1.", " Book 2.", " Book 1."]
    prompts = PROMPTS[:2] + PROMPTS[1:2]  # the third pair differs from the first in its prompt
    with reuse.reuse():
        a = score(lm, prompts, answers)
        b = score(lm, prompts[:2], answers[:2])
        assert counted["score"] == 3
        c = score(lm, prompts[:1], answers[:1], stats=True)  # kept without stats: computed again, with them
        assert counted["score"] == 4 and c[0].mu is not None
        assert score(lm, prompts[:1], answers[:1])[0] is c[0]
    # a kept result is the very object the first call returned: equal by construction
    assert b[0] is a[0] and b[1] is a[1]
    # and each equals a fresh computation of the pair alone, up to float32 summation order: the pair was scored
    # in a batch of 3 rows padded to the longest (other matrix shapes) vs 1 row; log-probs of ~10 tokens over a
    # 300-token vocabulary, |log p| < 10: 64 ulp of 10 in float32 (10 * 64 * 2^-23 = 7.6e-5) is far above any
    # reordering of sums of a few hundred terms (n * u * sum|x| with n = 300, u = 2^-24 is 1.8e-5 * |x|)
    alone = score(lm, prompts[:1], answers[:1])[0]
    torch.testing.assert_close(a[0].logprobs, alone.logprobs, rtol=0, atol=1e-4)


def test_other_weights_miss_the_store(lm, counted):
    other = LM(copy.deepcopy(lm.model), lm.tokenizer, lm.fmt)
    with reuse.reuse():
        generate(lm, PROMPTS[:1], max_new_tokens=4)
        generate(other, PROMPTS[:1], max_new_tokens=4)  # equal weights (a copy): kept
        assert counted["generate"] == 1
        with torch.no_grad():
            next(other.model.parameters()).add_(1.0)  # changed in place: another fingerprint
        generate(other, PROMPTS[:1], max_new_tokens=4)
        assert counted["generate"] == 2
    assert reuse.fingerprint(lm) != reuse.fingerprint(other)


def test_twins_are_kept_for_the_same_key():
    made = []

    def make():
        made.append(object())
        return made[-1]

    class Fake:  # fingerprint needs only weights, a tokenizer and a format
        def __init__(self, seed):
            self.model = torch.nn.Linear(2, 2)
            torch.nn.init.constant_(self.model.weight, seed)
            self.tokenizer, self.fmt = [0, 1], PromptFormat("plain")

    a, b = Fake(1.0), Fake(2.0)
    assert reuse.twin(a, "k", make) is made[0] and reuse.twin(a, "k", make) is made[1]  # outside: always made
    with reuse.reuse():
        first = reuse.twin(a, "k", make)
        assert reuse.twin(a, "k", make) is first
        reuse.twin(b, "k", make)
        reuse.twin(b, "other", make)  # a third: the least recently used (a's) is dropped
        assert reuse.twin(a, "k", make) is not first and len(made) == 6
