"""Memorisation scores of answers (MEOW step 2): MEMO, MA and EL, on modeling's batched primitives.

Importing this package stays light (torch and rouge_score load when a metric runs).
"""

from meow.memo import el, ma, memo  # noqa: F401  (register the metrics)
from meow.memo.api import (
    TARGETS,
    check_targets,
    memo_scores,
    run_memo,
    score_records,
    summarise,
    summary_path,
)
from meow.memo.memo import rouge1_precision, windows
from meow.memo.metrics import MEMO_METRICS, MODES, MemoConfig

__all__ = [
    "MEMO_METRICS", "MODES", "TARGETS", "MemoConfig", "check_targets", "memo_scores", "rouge1_precision",
    "run_memo", "score_records", "summarise", "summary_path", "windows",
]
