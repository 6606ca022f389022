import copy

import pytest
import torch
from reference import greedy
from tolerances import U32, dot_bound, logprob_bound, reorder

from meow.errors import MeowError
from meow.modeling import IGNORE, LM, PromptFormat, collate, encode, generate, load_lm, save_lm, score
from meow.modeling.tiny import TinyConfig, build_tiny_model, train_tokenizer

TEXTS = [f"Question: Who wrote book {i}?\nAnswer: Book {i} was written by author number {i * 7}." for i in range(30)]


@pytest.fixture(scope="module")
def raw_lm() -> LM:
    """An untrained tiny model: mechanics only (random weights give varied, non-trivial outputs)."""
    tok = train_tokenizer(TEXTS, vocab_size=300)
    model = build_tiny_model(tok, TinyConfig(hidden_size=32, layers=2, heads=2, intermediate_size=64), seed=1)
    return LM(model.eval(), tok, PromptFormat("plain"))


def test_plain_prompt_format():
    fmt = PromptFormat("plain")
    assert fmt.prompt(None, "Who?") == "Question: Who?\nAnswer:"
    assert fmt.continuation("Me.") == " Me."


def test_encode_masks_prompt_and_appends_eos(raw_lm):
    tok = raw_lm.tokenizer
    enc = encode(tok, "Question: Who?\nAnswer:", " Me.", add_eos=True)
    p = tok("Question: Who?\nAnswer:")["input_ids"]
    assert p[0] == tok.bos_token_id
    assert enc["input_ids"][: len(p)] == p
    assert enc["labels"][: len(p)] == [IGNORE] * len(p)
    assert enc["labels"][len(p):] == enc["input_ids"][len(p):]
    assert enc["input_ids"][-1] == tok.eos_token_id
    assert tok.decode(enc["input_ids"][len(p):-1]) == " Me."


def test_collate_pads_right_and_left():
    feats = [{"input_ids": [5, 6, 7], "labels": [IGNORE, 6, 7]}, {"input_ids": [8], "labels": [8]}]
    right = collate(feats, pad_id=0)
    assert right["input_ids"].tolist() == [[5, 6, 7], [8, 0, 0]]
    assert right["attention_mask"].tolist() == [[1, 1, 1], [1, 0, 0]]
    assert right["labels"].tolist() == [[IGNORE, 6, 7], [8, IGNORE, IGNORE]]
    left = collate(feats, pad_id=0, left=True)
    assert left["input_ids"].tolist() == [[5, 6, 7], [0, 0, 8]]
    assert left["attention_mask"].tolist() == [[1, 1, 1], [0, 0, 1]]


