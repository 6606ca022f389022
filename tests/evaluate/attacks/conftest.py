"""Fixtures of the attack tests: the forget records, and a never-trained model standing in for the retain model."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny models gain nothing from intra-op threads; on a busy 2-core machine threads fight."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def reset_accelerate():
    """accelerate keeps process-wide state; a later Trainer with other settings needs it reset."""
    yield
    from accelerate.state import AcceleratorState, PartialState

    AcceleratorState._reset_state(True)
    PartialState._reset_state()


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
