"""Unlearning methods, registered by name in `METHODS` (one file per family)."""

from meow.registry import import_submodules
from meow.unlearn.methods.base import GROUPS, METHODS, Context, Method, Outputs
from meow.unlearn.methods.idk import IDK_ANSWERS

import_submodules(__name__)  # every file here registers its methods: a new method is a new file

__all__ = ["GROUPS", "IDK_ANSWERS", "METHODS", "Context", "Method", "Outputs"]
