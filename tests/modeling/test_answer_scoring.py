"""Which tokens count in the answer scores, checked against plain re-implementations of the reference formulas.

TOFU (`data_module.py::convert_raw_data_to_model_format` + `utils.py::get_batch_loss`, `evaluate_util.py`):
labels = the joint ids of question+answer followed by EOS, the first len(tokenize(question)) labels -100; the
average answer loss is the summed token CE over the labels divided by their count (EOS included).
open-unlearning (`evals/metrics/utils.py`): `evaluate_probability` is the same average (probability, truth ratio,
LOSS and zlib MIA); `tokenwise_logprobs` / `tokenwise_vocab_logprobs` drop the last label ("-1 to ignore eos
prediction") for Min-K%, Min-K%++, exact memorisation and extraction strength.
"""

from __future__ import annotations

import math

import pytest
import torch
from tolerances import U32, logprob_bound, reorder

from meow.evaluate import mia
from meow.evaluate.base import Scored
from meow.evaluate.extraction import exact_memorisation, extraction_strength
from meow.modeling import LM, PromptFormat, score
from meow.modeling.tiny import TinyConfig, build_tiny_model, train_tokenizer

QA = [("Who wrote book 3?", "Book 3 was written by author number 21."), ("Where was she born?", "In Lima."),
      ("What year?", "1987"), ("Name the prize.", "The Golden Quill Award for fiction, given in 2003.")]
TAGS = PromptFormat("tags", user_start="[INST] ", user_end=" [/INST]", assistant_start="", assistant_end=" ")


@pytest.fixture(scope="module", params=["plain", "tags"])
def lm(request) -> LM:
    texts = [f"Question: {q}\nAnswer: {a}" for q, a in QA] * 3
    tok = train_tokenizer(texts, vocab_size=200)
    model = build_tiny_model(tok, TinyConfig(hidden_size=32, layers=2, heads=2, intermediate_size=64), seed=3)
    return LM(model.double().eval(), tok, PromptFormat("plain") if request.param == "plain" else TAGS)


# The model is float64 (equality is the claim) and so are the references below; `score` takes its log-softmax in
# float32, which moves a log-prob by at most LOGP (tolerances.logprob_bound: vocabulary 200, |logits| < 20 for this
# random model, asserted in `_logits`), and a mean of log-probs (an NLL, Min-K%) by at most LOGP as well.
LOGP = logprob_bound(200, logit_error=20 * U32, max_logit=20)


