"""Unlearning options: training knobs (shared with `meow train`) plus selection, reference, LoRA and evaluation.

Defaults are the MEOW reference settings: lr 1e-5, 10 epochs, batch 4 x grad-accum 4, weight decay 0.01,
warm-up one epoch. A method's own hyperparameters (beta, retain_weight, ...) live in its dataclass; one flat
YAML file (`--config`) may hold both kinds, and flags override it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from meow.config import check_fields, from_dict, load_yaml
from meow.errors import MeowError
from meow.modeling.finetune import TrainConfig
from meow.unlearn.methods import METHODS, Method
from meow.unlearn.select import SELECTIONS

REF_MODES = ("cached", "model")
EVAL_METRICS = {  # name -> True when higher is better
    "forget_quality": True,
    "forget_rouge_l": False,
    "forget_memo": False,
    "forget_loss": True,
    "retain_loss": False,
}


def _opt(default: Any, help: str, **allowed: Any) -> Any:
    """A field with its help and its allowed values (`ge=1`, `choices=(...)`: enforced by meow.config)."""
    return field(default=default, metadata={"help": help, **allowed})


@dataclass
class UnlearnConfig(TrainConfig):
    """Everything but the method's own hyperparameters."""

    method: str = _opt("meow", "unlearning method (see `meow methods`)")
    epochs: float = _opt(10.0, "passes over the forget rows (0: only with --max-steps)", ge=0)
    batch_size: int = _opt(4, "rows per device per step", ge=1)
    grad_accum: int = _opt(4, "gradient accumulation steps", ge=1)
    warmup_epochs: float = _opt(1.0, "linear warm-up length in epochs (0 = use warmup_ratio)", ge=0)
    max_steps: int = _opt(0, "stop after this many optimizer steps (0 = run all epochs)", ge=0)
    select: str = _opt("smallest", "MEOW: which inverted facts to train on by MEMO", choices=SELECTIONS)
    top_k: int = _opt(3, "MEOW: inverted facts per forget question", ge=1)
    auto_memo: bool = _opt(True, "MEOW: compute missing MEMO scores with the model being unlearned")
    memo_stride: int = _opt(5, "MEMO suffix-window stride in characters (auto-MEMO and evaluation)", ge=1)
    memo_max_new_tokens: int = _opt(200, "MEMO generation length (auto-MEMO and evaluation)", ge=1)
    ref_mode: str = _opt("cached", "NPO/DPO reference: cached (log-probs computed once, no second model) or model", choices=REF_MODES)
    ref_device: str = _opt("same", "where a kept reference model lives (KL methods): same | cpu | a torch device")
    ref_batch_size: int = _opt(32, "batch size for caching reference log-probs", ge=1)
    lora_r: int = _opt(0, "LoRA rank (0 = full fine-tuning)", ge=0)
    lora_alpha: float = _opt(16.0, "LoRA scaling alpha", gt=0)
    lora_dropout: float = _opt(0.0, "LoRA dropout", ge=0, lt=1)
    lora_target_modules: list[str] | None = field(default=None, metadata={
        "help": "LoRA target modules (default: every linear layer of the blocks, per architecture; never the "
        "embeddings or lm_head)"})
    merge: bool = _opt(False, "LoRA: save the merged model instead of the adapter")
    eval_every: str | None = _opt(None, "evaluate while training: 'epoch' or every N optimizer steps")
    eval_n: int = _opt(0, "evaluate on the first N forget / retain records (0 = all)", ge=0)
    eval_max_new_tokens: int = _opt(64, "generation length for ROUGE-L during evaluation", ge=1)
    best_metric: str | None = _opt(None, "keep the best model (OUT/best) by: " + ", ".join(EVAL_METRICS)
                                   + " (append :min or :max to choose the direction)")
    retain_eval: str | None = _opt(None, "the retain model's evaluation folder (eval.json), for forget quality")
    logging_steps: int = _opt(0, "log the loss every N steps (0 = about 20 times a run)", ge=0)
    loss_reduction: str = field(default="row", metadata={
        "help": "token-level losses: row (mean per row, then over rows) | token (Hugging Face mean over the "
                "accumulated batch's tokens, counted over all processes)", "choices": ("row", "token")})
    schedule: str = field(default="meow", metadata={
        "help": "meow (one row per (question, selected fact), steps per row) | reference (Carol-gutianle/MEOW: "
                "each question's facts cycled into --rows-per-question rows, steps per question)",
        "choices": ("meow", "reference")})
    rows_per_question: int = field(default=0, metadata={
        "help": "reference schedule: rows per forget question (0 = as the reference: 4 for meow, 8 for meow_gd / "
                "meow_kl, 1 without inverted facts)",
        "ge": 0})

    def validate(self) -> None:
        """Across fields (meow.config calls it after the ranges): something to train for."""
        if self.epochs <= 0 and self.max_steps <= 0:
            raise MeowError(f"--epochs must be positive (or give a positive --max-steps), got {self.epochs:g}")


