"""The registry of memorisation metrics and the options they share.

A metric is one function `(lm, questions, answers, cfg) -> list[float]`, one score per (question, answer)
pair, higher = more memorised. All pairs come in one call so that a metric can batch every model call:

    @MEMO_METRICS.register("memo")
    def memo(lm, questions, answers, cfg): ...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from meow.registry import Registry

if TYPE_CHECKING:
    from meow.modeling import LM

MODES = ("suffix", "prefix")


@dataclass
class MemoConfig:
    """Options of `meow memo` (saved with every result)."""

    metric: str = field(default="memo", metadata={"help": "memorisation metric: memo, ma or el"})
    mode: str = field(default="suffix", metadata={"help": "suffix: continue the answer after the question; "
                                                           "prefix: continue the question itself", "choices": MODES})
    stride: int = field(default=5, metadata={"help": "MEMO window step, in characters", "ge": 1})
    max_new_tokens: int = field(default=200, metadata={"help": "greedy generation length per window", "ge": 1})
    batch_size: int = field(default=64, metadata={"help": "rows per model call", "ge": 1})

    def validate(self) -> None:
        """Beyond the declared ranges (meow.config.validate_config): the metric is a registered one."""
        MEMO_METRICS.get(self.metric)  # one-line error naming the known metrics


MetricFn = Callable[["LM", list[str], list[str], MemoConfig], list[float]]
MEMO_METRICS: Registry[MetricFn] = Registry("memorisation metric")


def raw_prompt(lm: LM, text: str) -> str:
    """Text continued as it is (prefix mode). `generate` adds the tokenizer's BOS for plain formats; chat
    formats write their own special tokens, so BOS is written here."""
    bos = lm.tokenizer.bos_token if lm.fmt.prompt_has_special_tokens else None
    return (bos or "") + text


def mean(values: list[float]) -> float:
    """Mean over windows; 0.0 for an answer too short to have any (as the reference's fallback)."""
    return sum(values) / len(values) if values else 0.0
