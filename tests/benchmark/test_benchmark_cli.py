"""`meow benchmark make` through the CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

from meow.cli import main


def test_make_writes_files_and_prints_a_summary(tmp_path: Path, capsys):
    out = tmp_path / "bench"
    assert main(["benchmark", "make", str(out), "--authors", "20", "--qa-per-author", "3", "--background", "4"]) == 0
    printed = capsys.readouterr().out
    manifest = json.loads((out / "benchmark.json").read_text())
    assert manifest["splits"]["full"] == 20 * 3 + 8
    for name, count in manifest["splits"].items():
        assert name in printed and len((out / f"{name}.json").read_text().splitlines()) == count
    assert "forget01" not in manifest["splits"]


def test_conflicting_rerun_needs_force(tmp_path: Path, capsys):
    args = ["benchmark", "make", str(tmp_path), "--authors", "10", "--qa-per-author", "2", "--background", "2"]
    assert main(args) == 0
    before = (tmp_path / "full.json").read_bytes()
    assert main(args) == 0
    assert (tmp_path / "full.json").read_bytes() == before
    capsys.readouterr()
    assert main([*args, "--seed", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("meow benchmark: error: ") and "--force" in err and "\n" not in err
    assert (tmp_path / "full.json").read_bytes() == before
    assert main([*args, "--seed", "1", "--force"]) == 0
    assert (tmp_path / "full.json").read_bytes() != before


def test_bad_options_and_missing_subcommand(tmp_path: Path, capsys):
    assert main(["benchmark", "make", str(tmp_path), "--authors", "15"]) == 2
    err = capsys.readouterr().err
    assert "--authors 15" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "benchmark.json").exists()
    assert main(["benchmark"]) == 2
    assert "make" in capsys.readouterr().out
