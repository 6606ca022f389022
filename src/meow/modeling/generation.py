"""Batched generation: left padding, each row stops at the format's end-of-turn token or EOS (`PromptFormat.stop_ids`),
which decoding drops. The one place evaluation generates text.

Greedy decoding runs a continuous-batching loop with a KV cache: a row leaves the batch once it emits EOS (or
reaches `max_new_tokens`) and waiting prompts take its place. With static batches one long (degenerate,
never-ending) row keeps a whole batch stepping to `max_new_tokens`; here it only holds its own slot. Prompts are
taken in token order and every prefix they share (the system prompt, the question, the answer's start in MEMO's
windows) is computed once (`prefix_tree`).
Each row still sees exactly its own tokens at its own positions (padding is masked), so the outputs are the
greedy (plain argmax; a model's generation_config penalties are not applied) continuations of the prompts one
at a time. Sampling (temperature > 0), and models the loop does not fit, use `model.generate`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from transformers.cache_utils import DynamicCache, DynamicLayer

from meow.modeling.encoding import collate, tokenize
from meow.modeling.lm import LM
from meow.modeling.prefix_tree import prefix_levels
from meow.modeling.scoring import length_sorted_batches

REFILL_SHARE = 4  # prefill waiting prompts once a quarter of the batch's slots are free
COMPACT_SHARE = 8  # drop finished rows from the cache once an eighth of the batch has finished


@torch.no_grad()
def generate(lm: LM, prompts: list[str], max_new_tokens: int = 200, batch_size: int = 64,
             temperature: float = 0.0, seed: int = 0, desc: str | None = None) -> list[str]:
    """Greedy (temperature 0) or sampled continuations of each prompt; returns only the new text, stripped.

    `desc`: show a progress bar with this label.
    """
    from tqdm.auto import tqdm

    from meow.modeling import reuse

    if temperature <= 0 and reuse.active():  # each prompt once per model weights (meow.modeling.reuse)
        return reuse.cached("generate", lm, [(p, max_new_tokens) for p in prompts], lambda idx: generate(
            lm, [prompts[i] for i in idx], max_new_tokens, batch_size, temperature, seed, desc))
    if not prompts:
        return []
    tok = lm.tokenizer
    greedy = temperature <= 0 and _loop_fits(lm.model)
    unique = list(dict.fromkeys(prompts)) if greedy else prompts  # greedy: equal prompts, equal continuations
    encs = [tokenize(tok, p, lm.fmt.prompt_has_special_tokens) for p in unique]  # BOS once (chat: the template's)
    stops = lm.fmt.stop_ids(tok)
    with tqdm(total=len(encs), desc=desc, unit="prompt", disable=(desc is None) or None) as bar:  # None: TQDM_DISABLE
        if not greedy:
            return _hf_generate(lm, encs, max_new_tokens, batch_size, temperature, seed, bar.update)
        ids = greedy_ids(lm.model, encs, max_new_tokens, batch_size, stops, tok.pad_token_id, bar.update)
    text = {p: decode_answer(tok, x, stops) for p, x in zip(unique, ids)}
    return [text[p] for p in prompts]


def decode_answer(tokenizer: object, ids: list[int], stops: list[int]) -> str:
    """Text of generated ids up to the first stop token (dropped), special tokens skipped, stripped."""
    cut = next((i for i, t in enumerate(ids) if t in stops), len(ids))
    return tokenizer.decode(ids[:cut], skip_special_tokens=True).strip()  # type: ignore[attr-defined]


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
        stops = lm.fmt.stop_ids(tok)
        gen = model.generate(**batch, max_new_tokens=max_new_tokens, pad_token_id=tok.pad_token_id,
                             eos_token_id=stops or None, **sample)
        new = gen[:, batch["input_ids"].shape[1]:]
        for row, i in enumerate(idx):
            out[i] = decode_answer(tok, new[row].tolist(), stops)
        done(len(idx))
    return out


def _loop_fits(model: object) -> bool:
    """The greedy loop edits `DynamicLayer` key/value tensors and passes explicit positions; other models
    (sliding-window caches, no `position_ids`...) use model.generate()."""
    import inspect

    base = model.get_base_model() if hasattr(model, "get_base_model") else model  # peft wraps the HF model
    try:
        layers = DynamicCache(config=base.config).layers  # type: ignore[attr-defined]
        params = inspect.signature(base.forward).parameters  # type: ignore[attr-defined]
    except Exception:
        return False
    return (bool(layers) and all(type(layer) is DynamicLayer for layer in layers)
            and {"position_ids", "logits_to_keep"} <= set(params) and _cache_arg(model) is not None)


def _cache_arg(model: object) -> str | None:
    """The forward's name for the KV cache: `cache` (transformers >= 5.2x) or `past_key_values` (older)."""
    import inspect

    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    params = inspect.signature(base.forward).parameters  # type: ignore[attr-defined]
    return next((name for name in ("cache", "past_key_values") if name in params), None)


