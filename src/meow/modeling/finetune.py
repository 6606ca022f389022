"""Fine-tune a causal LM on question/answer pairs (loss on answer tokens only), on the transformers Trainer.

The same Trainer plumbing carries the unlearning methods, so `accelerate launch` (DDP, DeepSpeed, FSDP) works for both.
"""

from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from meow.modeling.lm import DTYPES, LM

PRECISIONS = ("fp32", "bf16", "fp16")
# transformers SchedulerType values that need no extra arguments (reduce_lr_on_plateau needs evaluation,
# cosine_with_min_lr / warmup_stable_decay need scheduler kwargs)
SCHEDULERS = ("linear", "cosine", "cosine_with_restarts", "polynomial", "constant", "constant_with_warmup",
              "inverse_sqrt")


@dataclass
class TrainConfig:
    """Fine-tuning hyperparameters. `meow train --init tiny` uses TINY_DEFAULTS, pretrained models HF_DEFAULTS."""

    epochs: float = field(default=5.0, metadata={"help": "passes over the data", "gt": 0})
    lr: float = field(default=1e-5, metadata={"help": "peak learning rate (AdamW)", "gt": 0})
    batch_size: int = field(default=16, metadata={"help": "rows per device per step", "ge": 1})
    grad_accum: int = field(default=1, metadata={"help": "gradient accumulation steps", "ge": 1})
    weight_decay: float = field(default=0.01, metadata={"help": "AdamW weight decay", "ge": 0})
    warmup_ratio: float = field(default=0.0, metadata={"help": "share of steps spent warming up", "ge": 0, "le": 1})
    scheduler: str = field(default="linear", metadata={"help": "learning-rate schedule", "choices": SCHEDULERS})
    max_length: int = field(default=512, metadata={"help": "truncate rows to this many tokens", "ge": 1})
    precision: str = field(default="fp32", metadata={"help": "numeric precision", "choices": PRECISIONS})
    gradient_checkpointing: bool = field(default=False, metadata={"help": "trade compute for memory"})
    dtype: str = field(default="float32", metadata={
        "help": "dtype the weights are loaded and trained in: float32 (full-precision master weights; with "
        "--precision bf16 the forward pass still runs in bf16) | auto (the checkpoint's torch_dtype) | bfloat16 | "
        "float16 (half the memory, but AdamW updates below the weights' precision are lost) | float64 (exact "
        "comparisons in tests)",
        "choices": DTYPES})
    seed: int = field(default=0, metadata={"help": "random seed", "ge": 0})


TINY_DEFAULTS = {"epochs": 25.0, "lr": 3e-3, "batch_size": 16, "weight_decay": 0.0}
HF_DEFAULTS = {"epochs": 5.0, "lr": 1e-5, "batch_size": 4, "grad_accum": 4, "warmup_ratio": 0.2}


def training_arguments(cfg: TrainConfig, out_dir: str | Path, steps_per_epoch: int, **extra: Any) -> Any:
    """TrainingArguments for a quiet, checkpoint-free run (the final model is saved by meow)."""
    from transformers import TrainingArguments

    if cfg.precision not in PRECISIONS:
        from meow.errors import MeowError

        raise MeowError(f"unknown precision {cfg.precision!r}; choose from {', '.join(PRECISIONS)}")
    total = max(1, math.ceil(steps_per_epoch * cfg.epochs))
    args = {
        "output_dir": str(out_dir),
        "num_train_epochs": cfg.epochs,
        "learning_rate": cfg.lr,
        "per_device_train_batch_size": cfg.batch_size,
        "gradient_accumulation_steps": cfg.grad_accum,
        "weight_decay": cfg.weight_decay,
        "warmup_steps": round(cfg.warmup_ratio * total),
        "lr_scheduler_type": cfg.scheduler,
        "bf16": cfg.precision == "bf16",
        "fp16": cfg.precision == "fp16",
        "activation_checkpointing": cfg.gradient_checkpointing,
        "seed": cfg.seed,
        "data_seed": cfg.seed,
        "save_strategy": "no",
        "eval_strategy": "no",
        "report_to": "none",
        "logging_strategy": "steps",
        "logging_steps": max(1, total // 20),
        "remove_unused_columns": False,
        "dataloader_num_workers": 0,
        "dataloader_pin_memory": _has_gpu(),
        "use_cpu": not _accelerated(),  # without it, bf16 / fp16 autocast on a CPU-only machine is refused
        "disable_tqdm": False,
    }
    args.update(extra)
    return TrainingArguments(**args)


def encode_records(lm: LM, records: list[dict], max_length: int = 512, answer_key: str = "answer") -> list[dict]:
    """Training rows: the same encoding as scoring (`scoring.encode_pairs`: joint tokens, end of turn labelled);
    passages: chunks of max_length tokens, loss on every token (meow.data.text)."""
    from meow.data.text import encode_passage, is_text
    from meow.modeling.scoring import encode_pairs

    if is_text(records):
        return [row for r in records for row in encode_passage(lm.tokenizer, r["text"], max_length)]
    return encode_pairs(lm, lm.prompts([r["question"] for r in records]),
                        lm.continuations([r[answer_key] for r in records]), eos=True, max_length=max_length)


def train_qa(lm: LM, records: list[dict], cfg: TrainConfig, work_dir: str | Path, quiet: bool = False,
             log_path: str | Path | None = None, desc: str = "training") -> dict[str, Any]:
    """Next-token loss on answer tokens of every record; returns the Trainer's final metrics.

    Output: one progress bar (`desc`), the Trainer's log dicts appended to `log_path` (JSON Lines) and printed only
    with `meow.progress.set_verbose(True)`. `quiet`: no bar either (short inner runs such as the relearning attack).
    """
    from transformers import Trainer, set_seed

    from meow.modeling.encoding import QACollator
    from meow.progress import quiet_trainer

    set_seed(cfg.seed)
    rows = encode_records(lm, records, cfg.max_length)
    world = _world_size()
    steps = math.ceil(len(rows) / (cfg.batch_size * world * cfg.grad_accum))
    args = training_arguments(cfg, work_dir, steps, disable_tqdm=True)
    lm.model.train()
    trainer = Trainer(model=lm.model, args=args, train_dataset=rows, data_collator=QACollator(lm.tokenizer.pad_token_id))
    quiet_trainer(trainer, desc, log_path, show=not quiet, print_logs=False if quiet else None)
    result = trainer.train()
    lm.model.eval()
    logging.getLogger(__name__).info("training finished: %s", result.metrics)
    return {**result.metrics, "config": asdict(cfg), "rows": len(rows)}


def _has_gpu() -> bool:
    import torch

    return torch.cuda.is_available()


def _accelerated() -> bool:
    import torch

    return torch.cuda.is_available() or torch.backends.mps.is_available()


def _world_size() -> int:
    import os

    return int(os.environ.get("WORLD_SIZE", "1"))
