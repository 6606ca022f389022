"""Key-fact matching shared by the benchmarks (which probe a model with it) and the evaluation (which scores
with it): a fact is stated when its words occur, in order and whole, in the answer (docs/method.md)."""

from __future__ import annotations

import unicodedata


def normalise_words(text: str) -> list[str]:
    """Lowercase, split on whitespace, strip punctuation at each word's edges, drop words left empty."""
    out = []
    for word in text.lower().split():
        start, end = 0, len(word)
        while start < end and unicodedata.category(word[start]).startswith("P"):
            start += 1
        while end > start and unicodedata.category(word[end - 1]).startswith("P"):
            end -= 1
        if start < end:
            out.append(word[start:end])
    return out


def states_fact(generation: str, fact: str) -> bool:
    """Key-fact hit: the normalised fact occurs as a run of whole words in the normalised generation."""
    gen, key = normalise_words(generation), normalise_words(fact)
    if not key:
        return False
    n = len(key)
    return any(gen[i : i + n] == key for i in range(len(gen) - n + 1))
