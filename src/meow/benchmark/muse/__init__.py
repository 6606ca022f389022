"""The built-in MUSE-format mini benchmark: short invented news articles in MUSE's published file layout
(registered as `muse` in benchmark.py)."""

from meow.benchmark.muse import benchmark  # noqa: F401  (registers `muse`)
from meow.benchmark.muse.generate import LAYOUT, generate_muse, make_muse_benchmark

__all__ = ["LAYOUT", "generate_muse", "make_muse_benchmark"]
