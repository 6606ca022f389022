"""MUSE (Shi et al., 2024; swj0419/muse_bench): VerbMem, KnowMem forget / retain and PrivLeak, as its metrics/ compute them."""

from meow.evaluate.muse.data import load_muse
from meow.evaluate.muse.evaluator import MuseConfig, eval_muse

__all__ = ["MuseConfig", "eval_muse", "load_muse"]
