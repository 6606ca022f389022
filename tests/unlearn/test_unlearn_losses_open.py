"""The open-unlearning losses (WGA, SatImp, UNDIAL, CE-U, PDU, RMU) and the token-mean reduction, against values
worked out by hand on a vocabulary of 2 (see `two_rows`)."""

import math

import pytest
import torch
from tolerances import approx64

from meow.unlearn import losses
from meow.unlearn.trainer import set_token_denominators

LN = math.log
# float64 throughout (tests/conftest.py `float64`): the losses keep float64 inputs in float64, so each value is
# float64 arithmetic of a few terms against Python's float64 math, within PY (1e-9) relative on any CPU
pytestmark = pytest.mark.usefixtures("float64")


@pytest.fixture
def two_rows():
    """Row 0 answer tokens predicted with p = 3/4 (token 1 from logits [0, ln 3]) and p = 1/2 (token 0 from [0, 0]);
    row 1 one answer token, p = 1/4 (token 1 from [ln 3, 0]). Last position's logits never count for next-token
    losses; PDU reads the logits at the labelled positions themselves (row 0: positions 1, 2; row 1: position 2)."""
    logits = torch.tensor([
        [[0.0, LN(3)], [0.0, 0.0], [5.0, -5.0]],
        [[9.0, 0.0], [LN(3), 0.0], [5.0, -5.0]],
    ])
    labels = torch.tensor([[-100, 1, 0], [-100, -100, 1]])
    assert logits.dtype == torch.float64  # the `float64` fixture came first
    return logits, labels


def row_and_token(per_row: list[list[float]]) -> tuple[float, float]:
    """(mean over rows of row means, mean over all tokens)."""
    flat = [v for r in per_row for v in r]
    return sum(sum(r) / len(r) for r in per_row) / len(per_row), sum(flat) / len(flat)


def test_reduce_tokens_row_token_and_denominator():
    v = torch.tensor([[1.0, 2.0, 9.0], [4.0, 9.0, 9.0]])
    m = torch.tensor([[True, True, False], [True, False, False]])
    assert float(losses.reduce_tokens(v, m, "row")) == approx64((1.5 + 4) / 2)
    assert float(losses.reduce_tokens(v, m, "token")) == approx64(7 / 3)
    assert float(losses.reduce_tokens(v, m, "token", denom=7.0)) == approx64(1.0)
    with pytest.raises(ValueError):
        losses.reduce_tokens(v, m, "mean")


def test_nll_token_reduction_is_the_hugging_face_mean(two_rows):
    logits, labels = two_rows
    want = -(LN(3 / 4) + LN(1 / 2) + LN(1 / 4)) / 3
    assert float(losses.nll(logits, labels, "token")) == approx64(want)
    hf = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, 2), labels[:, 1:].reshape(-1))
    assert float(losses.nll(logits, labels, "token")) == approx64(float(hf))


def test_wga(two_rows):
    logits, labels = two_rows
    per_row = [[0.75 * LN(0.75), 0.5 * LN(0.5)], [0.25 * LN(0.25)]]  # p^1 * log p
    row, tok = row_and_token(per_row)
    assert float(losses.wga_loss(logits, labels, beta=1.0, reduction="row")) == approx64(row)
    assert float(losses.wga_loss(logits, labels, beta=1.0, reduction="token")) == approx64(tok)
    # beta 0: plain gradient ascent, -NLL
    assert float(losses.wga_loss(logits, labels, 0.0, "row")) == approx64(-float(losses.nll(logits, labels, "row")))


def test_satimp(two_rows):
    logits, labels = two_rows
    w = lambda p: p ** 2 * (1 - p) ** 3  # noqa: E731  beta1 = 2, beta2 = 3
    per_row = [[w(0.75) * LN(0.75), w(0.5) * LN(0.5)], [w(0.25) * LN(0.25)]]
    row, tok = row_and_token(per_row)
    assert float(losses.satimp_loss(logits, labels, 2.0, 3.0, "row")) == approx64(row)
    assert float(losses.satimp_loss(logits, labels, 2.0, 3.0, "token")) == approx64(tok)


