"""Fluency of generated answers: Rep-3 (MEOW's NLG check) and ReLearn's linguistic score LS (docs/method.md section 5).

Words: lowercased, `\\w+` runs and single punctuation marks (close to nltk's word_tokenize, which ReLearn uses,
without its downloadable data). Empty-text conventions follow ReLearn's code: BI = 1000 for no words, HS = 0 for
fewer than 2 words, perplexity undefined (left out) for an empty generation.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from meow.evaluate.base import FORGET, TOFU_SPLITS, Scored, mean, metric
from meow.registry import Shown

_WORD = re.compile(r"\w+|[^\w\s]")
EMPTY_BRUNET = 1000.0
PPL_LOG_CAP = 690.0  # PPL clamped at e^690 ~ 1e300 (a collapsed model): finite, and so are means of many


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def rep_n(tokens: Sequence[str], n: int = 3) -> float | None:
    """Rep-n = 1 - unique n-grams / all n-grams (None with fewer than n words)."""
    grams = [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    return 1 - len(set(grams)) / len(grams) if grams else None


def brunet_index(tokens: Sequence[str]) -> float:
    """Brunet's index BI = N^(V^-0.165), N words, V distinct words (lower = richer vocabulary)."""
    n, v = len(tokens), len(set(tokens))
    return EMPTY_BRUNET if n == 0 else n ** (v ** -0.165)


def honore_statistic(tokens: Sequence[str]) -> float:
    """Honore's statistic as ReLearn: HS = 100 ln N / (1 - V1/V + 0.1), V1 the words used once (higher = richer)."""
    n = len(tokens)
    if n <= 1:
        return 0.0
    counts = Counter(tokens)
    v1 = sum(1 for c in counts.values() if c == 1)
    return 100 * math.log(n) / (1 - v1 / len(counts) + 0.1)


def linguistic_score(ppl: float, bi: float, hs: float) -> float:
    """LS = harmonic mean of sigmoid(-ln PPL), sigmoid(-ln BI), sigmoid(ln HS), i.e. of 1/(1+PPL), 1/(1+BI), HS/(1+HS)."""
    parts = [1 / (1 + ppl), 1 / (1 + bi), hs / (1 + hs)]
    return 0.0 if min(parts) <= 0 else 3 / sum(1 / p for p in parts)


# ---------------------------------------------------------------- per-question metrics

@metric("rep3", group="fluency", splits=TOFU_SPLITS, label="Rep-3", needs=("generation",))
def _rep3(q: Scored) -> float | None:
    """Rep-3: mean over generations of 1 - unique word trigrams / all word trigrams (generations under 3 words left out)."""
    return rep_n(words(q.generation or ""), 3)


@metric("brunet_index", group="fluency", splits=TOFU_SPLITS, label="Brunet index", needs=("generation",))
def _brunet(q: Scored) -> float:
    """Brunet's index BI = N^(V^-0.165) of each generation, averaged."""
    return brunet_index(words(q.generation or ""))


@metric("honore_statistic", group="fluency", splits=TOFU_SPLITS, label="Honore statistic", needs=("generation",))
def _honore(q: Scored) -> float:
    """Honore's statistic HS = 100 ln N / (1 - V1/V + 0.1) of each generation, averaged."""
    return honore_statistic(words(q.generation or ""))


@metric("generation_ppl", group="fluency", splits=TOFU_SPLITS, label="generation PPL",
        needs=("generation", "fluency_scores"))
def _generation_ppl(q: Scored) -> float | None:
    """Perplexity exp(mean token NLL) of each generation given its question, under the fluency model (clamped at 1e300); averaged."""
    s = q.generation_scores
    if s is None or not s.logprobs.numel():
        return None
    return math.exp(min(s.mean_nll, PPL_LOG_CAP))


@metric("fluency_ls", group="fluency", splits=TOFU_SPLITS, label="fluency LS", per_question=False,
        needs=("generation", "fluency_scores"), show=[Shown(
            "fluency_ls", "fluency LS", "higher",
            "ReLearn's linguistic score of the greedy forget answers: harmonic mean of sigmoid(-ln PPL), "
            "sigmoid(-ln Brunet), sigmoid(ln Honore)", "evals/<name>/summary.json: splits.forget.fluency_ls.value",
            order=130, key=FORGET, short="LS", sweep=True)])
def _fluency_ls(records: list[dict[str, Any]], split: str) -> float | None:
    """ReLearn's LS from the split's mean PPL, BI and HS: harmonic mean of sigmoid(-ln PPL), sigmoid(-ln BI), sigmoid(ln HS)."""
    ppl, bi, hs = (mean([r.get(k) for r in records]) for k in ("generation_ppl", "brunet_index", "honore_statistic"))
    if ppl is None or bi is None or hs is None:
        return None
    return linguistic_score(ppl, bi, hs)
