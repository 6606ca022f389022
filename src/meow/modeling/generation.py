"""Batched generation: left padding, each row stops at EOS. The one place evaluation generates text.

Greedy decoding runs a continuous-batching loop with a KV cache: a row leaves the batch as soon as it emits EOS
(or reaches `max_new_tokens`) and waiting prompts take its place. With static batches one long (degenerate,
never-ending) row keeps a whole batch stepping to `max_new_tokens`; here it only occupies its own slot. Each row
still sees exactly its own tokens at its own positions (padding is masked), so the outputs are the greedy
continuations of the prompts one at a time. Sampling (temperature > 0) uses `model.generate`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from meow.modeling.encoding import collate
from meow.modeling.lm import LM
from meow.modeling.scoring import length_sorted_batches

REFILL_SHARE = 4  # prefill waiting prompts once a quarter of the batch's slots are free


@torch.no_grad()
def generate(lm: LM, prompts: list[str], max_new_tokens: int = 200, batch_size: int = 64,
             temperature: float = 0.0, seed: int = 0, desc: str | None = None) -> list[str]:
    """Greedy (temperature 0) or sampled continuations of each prompt; returns only the new text, stripped.

    `desc`: show a progress bar with this label.
    """
    from tqdm.auto import tqdm

    if not prompts:
        return []
    tok = lm.tokenizer
    special = not lm.fmt.prompt_has_special_tokens
    greedy = temperature <= 0 and _plain_cache(lm.model)
    unique = list(dict.fromkeys(prompts)) if greedy else prompts  # greedy: equal prompts, equal continuations
    encs = [tok(p, add_special_tokens=special)["input_ids"] for p in unique]
    with tqdm(total=len(encs), desc=desc, unit="prompt", disable=desc is None) as bar:
        if not greedy:
            return _hf_generate(lm, encs, max_new_tokens, batch_size, temperature, seed, bar.update)
        ids = greedy_ids(lm.model, encs, max_new_tokens, batch_size, tok.eos_token_id, tok.pad_token_id, bar.update)
    text = {p: tok.decode(x, skip_special_tokens=True).strip() for p, x in zip(unique, ids)}
    return [text[p] for p in prompts]


def generate_answers(lm: LM, questions: list[str], max_new_tokens: int = 200, batch_size: int = 64) -> list[str]:
    """Greedy answers to questions in the model's prompt format."""
    return generate(lm, lm.prompts(questions), max_new_tokens, batch_size)


def _hf_generate(lm: LM, encs: list[list[int]], max_new_tokens: int, batch_size: int, temperature: float,
                 seed: int, done: Callable[[int], object] = lambda n: None) -> list[str]:
    """Static left-padded batches through `model.generate` (sampling, and caches the greedy loop cannot edit)."""
    tok, model = lm.tokenizer, lm.model
    out: list[str] = [""] * len(encs)
    if temperature > 0:
        torch.manual_seed(seed)
    sample = {"do_sample": True, "temperature": temperature, "top_p": 1.0, "top_k": 0} if temperature > 0 else {
        "do_sample": False, "temperature": None, "top_p": None, "top_k": None}
    for idx in length_sorted_batches([len(e) for e in encs], batch_size):
        batch = collate([{"input_ids": encs[i]} for i in idx], tok.pad_token_id, left=True)
        batch = {k: v.to(lm.device) for k, v in batch.items()}
        gen = model.generate(**batch, max_new_tokens=max_new_tokens, pad_token_id=tok.pad_token_id,
                             eos_token_id=tok.eos_token_id, **sample)
        new = gen[:, batch["input_ids"].shape[1]:]
        for row, i in enumerate(idx):
            out[i] = tok.decode(new[row], skip_special_tokens=True).strip()
        done(len(idx))
    return out


def _plain_cache(model: object) -> bool:
    """The greedy loop edits `DynamicLayer` key/value tensors; other layouts (sliding windows...) use generate()."""
    from transformers import DynamicCache
    from transformers.cache_utils import DynamicLayer

    try:
        layers = DynamicCache(config=model.config).layers  # type: ignore[attr-defined]
    except Exception:
        return False
    return bool(layers) and all(type(layer) is DynamicLayer for layer in layers)


