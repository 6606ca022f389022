"""Token ids for (prompt, continuation) pairs and padding. Loss/score only on continuation tokens."""

from __future__ import annotations

from typing import Any

import torch

IGNORE = -100


def encode(tokenizer: Any, prompt: str, continuation: str, add_eos: bool = True,
           max_length: int | None = None, prompt_special: bool = True) -> dict[str, list[int]]:
    """Tokenise prompt and continuation separately so the boundary is exact; labels are -100 on the prompt."""
    p = tokenizer(prompt, add_special_tokens=prompt_special)["input_ids"]
    c = tokenizer(continuation, add_special_tokens=False)["input_ids"]
    if add_eos and tokenizer.eos_token_id is not None:
        c = [*c, tokenizer.eos_token_id]
    ids = p + c
    labels = [IGNORE] * len(p) + c
    if max_length is not None and len(ids) > max_length:
        ids, labels = ids[:max_length], labels[:max_length]
    return {"input_ids": ids, "labels": labels}


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
