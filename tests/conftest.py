"""Shared, session-scoped tiny fixtures: a small built-in benchmark and a tiny Llama that memorised it.

Built once per test process (about 15 s); tests must not modify them in place (copy the model first).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Two pytest workers share two cores: one torch thread each avoids the thread fight that made tiny-model
# training 10-30x slower when both ran at once.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")

import torch

torch.set_num_threads(1)

TINY_BENCH = {"authors": 10, "qa_per_author": 6, "seed": 0, "background": 6}
TINY_MODEL = {"hidden_size": 64, "layers": 2, "heads": 2, "intermediate_size": 256, "vocab_size": 600}
TINY_TRAIN = {"epochs": 30.0, "lr": 5e-3, "batch_size": 16, "weight_decay": 0.0, "seed": 0}


@pytest.fixture(autouse=True)
def reset_accelerate():
    """accelerate keeps process-wide state; a later Trainer with other settings in the same process needs it reset."""
    yield
    from accelerate.state import AcceleratorState, PartialState

    AcceleratorState._reset_state(True)
    PartialState._reset_state()


@pytest.fixture(scope="session")
def tiny_bench_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from meow.benchmark import make_benchmark

    out = tmp_path_factory.mktemp("bench") / "tiny"
    make_benchmark(out, **TINY_BENCH)
    return out


@pytest.fixture(scope="session")
def tiny_model_dir(tiny_bench_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from meow.modeling.finetune import TrainConfig
    from meow.modeling.tiny import TinyConfig
    from meow.modeling.train import train

    out = tmp_path_factory.mktemp("models") / "target"
    train(str(tiny_bench_dir), "full", str(out), init="tiny", cfg=TrainConfig(**TINY_TRAIN),
          tiny=TinyConfig(**TINY_MODEL))
    return out


@pytest.fixture
def float64():
    """torch's default dtype float64 for one test (its literal tensors and random draws), restored after: tests
    that check a formula against Python's float64 arithmetic compute it in float64 too (tests/tolerances.py)."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(before)


@pytest.fixture(scope="session")
def tiny_lm(tiny_model_dir: Path):
    from meow.modeling import load_lm

    return load_lm(tiny_model_dir)


# ---------------------------------------------------------------- MUSE-format mini benchmark (text)

TINY_MUSE = {"articles": 3, "qa_per_article": 3, "seed": 0}
TINY_MUSE_TRAIN = {"epochs": 60.0, "lr": 5e-3, "batch_size": 4, "weight_decay": 0.0, "seed": 0, "max_length": 256}


@pytest.fixture(scope="session")
def tiny_muse_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from meow.benchmark.muse import make_muse_benchmark

    out = tmp_path_factory.mktemp("muse") / "mini"
    make_muse_benchmark(out, **TINY_MUSE)
    return out


@pytest.fixture(scope="session")
def tiny_muse_model_dir(tiny_muse_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny Llama trained on the mini benchmark's forget + retain1 + retain2 articles (loss on every token)."""
    import json

    from meow.modeling.finetune import TrainConfig
    from meow.modeling.tiny import TinyConfig
    from meow.modeling.train import train

    root = tmp_path_factory.mktemp("muse_models")
    texts = [t for s in ("forget", "retain1", "retain2")
             for t in json.loads((tiny_muse_dir / "raw" / f"{s}.json").read_text())]
    (root / "train.json").write_text(json.dumps(texts))
    train(str(root / "train.json"), None, str(root / "target"), init="tiny", cfg=TrainConfig(**TINY_MUSE_TRAIN),
          tiny=TinyConfig(**TINY_MODEL))
    return root / "target"


# ---------------------------------------------------------------- real tokenizers (scripts/fetch_fixtures.py)

from realtok import FIXTURES, REAL_TOKENIZERS, real_model_dir, real_tokenizer_dir  # noqa: E402, F401  (importable: `from realtok import ...`)


@pytest.fixture(scope="session")
def smollm2_dir() -> Path:
    """The real SmolLM2-135M-Instruct folder (converted once by scripts/fetch_fixtures.py); read-only."""
    return real_model_dir("smollm2-135m-instruct")


@pytest.fixture(scope="session")
def smollm2_lm(smollm2_dir: Path):
    """SmolLM2-135M-Instruct loaded by meow (float32, eval mode); tests must not modify it."""
    from meow.modeling import load_lm

    return load_lm(smollm2_dir)


@pytest.fixture(scope="session")
def family_model_dir(tmp_path_factory: pytest.TempPathFactory):
    """`family_model_dir(name)`: folder of a random-initialised model of `meow.modeling.families.FAMILIES[name]`
    around its real tokenizer, a plain HF folder like a hub checkpoint (no meow.json). Built once per session;
    skips (fails in CI) when the tokenizer fixture is missing. Tests must not modify it in place."""
    built: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in built:
            from meow.modeling.families import FAMILIES, family_model

            real_tokenizer_dir(FAMILIES[name].tokenizer)
            built[name] = family_model(name, FIXTURES, tmp_path_factory.mktemp("families") / name)
        return built[name]

    return get
