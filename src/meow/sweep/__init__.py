"""`meow sweep`: one unlearning method over a grid of options and seeds, evaluated point by point: a frontier.

    from meow.sweep import run_sweep, parse_grid
    table = run_sweep("meow", "models/target", "memo/forget.json", "sweeps/meow", data="data",
                      retain_eval="evals/retain", grid=parse_grid(["lr=1e-4,3e-4", "epochs=5,10"]), seeds=3)

Torch loads on first use (`meow --help` stays fast).
"""

from typing import Any

from meow.sweep.grid import default_grid, parse_grid, point_name, points

_LAZY = {"run_sweep": "meow.sweep.api", "load_sweep": "meow.sweep.api", "summary_values": "meow.sweep.api",
         "frontier_plot": "meow.report.frontier", "to_markdown": "meow.sweep.table"}

__all__ = ["default_grid", "parse_grid", "point_name", "points", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'meow.sweep' has no attribute {name!r}")
