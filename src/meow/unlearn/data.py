"""Training rows for unlearning (trl-style): each item holds the groups a method reads, padded per group.

One row per forget question; MEOW methods get one row per (question, selected inverted fact), as in the
reference. Retain rows are paired by position and shifted every epoch, so all of the retain set is seen.
"""

from __future__ import annotations

import random
from typing import Any

import torch

from meow.data import Record
from meow.modeling import collate
from meow.modeling.lm import LM
from meow.modeling.scoring import encode_pairs, length_sorted_batches
from meow.unlearn.losses import sequence_logprob
from meow.unlearn.methods import GROUPS, IDK_ANSWERS, Method

Encoded = dict[str, list[int]]


def encoder(lm: LM, max_length: int) -> Any:
    """(question, answer) -> encoded row, exactly as scoring encodes it (`scoring.encode_pairs`)."""
    def enc(question: str, answer: str) -> Encoded:
        return encode_pairs(lm, lm.prompts([question]), lm.continuations([answer]), True, max_length)[0]

    return enc


def idk_answer(index: int, seed: int) -> str:
    """A fixed refusal per question (fixed so that its reference log-prob can be cached)."""
    return random.Random(f"idk/{seed}/{index}").choice(IDK_ANSWERS)


def build_rows(method: Method, lm: LM, forget: list[Record], selected: list[list[int]] | None,
               max_length: int, seed: int) -> list[dict[str, Any]]:
    """Encoded rows with the method's forget-side groups (`forget`, `alt`); `source` says where each came from."""
    enc, groups, rows = encoder(lm, max_length), method.groups(), []
    for i, r in enumerate(forget):
        if method.alt == "inverted":
            assert selected is not None
            alts = [(j, r["inverted_answers"][j]) for j in selected[i]]
        elif method.alt == "idk":
            alts = [(None, idk_answer(i, seed))]
        else:
            alts = [(None, None)]
        for j, alt in alts:
            row: dict[str, Any] = {"source": {"record": i, "inverted": j}}
            if "forget" in groups:
                row["forget"] = enc(r["question"], r["answer"])
            if "alt" in groups:
                row["alt"] = enc(r["question"], alt)
            rows.append(row)
    return rows


class UnlearnDataset(torch.utils.data.Dataset):
    """Forget-side rows, each paired with a retain row: retain[perm[(i + epoch * n) % len(retain)]]."""

    def __init__(self, rows: list[dict[str, Any]], retain: list[Encoded] | None = None, seed: int = 0):
        self.rows, self.retain, self.epoch = rows, retain, 0
        self.perm = list(range(len(retain or [])))
        random.Random(f"retain/{seed}").shuffle(self.perm)

    def __len__(self) -> int:
        return len(self.rows)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def retain_index(self, i: int) -> int:
        return self.perm[(i + self.epoch * len(self.rows)) % len(self.perm)]

    def __getitem__(self, i: int) -> dict[str, Any]:
        item = {g: self.rows[i][g] for g in GROUPS if g in self.rows[i]}
        if "ref" in self.rows[i]:
            item["ref"] = self.rows[i]["ref"]
        if self.retain:
            item["retain"] = self.retain[self.retain_index(i)]
        return item


class UnlearnCollator:
    """Pads each group separately; stacks cached reference log-probs into [B] tensors of `ref_dtype`: the dtype
    `sequence_logprob` gives the model's own logits (float32, or float64 for a float64 model), so a cached
    reference equals one scored by a second model in that precision."""

    def __init__(self, pad_id: int, ref_dtype: Any = None):
        self.pad_id = pad_id
        self.ref_dtype = torch.float32 if ref_dtype is None else ref_dtype

    def __call__(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        batch: dict[str, Any] = {g: collate([it[g] for it in items], self.pad_id) for g in GROUPS if g in items[0]}
        if "ref" in items[0]:
            batch["ref"] = {k: torch.tensor([it["ref"][k] for it in items], dtype=self.ref_dtype)
                            for k in items[0]["ref"]}
        return batch


@torch.no_grad()
def cache_reference_logprobs(model: Any, rows: list[dict[str, Any]], groups: tuple[str, ...], pad_id: int,
                             batch_size: int = 32, progress: bool = False) -> None:
    """rows[i]['ref'][g] = log p_ref(y|x) of group g under the model as it is now (before training).

    Same tokens and the same `sequence_logprob` as the training loss, so NPO's log-ratio starts at 0.
    """
    from tqdm.auto import tqdm

    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    bar = tqdm(total=len(rows) * len(groups), desc="reference log-probs", unit="row", disable=(not progress) or None,  # None: TQDM_DISABLE decides
               leave=False)
    for g in groups:
        lengths = [len(r[g]["input_ids"]) for r in rows]
        for idx in length_sorted_batches(lengths, batch_size):
            bar.update(len(idx))
            b = {k: v.to(device) for k, v in collate([rows[i][g] for i in idx], pad_id).items()}
            logits = model(input_ids=b["input_ids"], attention_mask=b["attention_mask"]).logits
            for i, lp in zip(idx, sequence_logprob(logits, b["labels"]).tolist()):
                rows[i].setdefault("ref", {})[g] = lp
    bar.close()
    model.train(was_training)


# ---------------------------------------------------------------- text corpora (meow.data.text)


def build_text_rows(method: Method, lm: LM, forget: list[Record], selected: list[list[int]] | None,
                    max_length: int) -> list[dict[str, Any]]:
    """Rows of a passage forget set: each passage cut into `max_length`-token chunks, every token labelled.

    MEOW: the selected inverted versions of the passage fill `alt` (chunked the same way); a passage and its
    inverted version with different chunk counts are paired chunk by chunk, the shorter one cycled.
    """
    from meow.data.text import encode_passage
    from meow.errors import MeowError

    if method.alt == "idk":
        raise MeowError(f"method {type(method).__name__.lower()!r} answers questions with 'I don't know': it needs "
                        "QA records, not a text corpus")
    groups, rows = method.groups(), []
    for i, r in enumerate(forget):
        chunks = encode_passage(lm.tokenizer, r["text"], max_length)
        alts: list[tuple[int | None, str | None]] = [(None, None)]
        if method.alt == "inverted":
            assert selected is not None
            alts = [(j, r["inverted_answers"][j]) for j in selected[i]]
        for j, alt in alts:
            alt_chunks = encode_passage(lm.tokenizer, alt, max_length) if alt is not None else []
            for k in range(max(len(chunks), len(alt_chunks))):
                row: dict[str, Any] = {"source": {"record": i, "inverted": j, "chunk": k}}
                if "forget" in groups:
                    row["forget"] = chunks[k % len(chunks)]
                if "alt" in groups:
                    row["alt"] = alt_chunks[k % len(alt_chunks)]
                rows.append(row)
    return rows


def retain_rows(lm: LM, records: list[Record], max_length: int) -> list[Encoded]:
    """Encoded retain rows: QA pairs as in training, or passage chunks (every token labelled)."""
    from meow.data.text import encode_passage, is_text

    if is_text(records):
        return [row for r in records for row in encode_passage(lm.tokenizer, r["text"], max_length)]
    enc = encoder(lm, max_length)
    return [enc(r["question"], r["answer"]) for r in records]