def train_keys() -> set[str]:
    return {f.name for f in dataclasses.fields(UnlearnConfig)}


def method_keys(name: str | None = None) -> set[str]:
    names = [name] if name else METHODS.names()
    return {f.name for n in names for f in dataclasses.fields(METHODS.get(n))}


def method_fields() -> dict[str, dataclasses.Field]:
    """One field per hyperparameter name across all methods (first seen), for the CLI flags."""
    out: dict[str, dataclasses.Field] = {}
    for n in METHODS.names():
        for f in dataclasses.fields(METHODS.get(n)):
            out.setdefault(f.name, f)
    return out


def method_defaults(key: str) -> str:
    """`beta`: 'dpo 0.1, npo 0.1, simnpo 2.5' (the default of each method that has it)."""
    from meow.unlearn.methods.base import field_default

    return ", ".join(f"{n} {field_default(f)}" for n in METHODS.names() for f in dataclasses.fields(METHODS.get(n))
                     if f.name == key)


def resolve_configs(yaml_path: str | Path | None = None, overrides: dict[str, Any] | None = None,
                    ignore: tuple[str, ...] = ()) -> tuple[UnlearnConfig, Method]:
    """defaults < YAML < overrides (None = unset); keys split between UnlearnConfig and the method's dataclass.

    `ignore`: YAML keys another reader handles (`requests`: meow.unlearn.sequence)."""
    source = str(yaml_path or "options")
    values = {k: v for k, v in (load_yaml(yaml_path) if yaml_path else {}).items() if k not in ignore}
    flags = {k: v for k, v in (overrides or {}).items() if v is not None}
    values.update(flags)
    name = str(values.get("method", UnlearnConfig.method))
    cls = METHODS.get(name)
    check_fields(UnlearnConfig, flags)  # a bad flag is named as a flag, a bad YAML key by its file
    check_fields(cls, flags)
    unknown = sorted(set(values) - train_keys() - method_keys())
    if unknown:
        known = sorted(train_keys() | method_keys())
        raise MeowError(f"{source}: unknown option(s) {', '.join(unknown)}; known: {', '.join(known)}")
    foreign = sorted(set(values) & (method_keys() - method_keys(name)))
    if foreign:
        own = ", ".join(sorted(method_keys(name))) or "none"
        raise MeowError(f"{source}: option(s) {', '.join(foreign)} do not apply to method {name!r} (its options: {own})")
    cfg = from_dict(UnlearnConfig, {k: v for k, v in values.items() if k in train_keys()}, source)
    method = from_dict(cls, {k: v for k, v in values.items() if k in method_keys(name)}, source)
    check(cfg)
    return cfg, method


def check(cfg: UnlearnConfig) -> None:
    """Reject impossible combinations with one line each."""
    # single-field ranges and choices are declared on the fields (meow.config enforces them in from_dict)
    if cfg.warmup_epochs and cfg.warmup_ratio:
        raise MeowError("give either warmup_epochs or warmup_ratio, not both (set warmup_epochs: 0 to use the ratio)")
    if cfg.merge and not cfg.lora_r:
        raise MeowError("merge: only applies with LoRA (--lora-r > 0)")
    if cfg.ref_device not in ("same", "cpu"):
        from meow.config import check_device

        check_device(cfg.ref_device, "--ref-device")
    if cfg.eval_every is not None:
        eval_interval(cfg.eval_every)
    if cfg.best_metric is not None:
        if cfg.eval_every is None:
            raise MeowError("best_metric: needs evaluation while training (--eval-every epoch|N)")
        best_direction(cfg.best_metric)


def eval_interval(text: str) -> str | int:
    """'epoch' or a positive step count."""
    if str(text) == "epoch":
        return "epoch"
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise MeowError(f"eval_every: expected 'epoch' or a positive number of steps, got {text!r}")
    return n


def best_direction(text: str) -> tuple[str, bool]:
    """'forget_quality' -> ('forget_quality', True); 'retain_loss:max' -> ('retain_loss', True)."""
    name, _, way = str(text).partition(":")
    if name not in EVAL_METRICS:
        raise MeowError(f"best_metric: unknown metric {name!r}; choose from {', '.join(EVAL_METRICS)}")
    if way not in ("", "min", "max"):
        raise MeowError(f"best_metric: direction must be :min or :max, got {way!r}")
    return name, (EVAL_METRICS[name] if not way else way == "max")


def flat_dict(cfg: UnlearnConfig, method: Method) -> dict[str, Any]:
    """The resolved config as one flat mapping: saved next to the model, reusable with --config."""
    return {**dataclasses.asdict(cfg), **dataclasses.asdict(method)}
