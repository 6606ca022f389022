"""Teacher-forced scores of continuations, batched: the one place evaluation computes log-probabilities.

Which tokens count: the continuation's tokens in the joint tokenisation (`encoding.encode`) followed by the
format's end-of-turn token (`eos=True`, the default), as TOFU (`convert_raw_data_to_model_format` labels the answer
and EOS; `get_batch_loss` / `evaluate_util.py`) and open-unlearning (`evaluate_probability`) average their answer
loss. `TokenScores.n_end` says how many of the scored tokens end the turn; `answer_only()` drops them, for the
metrics whose reference drops the final label (open-unlearning's `tokenwise_logprobs` /
`tokenwise_vocab_logprobs`: Min-K%, Min-K%++, exact memorisation, extraction strength).

Memory: only the positions that are scored reach the output head, a chunk at a time (`scored_logits`), and the
log-softmax runs per chunk, so a 150k-260k vocabulary never costs a [batch, length, vocab] tensor, nor one
[scored tokens, vocab] (bench/bench_scoring_memory.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch

from meow.modeling.encoding import IGNORE, collate, encode
from meow.modeling.lm import LM

CHUNK_ELEMENTS = 1 << 22  # positions x vocabulary per logits chunk (16 MiB in float32)


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
    special = False if fmt.prompt_has_special_tokens else None  # chat text: the template wrote BOS, if any
    return [encode(tok, p, c, add_eos=eos, max_length=max_length, prompt_special=special, suffix=suffix, eos_id=eid)
            for p, c in zip(prompts, continuations)]


def scored_logits(model: object, input_ids: torch.Tensor, attention_mask: torch.Tensor, labels: torch.Tensor,
                  chunk: int | None = None) -> tuple[Iterator[torch.Tensor], torch.Tensor]:
    """Logits of the positions that predict a labelled token, in chunks of at most `chunk` rows ([n, V] each,
    row-major order), and those tokens, [N].

    A forward pre-hook on the output head keeps the hidden states of the N scored positions and hands the head
    only the first chunk, so neither [batch, length, vocab] nor [N, vocab] logits are built. The other chunks go
    through the head directly once the first chunk, computed both ways, agrees with what the model returned (so a
    model that transforms its logits after the head, e.g. Gemma's soft-capping, is detected and falls back to
    the model's own logits of all N positions). Models whose head sees other shapes slice the full logits.
    """
    targets = labels[:, 1:]
    mask = targets != IGNORE
    tgt, n = targets[mask], int(mask.sum())
    pos = torch.cat([mask, mask.new_zeros(mask.shape[0], 1)], dim=1)  # position p predicts token p + 1
    head = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None  # type: ignore[attr-defined]
    step = max(1, chunk or n)
    if head is not None and n:
        kept: dict[str, torch.Tensor] = {}

        def only_scored(module: object, args: tuple) -> tuple | None:
            h = args[0]
            if h.shape[:2] != pos.shape:
                return None
            kept["h"] = h[pos]
            return (kept["h"][: kept["k"]][None], *args[1:])

        for k in ((step, n) if step < n else (n,)):  # the second try: the head's output is transformed after it
            kept["k"] = k
            handle = head.register_forward_pre_hook(only_scored)
            try:
                first = model(input_ids=input_ids, attention_mask=attention_mask).logits  # type: ignore[operator]
            finally:
                handle.remove()
            if "h" not in kept or first.shape[:2] != (1, k):
                break
            if k == n:
                return (first[0][s: s + step] for s in range(0, n, step)), tgt
            if torch.allclose(head(kept["h"][:k]).float(), first[0].float(), rtol=1e-4, atol=1e-4):
                h = kept["h"]
                return _chain(first[0], (head(h[s: s + step]) for s in range(step, n, step))), tgt
    logits = model(input_ids=input_ids, attention_mask=attention_mask).logits[:, :-1]  # type: ignore[operator]
    full = logits[mask]
    return (full[s: s + step] for s in range(0, n, step)), tgt


def _chain(first: torch.Tensor, rest: Iterator[torch.Tensor]) -> Iterator[torch.Tensor]:
    yield first
    yield from rest


def _token_stats(chunks: Iterator[torch.Tensor], tgt: torch.Tensor, stats: bool) -> tuple[torch.Tensor, ...]:
    """log p(target), argmax hit, and (stats) mu, sigma of log p under p; log-softmax per chunk in float32 at
    least (a float64 model keeps float64: the real-model tests compare it with plain transformers exactly)."""
    parts: list[tuple[torch.Tensor, ...]] = []
    s = 0
    for logits in chunks:
        logp = torch.log_softmax(logits if logits.dtype == torch.float64 else logits.float(), dim=-1)
        t = tgt[s: s + logits.shape[0]]
        s += logits.shape[0]
        lp = logp.gather(-1, t[:, None]).squeeze(-1)
        hit = logp.argmax(-1) == t
        if stats:
            p = logp.exp()
            mu = (p * logp).sum(-1)
            sigma = ((p * logp.square()).sum(-1) - mu.square()).clamp_min(0).sqrt()
            parts.append((lp, hit, mu, sigma))
        else:
            parts.append((lp, hit))
        del logp
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
    from meow.modeling import reuse

    if reuse.active():  # each pair once per model weights (meow.modeling.reuse); stats only where asked for
        return reuse.cached("score", lm, [(p, c, eos) for p, c in zip(prompts, continuations)], lambda idx: score(
            lm, [prompts[i] for i in idx], [continuations[i] for i in idx], batch_size, stats, eos),
            usable=lambda s: not stats or s.mu is not None)
    tok, model = lm.tokenizer, lm.model
    encs = encode_pairs(lm, prompts, continuations, eos)
    out: list[TokenScores | None] = [None] * len(encs)
    device = lm.device
    for idx in length_sorted_batches([len(e["input_ids"]) for e in encs], batch_size):
        batch = collate([encs[i] for i in idx], tok.pad_token_id)
        batch = {k: v.to(device) for k, v in batch.items()}
        step = max(1, CHUNK_ELEMENTS // model.config.vocab_size) if hasattr(model, "config") else None
        chunks, tgt = scored_logits(model, batch["input_ids"], batch["attention_mask"], batch["labels"], step)
        res = _token_stats(chunks, tgt, stats)
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
