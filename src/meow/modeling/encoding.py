"""Token ids for (prompt, continuation) pairs and padding. Loss/score only on continuation tokens.

The answer's tokens are those of the JOINT tokenisation of `prompt + continuation (+ suffix)`, the text the model
sees, as TOFU (`convert_raw_data_to_model_format`: one `tokenizer(full_text)`) and open-unlearning
(`preprocess_chat_instance`) build their training and evaluation rows. Tokenising the answer on its own differs
(SentencePiece writes "▁The" where "[/INST]The" gives "The").

Boundary rule (offsets of the joint tokenisation, characters [a0, a1) being the continuation):
- a token is an answer token when its span overlaps the continuation (end > a0 and start < a1); a token that
  straddles the prompt/answer boundary (GPT-2 style "Answer: The" -> "ĠThe" with the space in the prompt) is an
  answer token, so every answer character is scored once;
- after the answer, the suffix's tokens up to and including its first special token are the end of the turn
  (`<|eot_id|>`, `<|im_end|>`, ...); tokens after it are dropped. Without such a token (plain and tag formats),
  the end-of-turn id (the tokenizer's EOS) is appended, as both references do;
- BOS exactly once: the tokenizer's special tokens are added to plain and tag text unless it already starts with
  the BOS token; chat-template text gets none (the template writes BOS where the model has one).
"""

from __future__ import annotations

from typing import Any

import torch

IGNORE = -100


def adds_special(tokenizer: Any, text: str, templated: bool = False) -> bool:
    """Whether the tokenizer adds its special tokens (BOS) to `text`: not to chat-template text (the template
    writes what the model sees, as `apply_chat_template(tokenize=True)` does), nor to text starting with BOS."""
    bos = getattr(tokenizer, "bos_token", None)
    return not templated and not (bos and text.startswith(bos))


def tokenize(tokenizer: Any, text: str, templated: bool = False) -> list[int]:
    """Token ids of `text` with BOS exactly once (`templated`: chat-template text, no tokens added)."""
    return tokenizer(text, add_special_tokens=adds_special(tokenizer, text, templated))["input_ids"]


def encode(tokenizer: Any, prompt: str, continuation: str, add_eos: bool = True, max_length: int | None = None,
           prompt_special: bool | None = None, suffix: str = "", eos_id: int | None = None) -> dict[str, Any]:
    """Joint tokenisation of prompt + continuation (+ suffix when `add_eos`); labels -100 outside the answer.

    Returns input_ids, labels and `n_end`: how many labelled tokens at the end are the end of the turn (0 or more).
    `prompt_special`: add the tokenizer's special tokens (default: unless the text starts with BOS; chat-template
    text: pass False).
    `eos_id`: the end-of-turn id appended when the suffix holds no special token (default: the tokenizer's EOS).
    """
    from meow.modeling.prompt import special_ids

    tail = suffix if add_eos else ""
    text = prompt + continuation + tail
    special = adds_special(tokenizer, text) if prompt_special is None else prompt_special
    a0, a1 = len(prompt), len(prompt) + len(continuation)
    ids, spans = _with_offsets(tokenizer, special, prompt, continuation, tail)
    labels = [IGNORE] * len(ids)
    answer = [i for i, (s, e) in enumerate(spans) if e > a0 and s < a1]
    for i in answer:
        labels[i] = ids[i]
    stop = answer[-1] + 1 if answer else sum(1 for s, e in spans if e <= a0)
    n_end = 0
    if add_eos:
        specials = special_ids(tokenizer) if tail else set()
        after = [i for i, (s, e) in enumerate(spans) if i >= stop and s >= a1 and e > s]
        end = next((i for i in after if ids[i] in specials), None)
        if end is not None:  # the template's end of turn: label it and what lies between
            labels[stop: end + 1] = ids[stop: end + 1]
            ids, labels, n_end = ids[: end + 1], labels[: end + 1], end + 1 - stop
        else:
            eid = tokenizer.eos_token_id if eos_id is None else eos_id
            ids, labels = ids[:stop], labels[:stop]
            if eid is not None:
                ids, labels, n_end = [*ids, eid], [*labels, eid], 1
    else:
        ids, labels = ids[:stop], labels[:stop]
    if max_length is not None and len(ids) > max_length:
        n_end = max(0, n_end - (len(ids) - max_length))
        ids, labels = ids[:max_length], labels[:max_length]
    return {"input_ids": ids, "labels": labels, "n_end": n_end}


def _with_offsets(tokenizer: Any, special: bool, *parts: str) -> tuple[list[int], list[tuple[int, int]]]:
    """Ids and character spans of the joined parts; tokenizers without offsets (slow ones) fall back to tokenising
    the parts (prompt, continuation, suffix) apart, each token spanning its whole part."""
    try:
        enc = tokenizer("".join(parts), add_special_tokens=special, return_offsets_mapping=True)
        return list(enc["input_ids"]), [tuple(o) for o in enc["offset_mapping"]]
    except (NotImplementedError, ValueError, TypeError):
        ids: list[int] = []
        spans: list[tuple[int, int]] = []
        start = 0
        for k, part in enumerate(parts):
            got = tokenizer(part, add_special_tokens=special and k == 0)["input_ids"] if part else []
            ids += got
            spans += [(start, start + len(part))] * len(got)
            start += len(part)
        return ids, spans


def collate(features: list[dict[str, list[int]]], pad_id: int, left: bool = False) -> dict[str, torch.Tensor]:
    """Pad to the longest row (right padding for training/scoring; left for generation)."""
    width = max(len(f["input_ids"]) for f in features)
    out: dict[str, list[list[int]]] = {"input_ids": [], "attention_mask": []}
    has_labels = "labels" in features[0]
    if has_labels:
        out["labels"] = []
    for f in features:
        n = len(f["input_ids"])
        pad = width - n

        def padded(row: list[int], value: int, pad: int = pad) -> list[int]:
            return [value] * pad + row if left else row + [value] * pad

        out["input_ids"].append(padded(list(f["input_ids"]), pad_id))
        out["attention_mask"].append(padded([1] * n, 0))
        if has_labels:
            out["labels"].append(padded(list(f["labels"]), IGNORE))
    return {k: torch.tensor(v, dtype=torch.long) for k, v in out.items()}


class QACollator:
    """Data collator for `datasets` of encoded rows: pads and drops everything else."""

    def __init__(self, pad_id: int):
        self.pad_id = pad_id

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        return collate([{"input_ids": f["input_ids"], "labels": f["labels"]} for f in features], self.pad_id)