def test_weights_carry_no_gradient(two_rows):
    logits, labels = two_rows
    x = logits.clone().requires_grad_(True)
    losses.wga_loss(x, labels, 1.0, "token").backward()
    # d/dz of (detached p) * log p at row 1, position 1 (target 1, p = 1/4): p * (onehot - softmax) / 3
    want = 0.25 * (torch.tensor([0.0, 1.0]) - torch.tensor([0.75, 0.25])) / 3
    assert x.grad[1, 1].tolist() == approx64(want.tolist())


def test_undial(two_rows):
    """Teacher = the same logits, beta = ln 3: the true token's teacher logit drops by ln 3."""
    logits, labels = two_rows
    ce = [
        [-(0.5 * LN(1 / 4) + 0.5 * LN(3 / 4)),  # teacher [0, ln3] -> [0, 0]: soft (1/2, 1/2)
         LN(2)],  # teacher [0, 0] -> [-ln3, 0]: soft (1/4, 3/4); student (1/2, 1/2)
        [-(0.9 * LN(3 / 4) + 0.1 * LN(1 / 4))],  # teacher [ln3, 0] -> [ln3, -ln3]: soft (9/10, 1/10)
    ]
    row, tok = row_and_token(ce)
    assert float(losses.undial_loss(logits, logits, labels, LN(3), "row")) == approx64(row)
    assert float(losses.undial_loss(logits, logits, labels, LN(3), "token")) == approx64(tok)
    # beta 0: distilling onto the teacher itself = its entropy where teacher == student
    ent = [[-(0.25 * LN(0.25) + 0.75 * LN(0.75)), LN(2)], [-(0.75 * LN(0.75) + 0.25 * LN(0.25))]]
    assert float(losses.undial_loss(logits, logits, labels, 0.0, "row")) == approx64(row_and_token(ent)[0])


def test_ceu(two_rows):
    """With 2 tokens the target is the other token with probability 1: CE = -log p(other)."""
    logits, labels = two_rows
    row, tok = row_and_token([[LN(4), LN(2)], [-LN(3 / 4)]])
    assert float(losses.ceu_loss(logits, labels, 0, "row")) == approx64(row)
    assert float(losses.ceu_loss(logits, labels, 0, "token")) == approx64(tok)
    # skipping the first answer token: row 0 keeps its second, row 1 keeps none (counts 0 in the row mean)
    assert float(losses.ceu_loss(logits, labels, 1, "row")) == approx64(LN(2) / 2)
    assert float(losses.ceu_loss(logits, labels, 1, "token")) == approx64(LN(2))
    assert losses.skip_first_answer_tokens(labels, 1).tolist() == [[-100, -100, 0], [-100, -100, -100]]


def test_logit_flatness(two_rows):
    logits, labels = two_rows
    # (max - mean)^2 at row 0 positions 1 ([0, 0] -> 0) and 2 ([5, -5] -> 25); row 1 position 2 (25)
    assert float(losses.logit_flatness_loss(logits, labels, "row")) == approx64((12.5 + 25) / 2)
    assert float(losses.logit_flatness_loss(logits, labels, "token")) == approx64(50 / 3)


def test_rmu_control_vector_and_activation_mse():
    c = losses.control_vector(5, 2.0, seed=3)
    assert c.shape == (1, 1, 5) and float(c.norm()) == approx64(2.0) and bool((c >= 0).all())
    assert torch.equal(c, losses.control_vector(5, 2.0, seed=3))
    act = torch.tensor([[[1.0, 3.0], [0.0, 0.0], [7.0, 7.0]], [[2.0, 2.0], [9.0, 9.0], [9.0, 9.0]]])
    target = torch.tensor([[[1.0, 1.0]]]).expand_as(act)
    mask = torch.tensor([[True, True, False], [True, False, False]])
    # squared error averaged over d: row 0 [(0 + 4)/2, (1 + 1)/2] -> mean 1.5; row 1 [(1 + 1)/2] -> 1
    assert float(losses.activation_mse(act, target, mask, "row")) == approx64((1.5 + 1) / 2)
    assert float(losses.activation_mse(act, target, mask, "token")) == approx64(4 / 3)


