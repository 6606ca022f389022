"""Evaluation of (unlearned) models: TOFU metrics, memorisation, membership inference and fluency.

    from meow.evaluate import EvalConfig, evaluate, load_splits, load_eval, forget_quality
    splits, sources, _ = load_splits("data/tofu", "forget10")
    result = evaluate(lm, splits, retain_eval="runs/retain_eval", cfg=EvalConfig(max_new_tokens=64))
    result.summary["forget_quality"]["value"], result.value("model_utility")

The JSON layout of eval.json / summary.json is documented in `meow.evaluate.results`. Metrics live in registries
(`METRICS`, `SUMMARIES`, `MIA_ATTACKS`); see `meow.evaluate.base` for how to add one.
"""

from meow.evaluate.aggregate import forget_quality, load_eval, summarize
from meow.evaluate.base import METRICS, SPLITS, SUMMARIES, Scored, metric, summary
from meow.evaluate.evaluator import EvalConfig, evaluate
from meow.evaluate.mia import MIA_ATTACKS, mia_attack
from meow.evaluate.results import EvalResult
from meow.evaluate.splits import check_splits, load_splits, split_files

__all__ = [
    "METRICS", "MIA_ATTACKS", "SPLITS", "SUMMARIES", "EvalConfig", "EvalResult", "Scored", "check_splits",
    "evaluate", "forget_quality", "load_eval", "load_splits", "metric", "mia_attack", "split_files", "summarize", "summary",
]
