"""Fixtures of the attack tests: the forget records, and a never-trained model standing in for the retain model."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def forget_records(tiny_bench_dir: Path) -> list[dict]:
    from meow.data import load_file

    return load_file(tiny_bench_dir / "forget10_perturbed.json")


@pytest.fixture(scope="session")
def blank_lm(tiny_lm):
    """The tiny model's architecture and tokenizer with fresh random weights: it never saw any fact."""
    import torch
    from transformers import LlamaForCausalLM

    from meow.modeling import LM

    torch.manual_seed(1)
    model = LlamaForCausalLM(tiny_lm.model.config).eval()
    return LM(model, tiny_lm.tokenizer, tiny_lm.fmt, {}, "blank")
