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


def parse_grid(items: list[str] | None, known: set[str] | None = None, option: str = "--grid") -> Grid:
    """['lr=1e-4,3e-4', 'epochs=5,10'] -> {'lr': [1e-4, 3e-4], 'epochs': [5, 10]} (order kept).

    One rule for spacing: white space around the key and around each value is ignored (`lr = 1e-4, 3e-4`); an
    empty value (`lr=1e-4,,3e-4`, a trailing comma) is an error. `seed` is no grid axis (seeds are `--seeds`).
    `option` is the flag the items came from (`--grid` or `--set`), named in every error.
    """
    grid: Grid = {}
    for item in items or []:
        key, sep, values = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key or not values.strip():
            form = "KEY=VALUE (e.g. batch_size=8)" if option == "--set" else "KEY=V1,V2,... (e.g. lr=1e-4,3e-4)"
            raise MeowError(f"{option} {item!r}: expected {form}")
        if key == "seed" and option == "--grid":
            raise MeowError(f"{option} {item!r}: seed is not a grid axis; use --seeds N for N seeds per point "
                            "(starting at the base seed, --set seed=S)")
        if known is not None and key not in known:
            raise MeowError(f"{option} {item!r}: unknown option {key!r}; known: {', '.join(sorted(known))}")
        if key in grid:
            raise MeowError(f"{option}: {key!r} given twice")
        parts = values.split(",")
        empty = [i for i, v in enumerate(parts, 1) if not v.strip()]
        if empty:
            raise MeowError(f"{option} {item!r}: value {empty[0]} of {len(parts)} is empty (a doubled or trailing "
                            "comma?)")
        parsed = [parse_value(v) for v in parts]
        if len(set(map(repr, parsed))) != len(parsed):
            raise MeowError(f"{option} {item!r}: a value is repeated")
        grid[key] = parsed
    return grid


def parse_set(items: list[str] | None, known: set[str] | None = None) -> dict[str, Any]:
    """`--set KEY=VALUE` flags -> {key: value}: one value each (the parse_grid rules, named as --set)."""
    grid = parse_grid(items, known, option="--set")
    for key, values in grid.items():
        if len(values) != 1:
            raise MeowError(f"--set {key}=...: expected one value, got {len(values)}; a list of values is "
                            f"--grid {key}=V1,V2")
    return {k: v[0] for k, v in grid.items()}


def run_count(grid: Grid, seeds: int) -> int:
    """Runs of a sweep: points x seeds (counted, never listed: a huge grid is refused before it is built)."""
    n = seeds
    for values in grid.values():
        n *= len(values)
    return n


def check_size(grid: Grid, seeds: int, max_runs: int | None) -> None:
    """Refuse a malformed grid (a `seed` axis, an empty axis) or one of more than `max_runs` runs, before anything
    starts (None: no limit)."""
    for key, values in grid.items():
        if key == "seed":
            raise MeowError("sweep: seed is not a grid axis; give the number of seeds per point (--seeds N)")
        if not isinstance(values, list) or not values:
            raise MeowError(f"sweep: grid axis {key!r}: expected a non-empty list of values, got {values!r}")
    n = run_count(grid, seeds)
    if max_runs is not None and n > max_runs:
        shape = " x ".join(f"{len(v)} {k}" for k, v in grid.items()) or "1 point"
        raise MeowError(f"sweep: {shape} x {seeds} seed(s) = {n} runs, above --max-runs {max_runs}; pass "
                        f"--max-runs {n} to run them all, or make the grid smaller")


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
