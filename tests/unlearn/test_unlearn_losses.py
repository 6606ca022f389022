"""Each loss against values worked out by hand on tiny tensors (vocabulary of 2, a few positions)."""

import math

import pytest
import torch
from tolerances import approx64

from meow.unlearn import losses

LN = math.log
# float64 throughout (tests/conftest.py `float64`): the losses keep float64 inputs in float64, so each value is
# float64 arithmetic of a few terms against Python's float64 math, within PY (1e-9) relative on any CPU
pytestmark = pytest.mark.usefixtures("float64")


def sig(x: float) -> float:
    return 1 / (1 + math.exp(-x))


@pytest.fixture
def two_rows():
    """Row 0: answer tokens at positions 1, 2 -> predicted from positions 0, 1.
    position 0 logits [0, ln 3] -> p(token 1) = 3/4; position 1 logits [0, 0] -> p(token 0) = 1/2.
    Row 1: one answer token at position 2, predicted from position 1 with logits [ln 3, 0] -> p(token 1) = 1/4.
    The last position's logits never count (nothing follows them)."""
    logits = torch.tensor([
        [[0.0, LN(3)], [0.0, 0.0], [5.0, -5.0]],
        [[9.0, 0.0], [LN(3), 0.0], [5.0, -5.0]],
    ])
    labels = torch.tensor([[-100, 1, 0], [-100, -100, 1]])
    assert logits.dtype == torch.float64  # the `float64` fixture came first
    return logits, labels


def test_token_and_sequence_logprobs(two_rows):
    logits, labels = two_rows
    logp, mask = losses.token_logprobs(logits, labels)
    assert mask.tolist() == [[True, True], [False, True]]
    assert logp[0].tolist() == approx64([LN(3 / 4), LN(1 / 2)])
    assert logp[1].tolist() == approx64([0.0, LN(1 / 4)])
    assert losses.sequence_logprob(logits, labels).tolist() == approx64([LN(3 / 8), LN(1 / 4)])
    assert losses.answer_lengths(labels).tolist() == [2, 1]


def test_nll_is_mean_of_per_row_means(two_rows):
    logits, labels = two_rows
    per_row = [-LN(3 / 8) / 2, -LN(1 / 4)]
    assert losses.sequence_nll(logits, labels).tolist() == approx64(per_row)
    assert float(losses.nll(logits, labels, "row")) == approx64(sum(per_row) / 2)  # not the token mean (3 tokens)


def test_npo_loss():
    # at the start (log p == log p_ref) NPO is (2/beta) ln 2 whatever beta
    assert float(losses.npo_loss(torch.tensor([-3.0]), torch.tensor([-3.0]), 0.1)) == approx64(20 * LN(2))
    got = losses.npo_loss(torch.tensor([-2.0, -1.0]), torch.tensor([-1.0, -1.5]), beta=0.1)
    want = (-20 * LN(sig(-0.1 * (-1.0))) - 20 * LN(sig(-0.1 * 0.5))) / 2
    assert float(got) == approx64(want)


def test_simnpo_loss():
    got = losses.simnpo_loss(torch.tensor([-6.0, -1.0]), torch.tensor([3, 2]), beta=2.5, delta=0.0)
    want = (-0.8 * LN(sig(2.5 * 6 / 3)) - 0.8 * LN(sig(2.5 * 1 / 2))) / 2
    assert float(got) == approx64(want)
    shifted = losses.simnpo_loss(torch.tensor([-6.0]), torch.tensor([3]), beta=2.5, delta=1.0)
    assert float(shifted) == approx64(-0.8 * LN(sig(5.0 - 1.0)))


def test_dpo_loss():
    # margin = (lp_c - ref_c) - (lp_r - ref_r) = (-1 + 1.5) - (-2 + 1) = 1.5
    got = losses.dpo_loss(torch.tensor([-1.0]), torch.tensor([-2.0]), torch.tensor([-1.5]), torch.tensor([-1.0]), 0.1)
    assert float(got) == approx64(-20 * LN(sig(0.15)))
    same = losses.dpo_loss(torch.tensor([-1.0]), torch.tensor([-2.0]), torch.tensor([-1.0]), torch.tensor([-2.0]), 0.5)
    assert float(same) == approx64(4 * LN(2))


def test_kl_to_reference():
    # one answer token predicted at position 0; position 1 (masked) and the last position must not count.
    ref = torch.tensor([[[0.0, 0.0], [0.0, 8.0], [1.0, 2.0]]])  # p_ref = (1/2, 1/2) at position 0
    cur = torch.tensor([[[0.0, LN(3)], [8.0, 0.0], [3.0, 0.0]]])  # p = (1/4, 3/4) at position 0
    labels = torch.tensor([[-100, 1, -100]])
    want = 0.5 * LN(0.5 / 0.25) + 0.5 * LN(0.5 / 0.75)
    assert float(losses.kl_to_reference(cur, ref, labels, "row")) == approx64(want)
    assert float(losses.kl_to_reference(ref, ref, labels, "row")) == approx64(0.0)  # cancels: abs 1e-12


def test_losses_have_the_right_gradient_sign(two_rows):
    """Gradient ascent and NPO push log p(forget) down; the NLL pulls it up."""
    logits, labels = two_rows
    for fn, sign in ((lambda lg, lb: losses.nll(lg, lb, "row"), 1), (lambda lg, lb: -losses.nll(lg, lb, "row"), -1),
                     (lambda lg, lb: losses.npo_loss(losses.sequence_logprob(lg, lb), torch.zeros(2), 0.1), -1)):
        x = logits.clone().requires_grad_(True)
        fn(x, labels).backward()
        step = x - 0.1 * x.grad  # one small gradient-descent step on the loss
        delta = losses.sequence_logprob(step.detach(), labels) - losses.sequence_logprob(logits, labels)
        assert (sign * delta > 0).all(), fn
