"""The built-in fictitious-authors benchmark: TOFU-shaped splits, generated offline and deterministically."""

from meow.benchmark.generate import forget_sizes, generate, make_benchmark

__all__ = ["forget_sizes", "generate", "make_benchmark"]
