"""Real tokenizers fetched by `scripts/fetch_fixtures.py` (importable from any test: `from realtok import ...`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / ".fixtures" / "tokenizers"
REAL_TOKENIZERS = ("llama2", "llama3", "qwen3", "gemma3")


def real_tokenizer_dir(name: str) -> Path:
    """Folder of a real tokenizer fetched by `scripts/fetch_fixtures.py`.

    Missing: in CI (CI=true) the test fails, since .ci/run fetches them; locally it skips with one line.
    """
    folder = FIXTURES / name
    if not (folder / "tokenizer.json").is_file():
        msg = f"real tokenizer fixture {name!r} missing: run `python scripts/fetch_fixtures.py`"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(msg)
        pytest.skip(msg)
    return folder
