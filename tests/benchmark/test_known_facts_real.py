"""The known-facts probe on the real SmolLM2-135M-Instruct (skipped where the converted folder is missing): what
it answers right is kept, what it gets wrong is not. Set MEOW_REAL_MODEL to a converted folder elsewhere."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from meow.benchmark.known_facts import load_bank, probe

MODEL = Path(os.environ.get("MEOW_REAL_MODEL", "/work/models/smollm2-135m-instruct"))
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not (MODEL / "config.json").is_file(), reason=f"no converted real model at {MODEL}")]

# greedy answers seen on this model: right for the capitals, John F. Kennedy for the first US president
RIGHT = ("What is the capital of France?", "What is the capital of Japan?", "What is the capital of Germany?")
WRONG = ("Who was the first President of the United States?",)


def test_probe_on_the_real_model():
    from meow.modeling import PromptFormat, load_lm

    lm = load_lm(MODEL, fmt=PromptFormat(kind="chat"))
    facts = [f for f in load_bank() if f.question in RIGHT + WRONG]
    assert len(facts) == 4
    rows = probe(lm, facts, max_new_tokens=14, batch_size=4, progress=False)
    known = {r["question"]: r["known"] for r in rows}
    assert all(known[q] for q in RIGHT), rows
    assert not any(known[q] for q in WRONG), rows
