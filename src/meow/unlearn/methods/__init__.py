"""Unlearning methods, registered by name in `METHODS` (one file per family)."""

from meow.unlearn.methods import ga, idk, meow, npo  # noqa: F401  (registers the methods)
from meow.unlearn.methods.base import GROUPS, METHODS, Context, Method, Outputs
from meow.unlearn.methods.idk import IDK_ANSWERS

__all__ = ["GROUPS", "IDK_ANSWERS", "METHODS", "Context", "Method", "Outputs"]
