"""Quiet training output: the Trainer's loss dicts go to train_log.jsonl only, `--verbose` prints them too."""

from __future__ import annotations

import json

import pytest

from meow.cli import main

TRAIN = ["--init", "tiny", "--split", "full", "--epochs", "2", "--batch-size", "16", "--check", "0",
         "--hidden-size", "32", "--layers", "1", "--heads", "2", "--intermediate-size", "64", "--vocab-size", "300"]


@pytest.fixture(autouse=True)
def not_verbose(monkeypatch):
    monkeypatch.delenv("MEOW_VERBOSE", raising=False)


@pytest.mark.parametrize("verbose", [False, True])
def test_train_logs_to_file_and_prints_only_with_verbose(tiny_bench_dir, tmp_path, capfd, verbose):
    out = tmp_path / "model"
    argv = ["train", "--data", str(tiny_bench_dir), "--out", str(out), *TRAIN, *(["--verbose"] if verbose else [])]
    assert main(argv) == 0
    printed = capfd.readouterr()
    logs = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
    assert any("loss" in r for r in logs) and any("train_runtime" in r for r in logs)
    shown = "'loss'" in printed.out + printed.err
    assert shown == verbose
    assert "saved" in printed.err  # the one-line result


def test_trainer_bar_counts_steps_and_writes_logs(tmp_path):
    from types import SimpleNamespace

    from meow.progress import TrainerBar

    bar = TrainerBar("t", tmp_path / "log.jsonl", show=False, print_logs=False)
    state = SimpleNamespace(is_world_process_zero=True, global_step=3, epoch=1.0, max_steps=6)
    bar.on_train_begin(None, state, None)
    bar.on_log(None, state, None, logs={"loss": 0.5})
    bar.on_train_end(None, state, None)
    assert json.loads((tmp_path / "log.jsonl").read_text()) == {"step": 3, "epoch": 1.0, "loss": 0.5}
