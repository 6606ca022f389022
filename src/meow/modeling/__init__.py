"""Models: load/save, prompt format, tiny from-scratch model, batched scoring and generation, QA fine-tuning.

Names are imported lazily so `meow --help` does not pay for torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "IGNORE": "encoding", "QACollator": "encoding", "collate": "encoding", "encode": "encoding",
    "generate": "generation", "generate_answers": "generation",
    "LM": "lm", "load_lm": "lm", "read_meta": "lm", "save_lm": "lm",
    "PromptFormat": "prompt",
    "TokenScores": "scoring", "mean_nll": "scoring", "score": "scoring",
}
__all__ = [
    "IGNORE", "LM", "PromptFormat", "QACollator", "TokenScores", "collate", "encode", "generate", "generate_answers",
    "load_lm", "mean_nll", "read_meta", "save_lm", "score",
]

if TYPE_CHECKING:
    from meow.modeling.encoding import IGNORE, QACollator, collate, encode
    from meow.modeling.generation import generate, generate_answers
    from meow.modeling.lm import LM, load_lm, read_meta, save_lm
    from meow.modeling.prompt import PromptFormat
    from meow.modeling.scoring import TokenScores, mean_nll, score


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'meow.modeling' has no attribute {name!r}")
    return getattr(importlib.import_module(f"meow.modeling.{_EXPORTS[name]}"), name)