@dataclass
class _Rows:
    """Rows being decoded: KV cache, its padding mask [b, L], next position, pending token, prompt index."""

    cache: object
    mask: torch.Tensor
    pos: torch.Tensor
    last: torch.Tensor
    index: list[int]

    def forward(self, model: object, input_ids: torch.Tensor, position_ids: torch.Tensor) -> torch.Tensor:
        out = model(input_ids=input_ids, attention_mask=self.mask, position_ids=position_ids,  # type: ignore[operator]
                    past_key_values=self.cache, use_cache=True, logits_to_keep=1)
        return out.logits[:, -1].argmax(-1)

    def step(self, model: object) -> None:
        """Feed each row's pending token; its greedy successor becomes the new pending token."""
        self.mask = torch.cat([self.mask, self.mask.new_ones(len(self.index), 1)], dim=1)
        self.last = self.forward(model, self.last[:, None], self.pos[:, None])
        self.pos = self.pos + 1

    def merge(self, other: _Rows) -> None:
        """Append `other`'s rows, left-padding the shorter cache (padding is masked out)."""
        width = max(self.mask.shape[1], other.mask.shape[1])
        for mine, theirs in zip(self.cache.layers, other.cache.layers):  # type: ignore[attr-defined]
            mine.keys = torch.cat([_left_pad(mine.keys, width, 2), _left_pad(theirs.keys, width, 2)])
            mine.values = torch.cat([_left_pad(mine.values, width, 2), _left_pad(theirs.values, width, 2)])
        self.mask = torch.cat([_left_pad(self.mask, width, 1), _left_pad(other.mask, width, 1)])
        self.pos, self.last = torch.cat([self.pos, other.pos]), torch.cat([self.last, other.last])
        self.index = self.index + other.index

    def keep(self, rows: list[int]) -> None:
        """Keep only `rows`, then drop leading columns that are padding in every remaining row."""
        sel = torch.tensor(rows, dtype=torch.long, device=self.mask.device)
        self.cache.batch_select_indices(sel)  # type: ignore[attr-defined]
        self.mask, self.pos, self.last = self.mask[sel], self.pos[sel], self.last[sel]
        self.index = [self.index[r] for r in rows]
        lead = int(self.mask.any(0).int().argmax()) if rows else 0
        if lead:
            self.mask = self.mask[:, lead:]
            for layer in self.cache.layers:  # type: ignore[attr-defined]
                layer.keys, layer.values = layer.keys[:, :, lead:], layer.values[:, :, lead:]


def _left_pad(x: torch.Tensor, width: int, dim: int) -> torch.Tensor:
    pad = width - x.shape[dim]
    if pad == 0:
        return x
    shape = list(x.shape)
    shape[dim] = pad
    return torch.cat([x.new_zeros(shape), x], dim=dim)


def _prefill(model: object, encs: list[list[int]], index: list[int], pad_id: int, device: object) -> _Rows:
    from transformers import DynamicCache

    batch = collate([{"input_ids": e} for e in encs], pad_id, left=True)
    ids, mask = batch["input_ids"].to(device), batch["attention_mask"].to(device)
    position_ids = (mask.cumsum(-1) - 1).masked_fill(mask == 0, 1)  # as model.generate does
    rows = _Rows(DynamicCache(config=model.config), mask, mask.sum(1), ids[:, -1], index)  # type: ignore[attr-defined]
    rows.last = rows.forward(model, ids, position_ids)
    return rows


@torch.no_grad()
def greedy_ids(model: object, encs: list[list[int]], max_new_tokens: int, batch_size: int,
               eos_id: int | None, pad_id: int, done: Callable[[int], object] = lambda n: None) -> list[list[int]]:
    """Greedy new token ids per prompt (ending with EOS if it was produced), by continuous batching.

    Prompts are taken longest first; whenever `batch_size / REFILL_SHARE` slots are free the next prompts are
    prefilled together and merged into the running batch.
    """
    out: list[list[int]] = [[] for _ in encs]
    if max_new_tokens <= 0 or not encs:
        return out
    device = next(model.parameters()).device  # type: ignore[attr-defined]
    queue = sorted(range(len(encs)), key=lambda i: (-len(encs[i]), i))
    refill = max(1, batch_size // REFILL_SHARE)
    rows: _Rows | None = None
    fresh: list[int] = []  # rows whose pending token was just produced
    while queue or (rows is not None and rows.index):
        active = len(rows.index) if rows is not None else 0
        if queue and (active == 0 or batch_size - active >= refill):
            take, queue = queue[: batch_size - active], queue[batch_size - active:]
            new = _prefill(model, [encs[i] for i in take], take, pad_id, device)
            if rows is None or not rows.index:
                rows, fresh = new, list(range(len(take)))
            else:
                rows.merge(new)
                fresh = list(range(active, active + len(take)))
        else:
            assert rows is not None
            rows.step(model)
            fresh = list(range(active))
        tokens = rows.last.tolist()
        finished = set()
        for r in fresh:
            seq = out[rows.index[r]]
            seq.append(tokens[r])
            if tokens[r] == eos_id or len(seq) >= max_new_tokens:
                finished.add(r)
        if finished:
            rows.keep([r for r in range(len(rows.index)) if r not in finished])
            done(len(finished))
    return out
