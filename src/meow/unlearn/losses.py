"""Unlearning losses as plain functions of logits, labels and log-probabilities.

Conventions (B rows, T positions, V vocabulary):
- `labels` hold -100 on prompt and padding tokens; position t predicts token t+1 (causal shift inside).
- Every loss is a mean over rows of a per-row value, so a batch split across devices (DDP, then gradient
  averaging) gives the same gradient as the whole batch on one device.
- Token-level losses take `reduction` (required, no default: a method gets it, and the group's denominator, from
  `Outputs.reduce` / `Outputs.nll`, never picks one itself): "row" (the above) or "token" (sum over the batch's
  labelled tokens divided by `denom`, the Hugging Face token mean). `denom` defaults to this batch's token
  count; the trainer passes the accumulated batch's global count divided by (processes x accumulation steps), so
  that DDP and gradient accumulation give the gradient of one token mean over the whole accumulated batch.
- Sequence-level losses (NPO, SimNPO, DPO) are functions of whole-answer log-probs, one value per row, and have no
  token reduction: both reductions give the mean over rows (as open-unlearning's do).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

IGNORE = -100


def wide(x: torch.Tensor) -> torch.Tensor:
    """x in at least float32 (bf16 / fp16 logits are upcast; float64 stays float64, for exact tests)."""
    return x if x.dtype == torch.float64 else x.float()


def token_logprobs(logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """log p(y_t | y_<t) at every labelled position: ([B, T-1] log-probs, 0 where masked; [B, T-1] mask)."""
    logits, targets = wide(logits[:, :-1]), labels[:, 1:]
    mask = targets != IGNORE
    safe = targets.masked_fill(~mask, 0)
    logp = -F.cross_entropy(logits.reshape(-1, logits.size(-1)), safe.reshape(-1), reduction="none")
    return logp.view_as(safe) * mask, mask


def sequence_logprob(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """[B] log p(y | x) = sum_t log p(y_t | x, y_<t) over answer tokens."""
    logp, _ = token_logprobs(logits, labels)
    return logp.sum(-1)


def answer_lengths(labels: torch.Tensor) -> torch.Tensor:
    """[B] |y|: labelled tokens per row (after the causal shift)."""
    return (labels[:, 1:] != IGNORE).sum(-1)


def reduce_tokens(values: torch.Tensor, mask: torch.Tensor, reduction: str,
                  denom: torch.Tensor | float | None = None) -> torch.Tensor:
    """Mean of [B, T] per-token values over the masked positions: per row then over rows ("row"), or
    sum / denom over the whole batch ("token"; denom = the batch's token count unless given)."""
    values = values * mask
    if reduction == "token":
        return values.sum() / (mask.sum().clamp_min(1) if denom is None else denom)
    if reduction != "row":
        raise ValueError(f"reduction must be 'row' or 'token', got {reduction!r}")
    return (values.sum(-1) / mask.sum(-1).clamp_min(1)).mean()


def token_mask(group: dict[str, torch.Tensor], kind: str) -> torch.Tensor:
    """The positions a token-level loss averages over: shifted (labels[:, 1:], the next-token losses), labels
    (unshifted, PDU / RMU on answers), attention (every non-pad token, RMU on text), all (every position but the
    last: UNDIAL positions=all), skipN (CE-U)."""
    labels = group["labels"]
    if kind == "shifted":
        return labels[:, 1:] != IGNORE
    if kind == "labels":
        return labels != IGNORE
    if kind == "attention":
        return group["attention_mask"].bool()
    if kind == "all":
        return torch.ones_like(labels[:, 1:], dtype=torch.bool)
    if kind.startswith("skip"):
        return skip_first_answer_tokens(labels, int(kind[4:]))[:, 1:] != IGNORE
    raise ValueError(f"unknown token mask {kind!r}")


def sequence_nll(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """[B] per-row mean token NLL -(1/|y|) log p(y | x)."""
    logp, mask = token_logprobs(logits, labels)
    return -logp.sum(-1) / mask.sum(-1).clamp_min(1)


def nll(logits: torch.Tensor, labels: torch.Tensor, reduction: str, denom: object = None) -> torch.Tensor:
    """Next-token loss: mean over rows of the per-row mean token NLL (each example counts once); "token": the
    Hugging Face mean over all labelled tokens of the batch."""
    logp, mask = token_logprobs(logits, labels)
    return reduce_tokens(-logp, mask, reduction, denom)  # type: ignore[arg-type]


def npo_loss(logp: torch.Tensor, ref_logp: torch.Tensor, beta: float) -> torch.Tensor:
    """NPO: mean_b -(2/beta) log sigmoid(-beta (log p(y|x) - log p_ref(y|x))), sequence log-probs summed."""
    return (-2.0 / beta * F.logsigmoid(-beta * (logp - ref_logp))).mean()


def simnpo_loss(logp: torch.Tensor, lengths: torch.Tensor, beta: float, delta: float = 0.0) -> torch.Tensor:
    """SimNPO: mean_b -(2/beta) log sigmoid(-(beta/|y|) log p(y|x) - delta); no reference model."""
    return (-2.0 / beta * F.logsigmoid(-beta * logp / lengths.clamp_min(1) - delta)).mean()


def dpo_loss(chosen: torch.Tensor, rejected: torch.Tensor, ref_chosen: torch.Tensor, ref_rejected: torch.Tensor,
             beta: float) -> torch.Tensor:
    """DPO, scaled like NPO: mean_b -(2/beta) log sigmoid(beta ((lp_c - ref_c) - (lp_r - ref_r)))."""
    margin = (chosen - ref_chosen) - (rejected - ref_rejected)
    return (-2.0 / beta * F.logsigmoid(beta * margin)).mean()


def kl_to_reference(logits: torch.Tensor, ref_logits: torch.Tensor, labels: torch.Tensor, reduction: str,
                    denom: object = None) -> torch.Tensor:
    """KL(p_ref || p) per answer token, sum_v p_ref (log p_ref - log p), averaged per row, then over rows."""
    mask = labels[:, 1:] != IGNORE
    logp = F.log_softmax(wide(logits[:, :-1]), dim=-1)
    ref = F.log_softmax(wide(ref_logits[:, :-1]).to(logp.device), dim=-1)
    kl = (ref.exp() * (ref - logp)).sum(-1)
    return reduce_tokens(kl, mask, reduction, denom)  # type: ignore[arg-type]


# ---------------------------------------------------------------- token-weighted forget losses (open-unlearning)


def wga_loss(logits: torch.Tensor, labels: torch.Tensor, beta: float, reduction: str,
             denom: object = None) -> torch.Tensor:
    """WGA, weighted gradient ascent (Wang et al. 2025, "Rethinking LLM Unlearning Objectives"); open-unlearning
    `src/trainer/utils.py::compute_wga_loss`: mean_t w_t log p_t with w_t = p_t^beta, detached. Minimising it is
    gradient ascent where tokens the model still predicts well weigh most."""
    logp, mask = token_logprobs(logits, labels)
    weight = logp.detach().exp() ** beta
    return reduce_tokens(weight * logp, mask, reduction, denom)  # type: ignore[arg-type]


def satimp_loss(logits: torch.Tensor, labels: torch.Tensor, beta1: float, beta2: float, reduction: str,
                denom: object = None) -> torch.Tensor:
    """SatImp (Yang et al. 2025, "Exploring Criteria of Loss Reweighting to Enhance LLM Unlearning");
    open-unlearning `compute_satimp_loss`: mean_t w_t log p_t with w_t = p_t^beta1 (1 - p_t)^beta2, detached."""
    logp, mask = token_logprobs(logits, labels)
    p = logp.detach().exp()
    return reduce_tokens(p ** beta1 * (1 - p) ** beta2 * logp, mask, reduction, denom)  # type: ignore[arg-type]


def undial_loss(logits: torch.Tensor, ref_logits: torch.Tensor, labels: torch.Tensor, beta: float,
                reduction: str, denom: object = None, positions: str = "answer") -> torch.Tensor:
    """UNDIAL (Dong et al. 2025, "UNDIAL: Self-Distillation with Adjusted Logits for Robust Unlearning");
    open-unlearning `compute_undial_loss`: cross-entropy of the model against softmax(teacher logits - beta at the
    true next token), the teacher being the frozen starting model. positions "answer": averaged over answer tokens;
    "all": open-unlearning's literal computation, the mean over every position (prompt and padding too), where a
    masked label (-100) indexes vocabulary entry V - 100 as torch's negative indexing does there."""
    targets = labels[:, 1:]
    teacher = wide(ref_logits[:, :-1]).to(logits.device)
    vocab = teacher.size(-1)
    if positions == "all":
        mask = torch.ones_like(targets, dtype=torch.bool)
        hit = F.one_hot(torch.where(targets < 0, targets + vocab, targets), vocab).to(teacher.dtype)
    else:
        mask = targets != IGNORE
        hit = F.one_hot(targets.masked_fill(~mask, 0), vocab).to(teacher.dtype)
    soft = F.softmax(teacher - beta * hit, dim=-1)
    ce = -(soft * F.log_softmax(wide(logits[:, :-1]), dim=-1)).sum(-1)
    return reduce_tokens(ce, mask, reduction, denom)  # type: ignore[arg-type]


def skip_first_answer_tokens(labels: torch.Tensor, n: int) -> torch.Tensor:
    """labels with the first n labelled tokens of each row set to IGNORE (CE-U's footnote trick)."""
    labelled = labels != IGNORE
    return labels.masked_fill(labelled & (labelled.cumsum(-1) <= n), IGNORE)


def ceu_loss(logits: torch.Tensor, labels: torch.Tensor, ignore_first: int, reduction: str,
             denom: object = None) -> torch.Tensor:
    """CE-U, cross-entropy unlearning (Yang et al. 2025, arXiv:2503.01224); open-unlearning
    `src/trainer/unlearn/ceu.py::cross_entropy_unlearning_loss`: cross-entropy of the model against its own
    detached distribution with the true token's logit set to -inf, skipping the first `ignore_first` answer tokens."""
    targets = skip_first_answer_tokens(labels, ignore_first)[:, 1:]
    mask = targets != IGNORE
    logits = wide(logits[:, :-1])
    target_logits = logits.detach().scatter(-1, targets.masked_fill(~mask, 0).unsqueeze(-1), float("-inf"))
    ce = -(F.softmax(target_logits, dim=-1) * F.log_softmax(logits, dim=-1)).sum(-1)
    return reduce_tokens(ce, mask, reduction, denom)  # type: ignore[arg-type]


def logit_flatness_loss(logits: torch.Tensor, labels: torch.Tensor, reduction: str,
                        denom: object = None) -> torch.Tensor:
    """PDU's forget loss (Entesari et al. 2025, "Constrained Entropic Unlearning", arXiv:2506.05314);
    open-unlearning `src/trainer/unlearn/pdu.py::compute_loss`: (max_v z_v - mean_v z_v)^2 at the positions whose
    own label is set (unshifted, as there: the logits at answer tokens)."""
    z = wide(logits)
    return reduce_tokens((z.max(-1).values - z.mean(-1)) ** 2, labels != IGNORE, reduction, denom)  # type: ignore


# ---------------------------------------------------------------- RMU (representation misdirection)


def control_vector(dim: int, steering_coeff: float, seed: int) -> torch.Tensor:
    """RMU's target: u / ||u|| * steering_coeff, u ~ U[0, 1)^dim drawn once (WMDP rmu/unlearn.py, seeded here)."""
    u = torch.rand(1, 1, dim, generator=torch.Generator().manual_seed(seed))
    return u / u.norm() * steering_coeff


def activation_mse(act: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, reduction: str,
                   denom: object = None) -> torch.Tensor:
    """open-unlearning `rmu.py::compute_activation_loss`: squared error averaged over the hidden dimension, then
    over the masked positions of each row, then over rows. `mask` is [B, T] at the activations' own positions."""
    sq = (wide(act) - wide(target).to(act.device)) ** 2
    return reduce_tokens(sq.mean(-1), mask, reduction, denom)  # type: ignore[arg-type]
