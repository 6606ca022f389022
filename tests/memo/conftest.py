"""Local fixtures for the memorisation metrics: records with inverted answers, and plain one-at-a-time greedy."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch

from meow.data import load_records


@pytest.fixture(scope="session")
def memo_records(tiny_bench_dir) -> list[dict]:
    """Forget-set records the tiny model memorised, with 3 of their perturbed answers as inverted answers."""
    recs = load_records(tiny_bench_dir, "forget10")
    return [dict(r, inverted_answers=r["perturbed_answer"][:3], extra={"kept": i}) for i, r in enumerate(recs)]


@pytest.fixture(scope="session")
def greedy_one() -> Callable:
    """Greedy continuation of one prompt, no padding, straight from `model.generate` (text after the prompt)."""

    @torch.no_grad()
    def run(lm, prompt: str, max_new_tokens: int) -> str:
        tok = lm.tokenizer
        ids = torch.tensor([tok(prompt)["input_ids"]])
        out = lm.model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=max_new_tokens,
                                do_sample=False, temperature=None, top_p=None, top_k=None,
                                eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
        return tok.decode(out[0, ids.shape[1]:], skip_special_tokens=True).strip()

    return run