@dataclass
class _Rows:
    """Rows being decoded: KV cache, its padding mask [b, L], next position, pending token, prompt index."""

    cache: DynamicCache
    mask: torch.Tensor
    pos: torch.Tensor
    last: torch.Tensor
    index: list[int]
    cache_arg: str = "past_key_values"  # the forward's keyword for the cache (`_cache_arg`)

    def forward(self, model: object, input_ids: torch.Tensor, position_ids: torch.Tensor) -> torch.Tensor:
        out = model(input_ids=input_ids, attention_mask=self.mask, position_ids=position_ids,  # type: ignore[operator]
                    use_cache=True, logits_to_keep=1, **{self.cache_arg: self.cache})
        return out.logits[:, -1].argmax(-1)

    def step(self, model: object) -> None:
        """Feed each row's pending token; its greedy successor becomes the new pending token."""
        self.mask = torch.cat([self.mask, self.mask.new_ones(len(self.index), 1)], dim=1)
        self.last = self.forward(model, self.last[:, None], self.pos[:, None])
        self.pos = self.pos + 1

    def merge(self, other: _Rows) -> None:
        """Append `other`'s rows, left-padding the shorter cache (padding is masked out)."""
        width = max(self.mask.shape[1], other.mask.shape[1])
        for mine, theirs in zip(self.cache.layers, other.cache.layers):
            mine.keys = torch.cat([_left_pad(mine.keys, width, 2), _left_pad(theirs.keys, width, 2)])
            mine.values = torch.cat([_left_pad(mine.values, width, 2), _left_pad(theirs.values, width, 2)])
        self.mask = torch.cat([_left_pad(self.mask, width, 1), _left_pad(other.mask, width, 1)])
        self.pos, self.last = torch.cat([self.pos, other.pos]), torch.cat([self.last, other.last])
        self.index = self.index + other.index

    def keep(self, rows: list[int]) -> None:
        """Keep only `rows`, then drop leading columns that are padding in every remaining row."""
        sel = torch.tensor(rows, dtype=torch.long, device=self.mask.device)
        self.mask, self.pos, self.last = self.mask[sel], self.pos[sel], self.last[sel]
        self.index = [self.index[r] for r in rows]
        lead = int(self.mask.any(0).int().argmax()) if rows else 0
        self.mask = self.mask[:, lead:]
        for layer in self.cache.layers:
            layer.keys, layer.values = layer.keys[sel, :, lead:], layer.values[sel, :, lead:]


def _left_pad(x: torch.Tensor, width: int, dim: int) -> torch.Tensor:
    pad = width - x.shape[dim]
    if pad == 0:
        return x
    shape = list(x.shape)
    shape[dim] = pad
    return torch.cat([x.new_zeros(shape), x], dim=dim)


