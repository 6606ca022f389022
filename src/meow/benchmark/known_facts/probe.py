"""Probe the model on the bank: one batched greedy `generate` call over every question; a fact is known when the
answer states its key fact (or an accepted variant) as a run of whole words (`meow.evaluate.tofu.states_fact`).

RWKU keeps only what the target model knows in the same spirit (its forget targets are chosen among entities the
model can talk about); here the filter is per question and explicit, and every answer is written down
(`probe_answers.json`) so the choice can be checked and a second `make` with the same model reuses it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from meow.benchmark.known_facts.bank import Fact

MAX_NEW_TOKENS = 24  # the key fact of a short factual answer comes in its first sentence (measured on SmolLM2)


def states_any(generation: str, keys: Sequence[str]) -> bool:
    """True when the generation states one of the accepted spans as whole words."""
    from meow.evaluate.tofu import states_fact

    return any(states_fact(generation, k) for k in keys)


def bank_digest(facts: Sequence[Fact]) -> str:
    """SHA-256 of the questions and accepted spans: a probe made on another bank is not reused."""
    text = json.dumps([[f.id, f.question, f.keys] for f in facts], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def probe(lm: Any, facts: Sequence[Fact], max_new_tokens: int = MAX_NEW_TOKENS, batch_size: int = 32,
          progress: bool = True) -> list[dict[str, Any]]:
    """[{"id", "entity", "question", "generation", "known"}] in bank order (greedy, the model's prompt format)."""
    from meow.modeling import generate

    prompts = lm.prompts([f.question for f in facts])
    gens = generate(lm, prompts, max_new_tokens=max_new_tokens, batch_size=batch_size,
                    desc="probing the bank" if progress else None)
    return [{"id": f.id, "entity": f.entity, "question": f.question, "generation": g, "known": states_any(g, f.keys)}
            for f, g in zip(facts, gens)]
