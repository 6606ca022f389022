"""Models: load/save, prompt format, tiny from-scratch model, batched scoring and generation, QA fine-tuning."""

from meow.modeling.encoding import IGNORE, QACollator, collate, encode
from meow.modeling.generation import generate, generate_answers
from meow.modeling.lm import LM, load_lm, read_meta, save_lm
from meow.modeling.prompt import PromptFormat
from meow.modeling.scoring import TokenScores, mean_nll, score

__all__ = [
    "IGNORE", "LM", "PromptFormat", "QACollator", "TokenScores", "collate", "encode", "generate", "generate_answers",
    "load_lm", "mean_nll", "read_meta", "save_lm", "score",
]
