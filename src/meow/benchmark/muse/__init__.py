"""The built-in MUSE-format mini benchmark: short invented news articles in MUSE's published file layout."""

from meow.benchmark.muse.generate import LAYOUT, generate_muse, make_muse_benchmark

__all__ = ["LAYOUT", "generate_muse", "make_muse_benchmark"]
