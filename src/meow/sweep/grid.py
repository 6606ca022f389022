"""Sweep grids: `--grid key=v1,v2` flags -> the points of the Cartesian product, in order, each with a folder name.

The default grid is learning rate x epochs around the base config: lr in {lr/3, lr, 3 lr}, epochs in {epochs/2,
epochs}. Any option of `meow unlearn` (training or the method's own hyperparameters) may be a grid key.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import yaml

from meow.errors import MeowError

Grid = dict[str, list[Any]]


def parse_value(text: str) -> Any:
    """YAML scalar: 1e-4 -> 0.0001, 10 -> 10, true -> True, smallest -> 'smallest'."""
    text = text.strip()
    if re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+", text):  # YAML 1.1 reads 1e-4 as a string
        return float(text)
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    return value if isinstance(value, (int, float, bool, str)) else text


def parse_grid(items: list[str] | None, known: set[str] | None = None) -> Grid:
    """['lr=1e-4,3e-4', 'epochs=5,10'] -> {'lr': [1e-4, 3e-4], 'epochs': [5, 10]} (order kept)."""
    grid: Grid = {}
    for item in items or []:
        key, sep, values = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key or not values.strip():
            raise MeowError(f"--grid {item!r}: expected KEY=V1,V2,... (e.g. lr=1e-4,3e-4)")
        if known is not None and key not in known:
            raise MeowError(f"--grid {item!r}: unknown option {key!r}; known: {', '.join(sorted(known))}")
        if key in grid:
            raise MeowError(f"--grid: {key!r} given twice")
        parsed = [parse_value(v) for v in values.split(",") if v.strip()]
        if len(set(map(repr, parsed))) != len(parsed):
            raise MeowError(f"--grid {item!r}: a value is repeated")
        grid[key] = parsed
    return grid


def default_grid(lr: float, epochs: float) -> Grid:
    return {"lr": [_round(lr / 3), lr, _round(lr * 3)], "epochs": [_round(epochs / 2), epochs]}


def _round(x: float) -> float:
    return float(f"{x:.3g}")


def points(grid: Grid) -> list[dict[str, Any]]:
    """Cartesian product in the order given: the last key varies fastest."""
    keys = list(grid)
    return [dict(zip(keys, combo)) for combo in itertools.product(*(grid[k] for k in keys))]


def point_name(point: dict[str, Any], seed: int | None = None) -> str:
    """A folder name: 'lr=0.0003,epochs=5' (+ ',seed=1'); only safe characters."""
    parts = [f"{k}={_text(v)}" for k, v in point.items()] + ([f"seed={seed}"] if seed is not None else [])
    name = ",".join(parts) or "base"
    return re.sub(r"[^A-Za-z0-9=.,_+-]", "_", name)


def _text(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)
