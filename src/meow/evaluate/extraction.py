"""Memorisation under teacher forcing (docs/method.md section 5): exact memorisation and extraction strength.

Both read `TokenScores.hits` of the answer (hits[t]: argmax_z p(z | q, a_<t) == a_t), so they cost nothing beyond
the split's one `score` call.
"""

from __future__ import annotations

from collections.abc import Sequence

from meow.evaluate.base import FORGET, RETAIN, Scored, metric


def exact_memorisation(hits: Sequence[bool]) -> float:
    """EM = (1/T) sum_t hits_t: share of answer tokens the teacher-forced argmax predicts (MEOW's MA)."""
    return sum(bool(h) for h in hits) / len(hits) if len(hits) else float("nan")


def extraction_k(hits: Sequence[bool]) -> int:
    """Smallest k such that hits[k:] are all true (T if the last token is missed, 0 if every token is hit)."""
    k = len(hits)
    while k > 0 and hits[k - 1]:
        k -= 1
    return k


def extraction_strength(hits: Sequence[bool]) -> float:
    """ES = 1 - k/T, k the earliest answer position from which greedy decoding reproduces the whole rest.

    Why teacher-forced hits suffice: greedy decoding from the prefix q + a_<k emits argmax p(. | q, a_<k) at step k.
    If that equals a_k (hits[k]), the context for step k+1 is q + a_<k+1, exactly the teacher-forced context, and so
    on: by induction greedy decoding reproduces a_k..a_T-1 iff hits[k], ..., hits[T-1] are all true; at the first
    miss it emits a different token. So k = the smallest index with all hits from k onward true (T when the last
    token is missed, ES = 0; 0 when every token is hit, ES = 1). One forward pass replaces T greedy decodes.
    """
    return 1 - extraction_k(hits) / len(hits) if len(hits) else float("nan")


def _broken(q: Scored) -> bool:
    """NaN log-probs: the argmax (and so every hit) is meaningless; the value is reported as not finite."""
    return bool(q.answer.logprobs.isnan().any())


@metric("exact_memorisation", group="memorisation", splits=(FORGET, RETAIN), label="exact memorisation")
def _exact_memorisation(q: Scored) -> float:
    """Exact memorisation: mean share of answer tokens predicted by the teacher-forced argmax."""
    return float("nan") if _broken(q) else exact_memorisation(q.answer.answer_only().hits.tolist())  # no EOS, as open-unlearning


@metric("extraction_strength", group="memorisation", splits=(FORGET, RETAIN), label="extraction strength")
def _extraction_strength(q: Scored) -> float:
    """Extraction strength: mean 1 - k/T, k the earliest answer token from which greedy decoding reproduces the rest."""
    return float("nan") if _broken(q) else extraction_strength(q.answer.answer_only().hits.tolist())  # no EOS, as open-unlearning