def _prefill(model: object, encs: list[list[int]], index: list[int], pad_id: int, device: object) -> _Rows:
    """Run new prompts through their prefix tree (`prefix_tree.prefix_levels`), one forward pass per depth: each
    node's tokens on top of its parent's KV (copied), so every distinct prefix is computed once. A leaf ends a
    prompt: its row (KV and first greedy token) leaves the tree for the decoding batch.

    Row layout: [depth-0 segment, left-padded][depth-1 segment, left-padded]...; padding is masked and positions
    count real tokens only, so each row computes exactly what it would alone.
    """
    config = model.config  # type: ignore[attr-defined]
    cache, cache_arg = DynamicCache(config=config), _cache_arg(model) or "past_key_values"
    mask = torch.zeros(1, 0, dtype=torch.long, device=device)
    done: _Rows | None = None
    kept: dict[int, int] = {}  # position of a node in the previous level -> its row in the cache
    for level in prefix_levels(encs):
        if mask.shape[1]:  # each node starts from a copy of its parent's KV
            sel = torch.tensor([kept[node.parent] for node in level], device=device)
            cache.batch_select_indices(sel)
            mask = mask[sel]
        else:
            mask = mask.new_zeros(len(level), 0)
        seg = collate([{"input_ids": encs[n.rep][n.start:n.end]} for n in level], pad_id, left=True)
        ids, seg_mask = seg["input_ids"].to(device), seg["attention_mask"].to(device)
        start = torch.tensor([n.start for n in level], device=device)
        rows = _Rows(cache, torch.cat([mask, seg_mask], dim=1), start + seg_mask.sum(1), ids[:, -1],
                     [index[n.leaf] if n.leaf is not None else -1 for n in level], cache_arg)
        rows.last = rows.forward(model, ids, _positions(seg_mask, start))
        leaves = [k for k, n in enumerate(level) if n.leaf is not None]
        if leaves:
            ended = _Rows(_shallow_copy(cache, config), rows.mask, rows.pos, rows.last, rows.index, cache_arg)
            ended.keep(leaves)
            if done is None:
                done = ended
            else:
                done.merge(ended)
        inner = [k for k, n in enumerate(level) if n.leaf is None]
        rows.keep(inner)  # the next level's parents
        cache, mask, kept = rows.cache, rows.mask, {k: j for j, k in enumerate(inner)}
    assert done is not None
    return done


def _shallow_copy(cache: DynamicCache, config: object) -> DynamicCache:
    """A cache object sharing the tensors of `cache` (`_Rows.keep` replaces them, never edits them in place)."""
    new = DynamicCache(config=config)
    for mine, theirs in zip(new.layers, cache.layers):
        mine.__dict__.update(theirs.__dict__)
    return new


def _positions(mask: torch.Tensor, start: torch.Tensor | int = 0) -> torch.Tensor:
    """Position of each real token (counting from `start`); padding gets 1, as model.generate does."""
    start = start[:, None] if isinstance(start, torch.Tensor) else start
    return (start + mask.cumsum(-1) - 1).masked_fill(mask == 0, 1)


@torch.no_grad()
def greedy_ids(model: object, encs: list[list[int]], max_new_tokens: int, batch_size: int,
               eos_id: int | list[int] | None, pad_id: int, done: Callable[[int], object] = lambda n: None
               ) -> list[list[int]]:
    """Greedy new token ids per prompt (ending with a stop token if one was produced), by continuous batching.

    `eos_id`: the stop token id, or a list of them (end of turn and EOS).

    Prompts are taken in token order, so that neighbours share prefixes (MEMO's windows share their question).
    Finished rows are dropped from the cache once an eighth of the batch has finished (each drop copies the
    cache), and whenever `batch_size / REFILL_SHARE` slots are free the next prompts are prefilled and merged in.
    """
    out: list[list[int]] = [[] for _ in encs]
    stops = set(eos_id) if isinstance(eos_id, (list, tuple, set)) else {eos_id} - {None}
    if max_new_tokens <= 0 or not encs:
        return out
    device = next(model.parameters()).device  # type: ignore[attr-defined]
    queue = sorted(range(len(encs)), key=lambda i: (encs[i], i))
    refill, compact = max(1, batch_size // REFILL_SHARE), max(1, batch_size // COMPACT_SHARE)
    rows: _Rows | None = None
    finished: set[int] = set()  # rows still in the cache whose output is complete
    while queue or (rows is not None and len(finished) < len(rows.index)):
        alive = len(rows.index) - len(finished) if rows is not None else 0
        if rows is not None and finished and (len(finished) >= compact or alive == 0 or
                                              (queue and batch_size - alive >= refill)):
            rows.keep([r for r in range(len(rows.index)) if r not in finished])
            finished = set()
        if queue and (alive == 0 or batch_size - alive >= refill):
            take, queue = queue[: batch_size - alive], queue[batch_size - alive:]
            new = _prefill(model, [encs[i] for i in take], take, pad_id, device)
            fresh = range(alive, alive + len(take))
            if rows is None or not rows.index:
                rows = new
            else:
                rows.merge(new)
        else:
            assert rows is not None
            rows.step(model)
            fresh = range(len(rows.index))
        tokens = rows.last.tolist()
        before = len(finished)
        for r in fresh:
            if r in finished:
                continue
            seq = out[rows.index[r]]
            seq.append(tokens[r])
            if tokens[r] in stops or len(seq) >= max_new_tokens:
                finished.add(r)
        done(len(finished) - before)
    return out
