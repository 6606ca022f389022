"""Unlearning losses as plain functions of logits, labels and log-probabilities.

Conventions (B rows, T positions, V vocabulary):
- `labels` hold -100 on prompt and padding tokens; position t predicts token t+1 (causal shift inside).
- Every loss is a mean over rows of a per-row value, so a batch split across devices (DDP, then gradient
  averaging) gives the same gradient as the whole batch on one device.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

IGNORE = -100


def token_logprobs(logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """log p(y_t | y_<t) at every labelled position: ([B, T-1] log-probs, 0 where masked; [B, T-1] mask)."""
    logits, targets = logits[:, :-1].float(), labels[:, 1:]
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


def sequence_nll(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """[B] per-row mean token NLL -(1/|y|) log p(y | x)."""
    logp, mask = token_logprobs(logits, labels)
    return -logp.sum(-1) / mask.sum(-1).clamp_min(1)


def nll(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Next-token loss: mean over rows of the per-row mean token NLL (each example counts once)."""
    return sequence_nll(logits, labels).mean()


def neg_nll(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Gradient ascent: -NLL."""
    return -nll(logits, labels)


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


def kl_to_reference(logits: torch.Tensor, ref_logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """KL(p_ref || p) per answer token, sum_v p_ref (log p_ref - log p), averaged per row, then over rows."""
    mask = labels[:, 1:] != IGNORE
    logp = F.log_softmax(logits[:, :-1].float(), dim=-1)
    ref = F.log_softmax(ref_logits[:, :-1].float().to(logp.device), dim=-1)
    kl = (ref.exp() * (ref - logp)).sum(-1) * mask
    return (kl.sum(-1) / mask.sum(-1).clamp_min(1)).mean()
