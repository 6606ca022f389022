"""Teacher-forced scores of continuations, batched: the one place evaluation computes log-probabilities.

Which tokens count: the continuation's tokens in the joint tokenisation (`encoding.encode`) followed by the
format's end-of-turn token (`eos=True`, the default), as TOFU (`convert_raw_data_to_model_format` labels the answer
and EOS; `get_batch_loss` / `evaluate_util.py`) and open-unlearning (`evaluate_probability`) average their answer
loss. `TokenScores.n_end` says how many of the scored tokens end the turn; `answer_only()` drops them, for the
metrics whose reference drops the final label (open-unlearning's `tokenwise_logprobs` /
`tokenwise_vocab_logprobs`: Min-K%, Min-K%++, exact memorisation, extraction strength).

Memory: only the positions that are scored get logits (`logits_to_keep` with the positions scored in the batch),
and the log-softmax runs over chunks of those positions, so a 150k-260k vocabulary never costs a
[batch, length, vocab] tensor (bench/bench_scoring_memory.py).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from dataclasses import dataclass

import torch

from meow.modeling.encoding import IGNORE, collate, encode
from meow.modeling.lm import LM

CHUNK_ELEMENTS = 1 << 25  # positions x vocabulary per log-softmax chunk (128 MiB in float32)


@dataclass
class TokenScores:
    """Per-token scores of one continuation; the last `n_end` tokens end the turn (EOS / end-of-turn)."""

    logprobs: torch.Tensor  # [T] log p(y_t | x, y_<t)
    hits: torch.Tensor  # [T] argmax_z p(z | x, y_<t) == y_t
    mu: torch.Tensor | None = None  # [T] E_{z~p}[log p(z)]            (Min-K%++)
    sigma: torch.Tensor | None = None  # [T] std_{z~p}[log p(z)]
    n_end: int = 0

    @property
    def mean_nll(self) -> float:
        """-(1/T) sum_t log p(y_t | ...) over all scored tokens (end of turn included); NaN when empty."""
        return float(-self.logprobs.mean()) if self.logprobs.numel() else float("nan")

    def answer_only(self) -> TokenScores:
        """The same scores without the end-of-turn tokens."""
        if not self.n_end:
            return self
        keep = slice(0, max(0, self.logprobs.numel() - self.n_end))
        return TokenScores(self.logprobs[keep], self.hits[keep], None if self.mu is None else self.mu[keep],
                           None if self.sigma is None else self.sigma[keep], 0)


def length_sorted_batches(lengths: list[int], batch_size: int) -> Iterator[list[int]]:
    """Indices grouped by similar length (longest first) so padding stays small."""
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    for start in range(0, len(order), batch_size):
        yield order[start : start + batch_size]


def encode_pairs(lm: LM, prompts: list[str], continuations: list[str], eos: bool = True,
                 max_length: int | None = None) -> list[dict]:
    """Rows as scored and trained: joint tokenisation, the format's end of turn when `eos`."""
    tok, fmt = lm.tokenizer, lm.fmt
    suffix, eid = (fmt.suffix(tok), fmt.end_of_turn_id(tok)) if eos else ("", None)
    return [encode(tok, p, c, add_eos=eos, max_length=max_length, suffix=suffix, eos_id=eid)
            for p, c in zip(prompts, continuations)]


def _keeps_logits(model: object) -> bool:
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    try:
        return "logits_to_keep" in inspect.signature(base.forward).parameters  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        return False


def scored_logits(model: object, input_ids: torch.Tensor, attention_mask: torch.Tensor, labels: torch.Tensor
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits of the positions that predict a labelled token, [N, V], and those tokens, [N] (row-major order).

    Only the positions scored somewhere in the batch reach the output head (`logits_to_keep` as an index tensor).
    """
    targets = labels[:, 1:]
    mask = targets != IGNORE
    cols = mask.any(0).nonzero().squeeze(-1)  # positions p whose successor p+1 is scored in some row
    if _keeps_logits(model) and cols.numel():
        logits = model(input_ids=input_ids, attention_mask=attention_mask,  # type: ignore[operator]
                       logits_to_keep=cols).logits
        if logits.shape[1] == cols.numel():
            return logits[mask[:, cols]], targets[:, cols][mask[:, cols]]
    logits = model(input_ids=input_ids, attention_mask=attention_mask).logits[:, :-1]  # type: ignore[operator]
    return logits[mask], targets[mask]


def _token_stats(logits: torch.Tensor, tgt: torch.Tensor, stats: bool) -> tuple[torch.Tensor, ...]:
    """log p(target), argmax hit, and (stats) mu, sigma of log p under p; float32 log-softmax in chunks."""
    step = max(1, CHUNK_ELEMENTS // max(1, logits.shape[-1]))
    parts: list[tuple[torch.Tensor, ...]] = []
    for s in range(0, logits.shape[0], step):
        logp = torch.log_softmax(logits[s: s + step].float(), dim=-1)
        t = tgt[s: s + step]
        lp = logp.gather(-1, t[:, None]).squeeze(-1)
        hit = logp.argmax(-1) == t
        if stats:
            p = logp.exp()
            mu = (p * logp).sum(-1)
            sigma = ((p * logp.square()).sum(-1) - mu.square()).clamp_min(0).sqrt()
            parts.append((lp, hit, mu, sigma))
        else:
            parts.append((lp, hit))
    width = 4 if stats else 2
    if not parts:
        return tuple(torch.zeros(0, dtype=torch.bool if k == 1 else torch.float32) for k in range(width))
    return tuple(torch.cat([p[k] for p in parts]) for k in range(width))


@torch.no_grad()
def score(lm: LM, prompts: list[str], continuations: list[str], batch_size: int = 64,
          stats: bool = False, eos: bool = True) -> list[TokenScores]:
    """Score each continuation given its prompt, in right-padded batches sorted by length.

    `eos`: also score the format's end-of-turn token (TOFU / open-unlearning); False for raw text and
    lm-evaluation-harness continuations.
    """
    tok, model = lm.tokenizer, lm.model
    encs = encode_pairs(lm, prompts, continuations, eos)
    out: list[TokenScores | None] = [None] * len(encs)
    device = lm.device
    for idx in length_sorted_batches([len(e["input_ids"]) for e in encs], batch_size):
        batch = collate([encs[i] for i in idx], tok.pad_token_id)
        batch = {k: v.to(device) for k, v in batch.items()}
        logits, tgt = scored_logits(model, batch["input_ids"], batch["attention_mask"], batch["labels"])
        res = _token_stats(logits, tgt, stats)
        del logits
        counts = (batch["labels"][:, 1:] != IGNORE).sum(1).tolist()
        offset = 0
        for row, i in enumerate(idx):
            sl = slice(offset, offset + counts[row])
            lp, hit = res[0][sl].cpu(), res[1][sl].cpu()
            mu, sigma = (res[2][sl].cpu(), res[3][sl].cpu()) if stats else (None, None)
            out[i] = TokenScores(lp, hit, mu, sigma, min(encs[i]["n_end"], counts[row]))
            offset += counts[row]
    return out  # type: ignore[return-value]


def mean_nll(lm: LM, questions: list[str], answers: list[str], batch_size: int = 64) -> list[float]:
    """Mean token NLL of each answer (and its end of turn) given its question, in the model's prompt format."""
    return [s.mean_nll for s in score(lm, lm.prompts(questions), lm.continuations(answers), batch_size)]