def test_token_masks(two_rows):
    _, labels = two_rows
    group = {"labels": labels, "attention_mask": torch.tensor([[1, 1, 1], [0, 1, 1]])}
    assert losses.token_mask(group, "shifted").sum() == 3 and losses.token_mask(group, "labels").sum() == 3
    assert losses.token_mask(group, "attention").sum() == 5 and losses.token_mask(group, "skip1").sum() == 1


def test_token_reduction_split_across_processes_and_micro_batches_matches_one_batch():
    """4 rows of unequal length: one token mean over the whole batch vs 2 processes x 2 micro-batches each, with
    the denominators of `set_token_denominators`, the Trainer's 1/accumulation and DDP's gradient average."""
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(4, 6, 7, generator=g)
    labels = torch.randint(0, 7, (4, 6), generator=g)
    for i, n in enumerate([1, 3, 4, 2]):  # rows with 5, 3, 2, 4 answer tokens (row i's prompt = first n tokens)
        labels[i, :n] = -100
    whole = logits.clone().requires_grad_(True)
    losses.nll(whole, labels, "token").backward()

    def micro(i):
        return {"forget": {"labels": labels[i:i + 1], "attention_mask": torch.ones(1, 6)}}

    procs = [[micro(0), micro(1)], [micro(2), micro(3)]]
    local = []
    for batches in procs:  # first pass: what each process counts locally
        set_token_denominators(batches, ("shifted",), 1, lambda t: local.append(t) or t)
    total = local[0] + local[1]
    split = logits.clone().requires_grad_(True)
    for p, batches in enumerate(procs):
        set_token_denominators(batches, ("shifted",), 2, lambda t: total)
        for j, b in enumerate(batches):
            i = 2 * p + j
            loss = losses.nll(split[i:i + 1], labels[i:i + 1], "token", b["tokens"]["forget"]["shifted"])
            (loss / len(batches) / len(procs)).backward()  # / accumulation steps; DDP: mean over processes
    # float64: each gradient entry is a sum of <= 4 micro-batch terms of size <= 1 (softmax entries over 14
    # tokens), reordered: 2 gamma(4) ~ 9e-16 (tests/tolerances.py); 1e-12 absolute holds on any CPU
    assert split.grad.dtype == torch.float64 and torch.allclose(split.grad, whole.grad, rtol=0, atol=1e-12)
    # the per-row default instead weighs rows equally: a different gradient on these unequal rows
    rows = logits.clone().requires_grad_(True)
    losses.nll(rows, labels, "row").backward()
    assert not torch.allclose(rows.grad, whole.grad, atol=1e-4)  # row weights 1/4 vs tokens/14: ~1e-2 apart


def test_undial_all_positions_is_open_unlearnings_literal_mean(two_rows):
    """positions="all": open-unlearning's compute_undial_loss written out: a mask built by indexing with the shifted
    labels (-100 wraps to entry V - 100), soft labels over every position, nn.CrossEntropyLoss(...).mean()."""
    g = torch.Generator().manual_seed(0)
    logits, teacher = torch.randn(2, 5, 130, generator=g), torch.randn(2, 5, 130, generator=g)
    labels = torch.tensor([[-100, -100, 7, 9, -100], [-100, 3, 4, 5, 6]])
    shift_labels, shift_logits, shift_teacher = labels[:, 1:], logits[:, :-1], teacher[:, :-1]
    mask = torch.zeros_like(shift_teacher)
    mask[torch.arange(2).view(-1, 1, 1), torch.arange(4).view(1, -1, 1), shift_labels.unsqueeze(-1)] = 1.0
    soft = torch.softmax(shift_teacher - mask * 2.0, dim=-1)
    want = torch.nn.CrossEntropyLoss(reduction="none")(shift_logits.reshape(-1, 130), soft.reshape(-1, 130)).mean()
    assert float(losses.undial_loss(logits, teacher, labels, 2.0, "row", positions="all")) == approx64(float(want))
    assert float(losses.undial_loss(logits, teacher, labels, 2.0, "token", positions="all")) == approx64(
        float(want))
