"""meow: LLM unlearning via inverted facts (MEOW), with baselines and TOFU evaluation."""

from meow.errors import MeowError

__version__ = "0.1.0"
__all__ = ["MeowError", "__version__"]
