"""The known-facts probe on the real SmolLM2-135M-Instruct (the `smollm2_lm` fixture of tests/conftest.py: skips
locally, fails in CI where scripts/fetch_fixtures.py did not convert it): what it answers right is kept, what it
gets wrong is not."""

from __future__ import annotations

import pytest

from meow.benchmark.known_facts import load_bank, probe

pytestmark = pytest.mark.slow

# greedy answers seen on this model: right for the capitals, John F. Kennedy for the first US president
RIGHT = ("What is the capital of France?", "What is the capital of Japan?", "What is the capital of Germany?")
WRONG = ("Who was the first President of the United States?",)


def test_probe_on_the_real_model(smollm2_lm):
    lm = smollm2_lm  # the chat prompt format, from the folder's meow.json
    facts = [f for f in load_bank() if f.question in RIGHT + WRONG]
    assert len(facts) == 4
    rows = probe(lm, facts, max_new_tokens=14, batch_size=4, progress=False)
    known = {r["question"]: r["known"] for r in rows}
    assert all(known[q] for q in RIGHT), rows
    assert not any(known[q] for q in WRONG), rows