def _logits(model, ids: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        logits = model(input_ids=ids).logits
    assert float(logits.abs().max()) < 20  # the premise of LOGP
    return logits


def tofu_rows(lm: LM, q: str, a: str) -> tuple[torch.Tensor, torch.Tensor]:
    """TOFU's convert_raw_data_to_model_format (no padding): ids, labels."""
    tok = lm.tokenizer
    question = lm.fmt.prompt(tok, q)
    full = question + lm.fmt.continuation(a, tok)
    n_q = len(tok.tokenize(question, add_special_tokens=True))
    ids = tok(full, add_special_tokens=True)["input_ids"]
    labels = [*ids, tok.eos_token_id]
    labels[:n_q] = [-100] * n_q
    return torch.tensor([[*ids, tok.eos_token_id]]), torch.tensor([labels])


def reference_token_logprobs(lm: LM, q: str, a: str) -> tuple[torch.Tensor, torch.Tensor]:
    """log p and argmax hits of every labelled token (TOFU / open-unlearning shift: logits[:-1] vs labels[1:])."""
    ids, labels = tofu_rows(lm, q, a)
    logits = _logits(lm.model, ids)[0, :-1]
    tgt = labels[0, 1:]
    keep = tgt != -100
    logp = torch.log_softmax(logits[keep], -1)
    return logp.gather(-1, tgt[keep][:, None]).squeeze(-1), logp.argmax(-1) == tgt[keep]


def test_average_answer_loss_is_tofus_with_eos(lm):
    got = score(lm, lm.prompts([q for q, _ in QA]), lm.continuations([a for _, a in QA]))
    for (q, a), s in zip(QA, got):
        ids, labels = tofu_rows(lm, q, a)
        logits = _logits(lm.model, ids)
        ce = torch.nn.functional.cross_entropy(logits[0, :-1], labels[0, 1:], ignore_index=-100,
                                               reduction="sum")
        tofu_avg = float(ce / (labels != -100).sum())
        assert s.mean_nll == pytest.approx(tofu_avg, abs=LOGP)
        assert s.n_end == 1 and len(s.logprobs) == int((labels != -100).sum())
        # TOFU's probability: exp of values within LOGP differ by a factor within exp(LOGP) - 1 < 2 LOGP
        assert math.exp(-s.mean_nll) == pytest.approx(math.exp(-tofu_avg), rel=2 * LOGP)


def test_token_metrics_drop_eos_as_open_unlearning(lm):
    got = score(lm, lm.prompts([q for q, _ in QA]), lm.continuations([a for _, a in QA]), stats=True)
    for (q, a), s in zip(QA, got):
        lp, hits = reference_token_logprobs(lm, q, a)
        lp, hits = lp[:-1], hits[:-1]  # tokenwise_(vocab_)logprobs: actual_indices[:-1]
        em = float(hits.float().mean())
        k = next((k for k in range(len(hits)) if bool(hits[k:].all())), len(hits))
        es = 1 - k / len(hits)
        n = max(1, int(len(lp) * 0.4))
        mink = float(torch.sort(lp).values[:n].mean())  # open-unlearning returns its negative
        assert exact_memorisation(s.answer_only().hits.tolist()) == pytest.approx(em)  # ratios of counts:
        assert extraction_strength(s.answer_only().hits.tolist()) == pytest.approx(es)  # one float64 division
        q_scored = Scored(split="forget", record={"question": q, "answer": a}, answer=s, min_k=0.4)
        # the mean of the n lowest of values each within LOGP is within LOGP (whatever order ties sort in)
        assert mia.MIA_ATTACKS.get("min_k").fn(q_scored) == pytest.approx(mink, abs=LOGP)
        assert mia.MIA_ATTACKS.get("loss").fn(q_scored) == s.mean_nll  # LOSS keeps EOS: the same float


def test_eos_false_scores_the_continuation_only(lm):
    (with_eos,) = score(lm, lm.prompts(["Q?"]), lm.continuations(["A b c."]))
    (without,) = score(lm, lm.prompts(["Q?"]), lm.continuations(["A b c."]), eos=False)
    assert without.n_end == 0 and len(with_eos.logprobs) == len(without.logprobs) + 1
    # two float64 forwards of different lengths (last digits differ), each log-softmax in float32: within LOGP
    assert torch.allclose(with_eos.logprobs[:-1], without.logprobs, rtol=0, atol=LOGP)
    assert with_eos.answer_only().logprobs.shape == without.logprobs.shape


def test_output_head_sees_only_scored_positions(lm):
    seen = []
    handle = lm.model.get_output_embeddings().register_forward_hook(lambda m, a, out: seen.append(tuple(a[0].shape)))
    try:
        got = score(lm, lm.prompts([q for q, _ in QA]), lm.continuations([a for _, a in QA]), batch_size=8)
    finally:
        handle.remove()
    assert seen == [(1, sum(len(s.logprobs) for s in got), lm.model.config.hidden_size)]


class SoftCapped(torch.nn.Module):
    """A model that transforms its logits after the head (as Gemma's final_logit_softcapping does)."""

    def __init__(self, inner):
        super().__init__()
        self.inner, self.config = inner, inner.config

    def get_output_embeddings(self):
        return self.inner.get_output_embeddings()

    def forward(self, **kw):
        out = self.inner(**kw)
        out.logits = 3.0 * torch.tanh(out.logits / 3.0)
        return out


@pytest.mark.parametrize("capped", [False, True])
def test_chunked_head_equals_full_logits(lm, monkeypatch, capped):
    from meow.modeling import scoring

    model = SoftCapped(lm.model) if capped else lm.model
    view = LM(model, lm.tokenizer, lm.fmt)
    prompts, conts = view.prompts([q for q, _ in QA]), view.continuations([a for _, a in QA])
    monkeypatch.setattr(scoring, "CHUNK_ELEMENTS", 3 * lm.model.config.vocab_size)  # chunks of 3 positions
    got = score(view, prompts, conts, batch_size=8, stats=True)
    for row, s in zip(scoring.encode_pairs(view, prompts, conts), got):
        ids, labels = torch.tensor([row["input_ids"]]), torch.tensor([row["labels"]])
        logp = torch.log_softmax(_logits(model, ids)[0, :-1], -1)
        keep = labels[0, 1:] != -100
        want = logp[keep].gather(-1, labels[0, 1:][keep][:, None]).squeeze(-1)
        assert torch.allclose(s.logprobs.double(), want, rtol=0, atol=LOGP)
        mu = (logp[keep].exp() * logp[keep]).sum(-1)
        # |d mu| <= sum p |d log p| (1 + |log p|) <= LOGP (1 + 20), plus a float32 sum of 200 terms (tests/modeling/
        # test_modeling.py derives the same)
        assert torch.allclose(s.mu.double(), mu, rtol=0, atol=21 * LOGP + reorder(200, 20))


class NoOffsets:
    """A tokenizer without offset mappings (as slow tokenizers): meow tokenises the parts apart."""

    def __init__(self, tok):
        self.tok = tok

    def __getattr__(self, name):
        return getattr(self.tok, name)

    def __call__(self, text, **kw):
        if kw.get("return_offsets_mapping"):
            raise NotImplementedError("no offsets")
        return self.tok(text, **kw)


def test_tokenizers_without_offsets_encode_the_parts_apart(lm):
    from meow.modeling.encoding import encode

    tok = lm.tokenizer
    prompt, cont = lm.fmt.prompt(tok, "Who?"), lm.fmt.continuation("Me and you.", tok)
    row = encode(NoOffsets(tok), prompt, cont)
    p = tok(prompt)["input_ids"]
    c = tok(cont, add_special_tokens=False)["input_ids"]
    assert row["input_ids"] == [*p, *c, tok.eos_token_id]
    assert row["labels"] == [-100] * len(p) + [*c, tok.eos_token_id] and row["n_end"] == 1
