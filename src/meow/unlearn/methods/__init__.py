"""Unlearning methods, registered by name in `METHODS` (one file per family)."""

from meow.unlearn.methods import altpo, distill, ga, idk, meow, npo, pdu, reweighted, rmu  # noqa: F401  (registers)
from meow.unlearn.methods.base import GROUPS, METHODS, Context, Method, Outputs
from meow.unlearn.methods.idk import IDK_ANSWERS

__all__ = ["GROUPS", "IDK_ANSWERS", "METHODS", "Context", "Method", "Outputs"]
