"""Relearning attack (docs/method.md section 5): fine-tune the unlearned model a few steps on part of the forget set and
measure how much of the untouched rest comes back; the same done to the retain model is the yardstick.
"""

from __future__ import annotations

import copy
import gc
import random
import tempfile
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from meow.errors import MeowError
from meow.evaluate.attacks.base import (
    AttackOptions,
    attack,
    evaluate_forget,
    forget_subset,
    metric_rows,
    part,
    result,
)
from meow.modeling.finetune import SCHEDULERS
from meow.registry import Shown

if TYPE_CHECKING:
    from meow.modeling import LM

METRICS = ("rouge_l_recall", "fact_hit", "truth_ratio", "probability", "exact_memorisation", "extraction_strength",
           "forget_quality")


@dataclass
class RelearnConfig(AttackOptions):
    """Options of the relearning attack."""

    steps: int = field(default=10, metadata={"help": "optimizer steps of relearning", "ge": 1})
    lr: float = field(default=2e-5, metadata={"help": "relearning learning rate (AdamW)", "gt": 0})
    relearn_fraction: float = field(default=0.5, metadata={"help": "share of the forget set relearned (the rest is "
                                                                   "measured)", "gt": 0, "lt": 1})
    train_batch_size: int = field(default=4, metadata={"help": "rows per relearning step", "ge": 1})
    scheduler: str = field(default="constant", metadata={"help": "learning-rate schedule", "choices": SCHEDULERS})
    weight_decay: float = field(default=0.0, metadata={"help": "AdamW weight decay", "ge": 0})
    max_length: int = field(default=512, metadata={"help": "truncate training rows to this many tokens", "ge": 1})


def split_indices(n: int, fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """(relearned, held-out) record indices: a seeded shuffle, the first round(n * fraction) relearned (at least one
    on each side)."""
    if n < 2:
        raise MeowError(f"the relearning attack needs at least 2 forget records (one to relearn, one to measure); "
                        f"got {n}")
    order = list(range(n))
    random.Random(seed).shuffle(order)
    k = min(n - 1, max(1, round(n * fraction)))
    return sorted(order[:k]), sorted(order[k:])


def relearned_copy(lm: LM, records: list[dict], cfg: RelearnConfig) -> LM:
    """A copy of `lm` fine-tuned for exactly `cfg.steps` steps of `cfg.train_batch_size` rows on `records` (answer
    tokens only, meow.modeling.finetune.train_qa); `lm` itself is left untouched.

    One epoch over the records cycled to steps x batch rows, so every record is seen about equally often.
    """
    import json

    from meow.modeling import reuse

    key = ("relearn", json.dumps(records, sort_keys=True, default=str), repr(cfg))  # the same copy for the same
    return reuse.twin(lm, key, lambda: _relearn(lm, records, cfg))  # model, records, options (meow.modeling.reuse)


def _relearn(lm: LM, records: list[dict], cfg: RelearnConfig) -> LM:
    from meow.modeling import LM
    from meow.modeling.finetune import TrainConfig, train_qa
    from meow.progress import verbose

    n = cfg.steps * cfg.train_batch_size
    rows = [records[i % len(records)] for i in range(n)]
    twin = LM(copy.deepcopy(lm.model), lm.tokenizer, lm.fmt, dict(lm.meta), lm.path)
    train_cfg = TrainConfig(epochs=1.0, lr=cfg.lr, batch_size=cfg.train_batch_size, weight_decay=cfg.weight_decay,
                            scheduler=cfg.scheduler, max_length=cfg.max_length, seed=cfg.seed)
    with tempfile.TemporaryDirectory(prefix="meow-relearn-") as work:
        train_qa(twin, rows, train_cfg, work, quiet=not verbose(), desc="relearn")
    return twin


def _relearn_and_evaluate(lm: LM, learn: list[dict], rest: list[dict], cfg: RelearnConfig, reference: Any,
                          source: str | None, progress: bool) -> Any:
    twin = relearned_copy(lm, learn, cfg)
    try:
        return evaluate_forget(twin, rest, cfg, reference, source, progress)
    finally:
        del twin
        gc.collect()


def _tag(res: Any, rest_idx: list[int]) -> Any:
    for rec, i in zip(res.data["splits"]["forget"]["records"], rest_idx):
        rec["forget_index"] = i
    return res


def _check(records: list[dict], cfg: RelearnConfig, source: str) -> None:
    split_indices(len(records), cfg.relearn_fraction, cfg.seed)


@attack("relearn", RelearnConfig, needs=("paraphrased_answer", "perturbed_answer"), check=_check, show=[
    Shown("relearn_fact_hit", "relearn: forget key-fact acc.", "lower",
          "key-fact accuracy on held-out forget questions after relearning on the other forget questions",
          "attacks/<name>/relearn/summary.json: attack.metrics.fact_hit.after", order=140, key="fact_hit.after",
          table="robustness", short="relearn\nKFA"),
    Shown("relearn_gap", "relearn: vs retain model", "lower",
          "relearned key-fact accuracy minus the retain model's after the same relearning (<= 0: nothing more comes "
          "back than for a model that never saw the forget set)",
          "attacks/<name>/relearn/summary.json: attack.metrics.fact_hit.gap, else after minus the retain row's after",
          order=150, key="fact_hit.gap", table="robustness", short="relearn\ngap")])
def relearn(lm: LM, records: list[dict], cfg: RelearnConfig, *, retain_lm: LM | None = None, retain_eval: Any = None,
            source: str | None = None, progress: bool = True) -> dict[str, Any]:
    """Relearning: fine-tune a copy of the model for a few steps on part of the forget set, then measure how much of the held-out rest comes back (before vs after, and the retain model treated the same way)."""
    learn_idx, rest_idx = split_indices(len(records), cfg.relearn_fraction, cfg.seed)
    learn, rest = [records[i] for i in learn_idx], [records[i] for i in rest_idx]
    reference = forget_subset(retain_eval, {r["question"] for r in rest})
    retain_before = retain_after = None
    if retain_lm is not None:
        retain_before = _tag(evaluate_forget(retain_lm, rest, cfg, None, source, progress), rest_idx)
        retain_after = _tag(_relearn_and_evaluate(retain_lm, learn, rest, cfg, None, source, progress), rest_idx)
    before = _tag(evaluate_forget(lm, rest, cfg, retain_before.data if retain_before else reference, source,
                                  progress), rest_idx)
    after = _tag(_relearn_and_evaluate(lm, learn, rest, cfg, retain_after.data if retain_after else reference,
                                       source, progress), rest_idx)
    fq_ref = ("the retain model, relearned the same way (before: as it is)" if retain_lm is not None else
              "the given retain evaluation, on the held-out questions" if reference is not None else None)
    cols = {"before": part(before), "after": part(after), "change": ("after", "before"),
            "retain_before": part(retain_before), "retain_after": part(retain_after),
            "retain_change": ("retain_after", "retain_before"), "gap": ("after", "retain_after")}
    headline = {"relearned": learn_idx, "held_out": rest_idx, "forget_quality_reference": fq_ref,
                "metrics": metric_rows(METRICS, cols)}
    parts = {"before": cols["before"]}
    if retain_lm is not None:
        parts.update({"retain_model": cols["retain_after"], "retain_model_before": cols["retain_before"]})
    return result("relearn", cfg, cols["after"], headline, parts, {"relearned": learn_idx, "held_out": rest_idx})
