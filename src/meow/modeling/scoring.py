"""Teacher-forced scores of continuations, batched: the one place evaluation computes log-probabilities."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch

from meow.modeling.encoding import IGNORE, collate, encode
from meow.modeling.lm import LM


@dataclass
class TokenScores:
    """Per-token scores of one continuation (EOS excluded)."""

    logprobs: torch.Tensor  # [T] log p(y_t | x, y_<t)
    hits: torch.Tensor  # [T] argmax_z p(z | x, y_<t) == y_t
    mu: torch.Tensor | None = None  # [T] E_{z~p}[log p(z)]            (Min-K%++)
    sigma: torch.Tensor | None = None  # [T] std_{z~p}[log p(z)]

    @property
    def mean_nll(self) -> float:
        """-(1/T) sum_t log p(y_t | ...); NaN for an empty continuation."""
        return float(-self.logprobs.mean()) if self.logprobs.numel() else float("nan")


def length_sorted_batches(lengths: list[int], batch_size: int) -> Iterator[list[int]]:
    """Indices grouped by similar length (longest first) so padding stays small."""
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    for start in range(0, len(order), batch_size):
        yield order[start : start + batch_size]


@torch.no_grad()
def score(lm: LM, prompts: list[str], continuations: list[str], batch_size: int = 64,
          stats: bool = False) -> list[TokenScores]:
    """Score each continuation given its prompt, in right-padded batches sorted by length."""
    tok, model = lm.tokenizer, lm.model
    special = not lm.fmt.prompt_has_special_tokens
    encs = [encode(tok, p, c, add_eos=False, prompt_special=special) for p, c in zip(prompts, continuations)]
    out: list[TokenScores | None] = [None] * len(encs)
    device = lm.device
    for idx in length_sorted_batches([len(e["input_ids"]) for e in encs], batch_size):
        batch = collate([encs[i] for i in idx], tok.pad_token_id)
        batch = {k: v.to(device) for k, v in batch.items()}
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits[:, :-1]
        targets = batch["labels"][:, 1:]
        mask = targets != IGNORE
        logp = torch.log_softmax(logits[mask].float(), dim=-1)  # [N, V] on continuation positions only
        tgt = targets[mask]
        lp = logp.gather(-1, tgt[:, None]).squeeze(-1)
        hits = logp.argmax(-1) == tgt
        if stats:
            p = logp.exp()
            mu = (p * logp).sum(-1)
            sigma = ((p * logp.square()).sum(-1) - mu.square()).clamp_min(0).sqrt()
        counts = mask.sum(1).tolist()
        offset = 0
        for row, i in enumerate(idx):
            sl = slice(offset, offset + counts[row])
            out[i] = TokenScores(lp[sl].cpu(), hits[sl].cpu(), mu[sl].cpu() if stats else None,
                                 sigma[sl].cpu() if stats else None)
            offset += counts[row]
    return out  # type: ignore[return-value]


def mean_nll(lm: LM, questions: list[str], answers: list[str], batch_size: int = 64) -> list[float]:
    """Mean token NLL of each answer given its question, in the model's prompt format."""
    return [s.mean_nll for s in score(lm, lm.prompts(questions), lm.continuations(answers), batch_size)]
