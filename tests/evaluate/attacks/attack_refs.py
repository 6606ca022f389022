"""Plain references for the attack tests: one-row greedy decoding by hand and a regex key-fact check."""

from __future__ import annotations

import re

from reference import greedy

ref_generate = greedy

def ref_states(text: str, fact: str) -> bool:
    """The fact, case-folded, as a run of whole words of the text."""
    text, fact = " ".join(text.lower().split()), " ".join(fact.lower().split())
    return re.search(r"(?<!\w)" + re.escape(fact) + r"(?!\w)", text) is not None


def ref_mean(values: list) -> float:
    values = [float(v) for v in values]
    return sum(values) / len(values)
