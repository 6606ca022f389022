"""GradNorm and Reference membership attacks (open-unlearning src/evals/metrics/mia/gradnorm.py, reference.py)
against plain re-implementations on the tiny model, and Min-K%++'s variance floor."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from tolerances import TINY_LOGP

from meow.cli import main
from meow.evaluate import EvalConfig, evaluate, load_splits, mia


def _ids(lm, question: str, answer: str, eos: bool) -> tuple[list[int], list[int]]:
    tok = lm.tokenizer
    p = tok(lm.prompts([question])[0], add_special_tokens=not lm.fmt.prompt_has_special_tokens)["input_ids"]
    c = tok(lm.continuations([answer])[0], add_special_tokens=False)["input_ids"]
    return p, c + ([tok.eos_token_id] if eos else [])


def ref_loss(lm, question: str, answer: str, grad: bool = False, eos: bool = False) -> torch.Tensor:
    """Mean token NLL of the answer; `eos`: with the EOS label (open-unlearning's evaluate_probability avg_loss,
    which the Reference attack uses), else without it (tokenwise_logprobs, which GradNorm uses)."""
    p, c = _ids(lm, question, answer, eos)
    with torch.set_grad_enabled(grad):
        logits = lm.model(torch.tensor([p + c])).logits[0, len(p) - 1 : -1]
        logits = logits if logits.dtype == torch.float64 else logits.float()
        return -torch.log_softmax(logits, -1)[torch.arange(len(c)), torch.tensor(c)].mean()


def ref_grad_norm(lm, question: str, answer: str) -> float:
    """open-unlearning's GradNormAttack: mean over parameters of ||grad||_2 of the sample's mean token loss."""
    params = [q for q in lm.model.parameters() if q.requires_grad]
    grads = torch.autograd.grad(ref_loss(lm, question, answer, grad=True), params, allow_unused=True)
    return torch.stack([g.norm(p=2) for g in grads if g is not None]).mean().item()


@pytest.fixture(scope="module")
def reference_dir(tiny_model_dir, tmp_path_factory):
    """A different model with the same tokenizer: the tiny model with its final norm halved."""
    from transformers import AutoModelForCausalLM

    folder = tmp_path_factory.mktemp("ref") / "m"
    shutil.copytree(tiny_model_dir, folder)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    with torch.no_grad():
        model.model.norm.weight.mul_(0.5)
    model.save_pretrained(folder)
    return folder


def test_gradnorm_and_reference_match_plain_computations(tiny_model_dir, tiny_bench_dir, reference_dir):
    from meow.modeling import load_lm

    # float64 throughout (equality is the claim): GradNorm's backward pass and its log-softmax stay in float64 for a
    # float64 model (meow.evaluate.mia.grad_norms), so meow and the plain version differ only in the order of float64
    # sums (token means, per-tensor norms of <= 4e4 terms: 2 gamma(4e4, U64) = 9e-12 relative, times the
    # backward's few layers); rel 1e-9 keeps a 100x margin.
    tiny_lm = load_lm(tiny_model_dir, dtype="float64")
    ref_lm = load_lm(reference_dir, dtype="float64")
    splits, _, _ = load_splits(tiny_bench_dir, "forget10")
    splits = {"forget": splits["forget"][:3], "holdout": splits["holdout"][:3]}
    res = evaluate(tiny_lm, splits, cfg=EvalConfig(generation=False, fluency=False, memorisation=False),
                   reference_lm=ref_lm, progress=False)
    for split in ("forget", "holdout"):
        for rec in res.records(split):
            q, a = rec["question"], rec["answer"]
            assert rec["mia"]["gradnorm"] == pytest.approx(ref_grad_norm(tiny_lm, q, a), rel=1e-9)
            # a difference of two mean NLLs from `score`, whose log-softmax is float32: each within TINY_LOGP
            want = ref_loss(tiny_lm, q, a, eos=True).item() - ref_loss(ref_lm, q, a, eos=True).item()
            assert rec["mia"]["reference"] == pytest.approx(want, abs=2 * TINY_LOGP)
    aucs = res.summary["mia_auc"]["by_attack"]
    assert {"gradnorm", "reference"} <= set(aucs)
    # loss-like scores (members lower): AUC from the negated scores, members looking more likely -> > 0.5
    f = [r["mia"]["reference"] for r in res.records("forget")]
    h = [r["mia"]["reference"] for r in res.records("holdout")]
    assert aucs["reference"] == mia.roc_auc([-x for x in f], [-x for x in h])  # the same function on the same floats
    assert all(p.grad is None for p in tiny_lm.model.parameters())  # gradients cleared afterwards


def test_eval_cli_runs_the_reference_attack(tiny_model_dir, tiny_bench_dir, reference_dir, tmp_path):
    out = tmp_path / "ev"
    assert main(["eval", "--model", str(tiny_model_dir), "--data", str(tiny_bench_dir), "--out", str(out),
                 "--limit", "3", "--no-generation", "--mia-reference-model", str(reference_dir),
                 "--mia-gradnorm", "false"]) == 0
    s = json.loads((out / "summary.json").read_text())
    assert "reference" in s["mia_auc"]["by_attack"] and "gradnorm" not in s["mia_auc"]["by_attack"]
    assert json.loads((out / "config.json").read_text())["mia_reference_model"] == str(reference_dir)


def test_min_k_pp_variance_floor_and_default_k():
    # a few float64 operations each (tolerances.PY: approx's default rel 1e-6 is far wider than their rounding)
    # open-unlearning clamps the variance at 1e-6: a one-hot distribution (sigma 0) divides by 1e-3
    assert mia.min_k_pp([-1.0], [-1.0005], [0.0], 1.0) == pytest.approx(0.5)
    assert mia.min_k_pp([-1.0], [-1.5], [0.5], 1.0) == pytest.approx(1.0)  # above the floor: unchanged
    assert mia.DEFAULT_K == 0.4 and EvalConfig().min_k == 0.4
    lp = [-1.0, -5.0, -2.0, -0.5, -3.0]
    assert mia.min_k(lp) == pytest.approx(-4.0)  # floor(5 * 0.4) = 2 lowest: -5, -3
