"""Fixtures of the inversion tests."""

from __future__ import annotations

import pytest
from invert_fake_llm import FakeLLM


@pytest.fixture
def fake_llm():
    """A scripted OpenAI-compatible server on 127.0.0.1 (random port), shut down after the test."""
    server = FakeLLM()
    yield server
    server.close()
