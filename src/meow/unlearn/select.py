"""Pick the top-k inverted facts of each forget question by their MEMO scores (MEOW step 3).

`smallest` takes the least memorised candidates, `largest` the most memorised, `random` ignores the scores.
Ties keep the candidates' order in the file (a stable sort by index), so the choice is deterministic.
"""

from __future__ import annotations

import math
import random

from meow.data import Record
from meow.errors import MeowError, warn, where

SELECTIONS = ("smallest", "largest", "random")


def pick(scores: list[float] | None, n: int, k: int, how: str, seed: int | str = 0) -> list[int]:
    """Indices of the k chosen candidates out of n, best first."""
    if how not in SELECTIONS:
        raise MeowError(f"unknown selection {how!r}; choose from {', '.join(SELECTIONS)}")
    k = min(k, n)
    if how == "random":
        return random.Random(seed).sample(range(n), k)
    assert scores is not None and len(scores) == n
    sign = 1.0 if how == "smallest" else -1.0
    return sorted(range(n), key=lambda i: (sign * scores[i], i))[:k]


def needs_memo(how: str) -> bool:
    return how != "random"


def inverted_answers(rec: Record, path: object, index: int) -> list[str]:
    """The record's inverted facts; one-line error pointing to `meow invert` when there are none."""
    answers = rec.get("inverted_answers")
    if not answers:
        raise MeowError(f"{where(path, index, 'inverted_answers')}: missing or empty; "
                        f"run `meow invert` on the forget set first")
    return answers


def memo_scores(rec: Record, path: object, index: int) -> list[float] | None:
    """MEMO scores of the inverted facts, or None when the record has none (MEMO still to compute)."""
    memo = rec.get("memo")
    scores = memo.get("inverted_answers") if isinstance(memo, dict) else None
    if scores is None:
        return None
    n = len(rec["inverted_answers"])
    if not isinstance(scores, list) or len(scores) != n:
        raise MeowError(f"{where(path, index, 'memo')}: 'inverted_answers' should hold {n} scores, one per inverted "
                        f"answer; re-run `meow memo`")
    if not all(isinstance(s, (int, float)) and not isinstance(s, bool) and math.isfinite(s) for s in scores):
        raise MeowError(f"{where(path, index, 'memo')}: 'inverted_answers' scores must be finite numbers")
    return [float(s) for s in scores]


def missing_memo(records: list[Record], path: object) -> list[int]:
    """Indices of records whose inverted facts have no MEMO scores yet."""
    for i, r in enumerate(records):
        inverted_answers(r, path, i)
    return [i for i, r in enumerate(records) if memo_scores(r, path, i) is None]


def select_inverted(records: list[Record], k: int, how: str, seed: int = 0, path: object = "forget set") -> list[list[int]]:
    """Per record, the indices of its selected inverted facts."""
    if k < 1:
        raise MeowError(f"--top-k must be at least 1, got {k}")
    out, short = [], []
    for i, r in enumerate(records):
        n = len(inverted_answers(r, path, i))
        if n < k:
            short.append(i)
        scores = memo_scores(r, path, i) if needs_memo(how) else None
        if needs_memo(how) and scores is None:
            raise MeowError(f"{where(path, i, 'memo')}: no MEMO scores for the inverted answers; "
                            f"run `meow memo` first (or let `meow unlearn` compute them: drop --no-auto-memo)")
        out.append(pick(scores, n, k, how, seed=f"{seed}/{i}"))
    if short:
        warn(f"--top-k {k} is more than the inverted answers of {len(short)} record(s) of {path} (first: record "
             f"{short[0]}, {len(inverted_answers(records[short[0]], path, short[0]))}); all of theirs are used")
    return out
