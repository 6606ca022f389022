"""Unlearning: `meow unlearn` (MEOW and baselines on the transformers Trainer).

    from meow.unlearn import unlearn, resolve_configs, METHODS
    cfg, method = resolve_configs("configs/unlearn/meow.yaml", {"method": "meow", "top_k": 2})
    summary = unlearn("models/target", "data/forget10_inverted.json", "runs/meow", cfg, method,
                      retain="data/retain90.json")

Torch-heavy parts load on first use, so listing methods stays fast.
"""

from typing import Any

from meow.unlearn.methods import METHODS, Context, Method

_LAZY = {
    "unlearn": "meow.unlearn.run",
    "UnlearnConfig": "meow.unlearn.config",
    "resolve_configs": "meow.unlearn.config",
    "select_inverted": "meow.unlearn.select",
    "UnlearnTrainer": "meow.unlearn.trainer",
}

__all__ = ["METHODS", "Context", "Method", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'meow.unlearn' has no attribute {name!r}")