def reference_logprobs(lm: LM, prompt: str, continuation: str) -> tuple[torch.Tensor, torch.Tensor]:
    """One pair, no padding: log p of each continuation token and then EOS (TOFU's labels), straight from the model."""
    tok = lm.tokenizer
    p = tok(prompt)["input_ids"]
    c = tok(continuation, add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
    ids = torch.tensor([p + c])
    with torch.no_grad():
        logits = lm.model(ids).logits[0]
        logp = torch.log_softmax(logits if logits.dtype == torch.float64 else logits.float(), -1)
    rows = [logp[len(p) - 1 + t] for t in range(len(c))]
    return torch.stack([r[c[t]] for t, r in enumerate(rows)]), torch.stack([r.argmax() == c[t] for t, r in enumerate(rows)])


@pytest.fixture(scope="module")
def raw_lm64(raw_lm) -> LM:
    """raw_lm in float64: where equality is the claim, both sides compute in float64."""
    return LM(copy.deepcopy(raw_lm.model).double(), raw_lm.tokenizer, raw_lm.fmt)


# Batched (padded) scores of a float64 model vs the float64 reference, row by row. The logits agree to float64
# rounding (~1e-14). `score` takes the log-softmax in float32 at least: a float32 log-softmax of them (vocabulary
# 300, |logits| < 20 for this random model) moves log p by at most LOGP (tolerances.logprob_bound: 2.2e-5); when
# the log-softmax stays in float64 the difference is ~1e-14.
LOGP = logprob_bound(300, logit_error=20 * U32, max_logit=20)


def test_batched_score_equals_one_at_a_time(raw_lm64):
    lm = raw_lm64
    prompts = lm.prompts([f"Who wrote book {i}?" for i in range(7)])
    conts = lm.continuations([f"Book {i} was written by author number {i * 7}." + " extra" * (i % 3)
                              for i in range(7)])
    batched = score(lm, prompts, conts, batch_size=3, stats=True)
    for p, c, s in zip(prompts, conts, batched):
        lp, hits = reference_logprobs(lm, p, c)
        with torch.no_grad():
            assert float(lm.model(torch.tensor([lm.tokenizer(p)["input_ids"]])).logits.abs().max()) < 20
        assert float((s.logprobs.double() - lp).abs().max()) <= LOGP
        assert torch.equal(s.hits, hits)  # the argmax of equal logits (no near ties within 1e-5 here)
        assert s.mean_nll == pytest.approx(float(-lp.mean()), abs=LOGP)  # a mean of values each within LOGP
        assert (s.sigma >= 0).all() and (s.mu <= 0).all()


def test_min_k_plus_plus_stats_match_definition(raw_lm64):
    raw_lm = raw_lm64
    (s,) = score(raw_lm, raw_lm.prompts(["Who wrote book 1?"]), raw_lm.continuations(["Book 1."]), stats=True)
    tok = raw_lm.tokenizer
    p = tok(raw_lm.prompts(["Who wrote book 1?"])[0])["input_ids"]
    with torch.no_grad():
        logp = torch.log_softmax(raw_lm.model(torch.tensor([p + tok(" Book 1.", add_special_tokens=False)["input_ids"]])).logits[0], -1)
    row = logp[len(p) - 1]
    mu = float((row.exp() * row).sum())
    var = float((row.exp() * (row - mu) ** 2).sum())
    # mu = sum_z p(z) log p(z) over 300 terms, from log-probs each within LOGP (above) of the float64 ones:
    # |d mu| <= sum p |d log p| (1 + |log p|) <= LOGP (1 + 20) plus the float32 sum, 2 gamma(300) * |mu|-sized terms;
    # sigma likewise (its square has terms p (log p)^2 <= 400 p)
    assert float(s.mu[0]) == pytest.approx(mu, abs=21 * LOGP + reorder(300, 20))
    assert float(s.sigma[0]) ** 2 == pytest.approx(var, abs=2 * 21 * 20 * LOGP + reorder(300, 400))


reference_greedy = greedy

def test_batched_generation_equals_one_at_a_time(raw_lm):
    prompts = raw_lm.prompts([f"Who wrote book {i}?" + " Really?" * (i % 4) for i in range(6)])
    batched = generate(raw_lm, prompts, max_new_tokens=12, batch_size=4)
    assert batched == [reference_greedy(raw_lm, p, 12) for p in prompts]


def test_save_and_reload_with_plain_transformers(raw_lm, tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out = save_lm(raw_lm, tmp_path / "m", {"made_by": "test"})
    model = AutoModelForCausalLM.from_pretrained(out)
    tok = AutoTokenizer.from_pretrained(out)
    ids = tok("Question: Who wrote book 3?", return_tensors="pt")["input_ids"]
    with torch.no_grad():
        mine, theirs = raw_lm.model(ids).logits, model(ids).logits
    # The same float32 weights (saved bit for bit) and tokens; what can differ is the order of float32 sums (the
    # attention implementation picked at load, its kernels). Each of the 3 stages (2 layers, the head) is made of
    # dot products of at most 64 terms (hidden 32, MLP 64) of inputs normalised to |x| <= ~1 and weights < 0.1:
    # sum|w x| <= 6.4, so each moves by at most dot_bound(64, 6.4) = 5e-5, and the logits by at most 3 of those
    # (norms renormalise the residual stream). A missing or wrong weight moves logits by ~0.1 (they are ~0.5).
    assert max(float(p.detach().abs().max()) for p in raw_lm.model.parameters() if p.dim() == 2) < 0.1
    assert float((mine - theirs).abs().max()) <= 3 * dot_bound(64, 6.4)
    again = load_lm(out)
    assert again.fmt == PromptFormat("plain") and again.meta["made_by"] == "test"


def test_load_errors_are_one_line(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(MeowError, match="not a model folder"):
        load_lm(tmp_path / "empty")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "config.json").write_text("{not json")
    with pytest.raises(MeowError, match=r"could not load the (tokenizer|model)") as err:
        load_lm(tmp_path / "broken")
    assert "\n" not in str(err.value)


def test_memorisation_check_after_training(tiny_lm, tiny_bench_dir, tmp_path):
    """The check `meow train` prints: key-fact accuracy and ROUGE-L recall over greedy answers, saved as JSON."""
    import json

    from rich.console import Console

    from meow.data import load_records
    from meow.evaluate.train_check import memorisation_check

    result = memorisation_check(tiny_lm, str(tiny_bench_dir), "full", 12, str(tmp_path), Console(quiet=True))
    records = load_records(tiny_bench_dir, "full")[:12]
    answers = [greedy(tiny_lm, tiny_lm.prompts([r["question"]])[0], 64) for r in records]
    hits = [r["fact"].lower() in a.lower() for r, a in zip(records, answers)]
    assert result["records"] == 12
    assert result["key_fact_accuracy"] == pytest.approx(sum(hits) / len(hits))
    assert result["key_fact_accuracy"] > 0.9 and result["rouge_l_recall"] > 0.9  # the fixture memorised `full`
    assert json.loads((tmp_path / "train_check.json").read_text()) == result


def test_greedy_loop_stops_on_any_stop_id(raw_lm):
    from meow.modeling.generation import greedy_ids

    tok = raw_lm.tokenizer
    encs = [tok(p)["input_ids"] for p in raw_lm.prompts(["Who wrote book 1?", "Who wrote book 22?"])]
    free = greedy_ids(raw_lm.model, encs, 12, 2, None, tok.pad_token_id)
    stop = free[0][3]
    got = greedy_ids(raw_lm.model, encs, 12, 2, [tok.eos_token_id, stop], tok.pad_token_id)
    for f, g in zip(free, got):
        cut = next((i for i, t in enumerate(f) if t in (stop, tok.eos_token_id)), len(f) - 1)
        assert g == f[: cut + 1]
