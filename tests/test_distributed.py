"""meow.distributed: under a launcher, data-parallel commands run on every process, the others on the main one
alone, as a single process."""

from __future__ import annotations

import os

import pytest

from meow.cli import main
from meow.distributed import LAUNCHER_VARIABLES, engine, runs_here


@pytest.fixture
def launched(monkeypatch):
    """The environment torchrun / accelerate give process `rank` of 2 under FSDP."""
    def set_rank(rank: int) -> None:
        for k, v in {"RANK": rank, "LOCAL_RANK": rank, "WORLD_SIZE": 2, "LOCAL_WORLD_SIZE": 2,
                     "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": 29500, "ACCELERATE_USE_FSDP": "true"}.items():
            monkeypatch.setenv(k, str(v))
    return set_rank


def test_parallel_commands_run_everywhere(launched):
    launched(1)
    assert engine() == "fsdp"
    assert runs_here("unlearn") and runs_here("train")
    assert os.environ["WORLD_SIZE"] == "2"  # untouched: the Trainer needs it


def test_other_commands_run_on_the_main_process_alone(launched, tmp_path, capsys):
    launched(1)
    assert not runs_here("eval")
    assert main(["eval", "--model", str(tmp_path / "missing"), "--out", str(tmp_path / "o")]) == 0  # returns at once
    assert not (tmp_path / "o").exists()
    launched(0)
    assert runs_here("eval")
    assert not any(k in os.environ for k in LAUNCHER_VARIABLES)  # a plain single process from here on
    assert os.environ["ACCELERATE_USE_FSDP"] == "false" and engine() == "single"


def test_not_launched(monkeypatch):
    for k in LAUNCHER_VARIABLES:
        monkeypatch.delenv(k, raising=False)
    assert runs_here("eval") and runs_here("unlearn") and engine() == "single"
