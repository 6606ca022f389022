"""The MEOW reference schedule (Carol-gutianle/MEOW `meow/dataset.py::TextForgetDatasetMeow`,
`meow/tofu/forget.py`), selected by `--schedule reference`.

- One data-set item per forget question; it holds R rows (question, fact_{i mod k}) for i < R, the k selected
  inverted facts cycled (`top_keys[i % top_k]`). The reference builds num_batch = 8 rows; for loss `meow_memo`
  its collator (`meow_data_collator_forget_double`) keeps the first half (4 rows), for `meow_grad_diff` /
  `meow_forgetKL` all 8 (plus 8 copies of the retain row). `--rows-per-question 0` uses those counts.
- `--batch-size` counts questions, so a micro-batch holds batch_size x R rows and the optimizer steps are
  counted per question: max_steps = int(epochs x questions) // (batch x accumulation x processes), warm-up
  max(1, questions // (batch x accumulation x processes)), both floored as there.
- The retain row of question i is retain[i mod |retain|], the same every epoch (`retain_data[idx]`).
"""

from __future__ import annotations

from typing import Any

import torch

from meow.unlearn.methods import GROUPS


def rows_per_question(method_name: str, inverted: bool, requested: int) -> int:
    """R: as asked, or the reference's count: 4 rows for plain `meow`, 8 for its retain / KL variants, 1 for
    methods without inverted facts (the reference's TextForgetDatasetQA: one row per question)."""
    return requested or (1 if not inverted else 4 if method_name == "meow" else 8)


def reference_steps(questions: int, epochs: float, per_step: int, max_steps: int = 0) -> tuple[int, int]:
    """(optimizer steps, warm-up steps) as meow/tofu/forget.py computes them; per_step = batch x accum x procs."""
    total = max_steps or max(1, int(epochs * questions) // per_step)
    return total, max(1, questions // per_step)


class QuestionDataset(torch.utils.data.Dataset):
    """Item q = the R rows of forget question q (its rows cycled), each paired with retain[q mod |retain|]."""

    def __init__(self, rows: list[dict[str, Any]], per_question: int, retain: list[Any] | None = None):
        by_record: dict[int, list[dict[str, Any]]] = {}
        for i, r in enumerate(rows):  # rows without a source (raw-text chunks) are their own question
            by_record.setdefault(r.get("source", {}).get("record", i), []).append(r)
        self.questions = [by_record[k] for k in sorted(by_record)]
        self.per_question, self.retain = per_question, retain

    def __len__(self) -> int:
        return len(self.questions)

    def set_epoch(self, epoch: int) -> None:  # the reference pairs retain rows by index, whatever the epoch
        pass

    def __getitem__(self, q: int) -> list[dict[str, Any]]:
        rows = self.questions[q]
        items = []
        for i in range(self.per_question):
            row = rows[i % len(rows)]
            item = {g: row[g] for g in GROUPS if g in row}
            if "ref" in row:
                item["ref"] = row["ref"]
            if self.retain:
                item["retain"] = self.retain[q % len(self.retain)]
            items.append(item)
        return items


class FlatCollator:
    """Flattens the questions' row lists, then pads as the per-row collator does."""

    def __init__(self, collator: Any):
        self.collator = collator

    def __call__(self, items: list[list[dict[str, Any]]]) -> dict[str, Any]:
        return self.collator([row for rows in items for row in rows])
