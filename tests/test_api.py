"""docs/api.md's worked example runs as it is, and the top-level names resolve to the stage functions."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "api.md"


def test_top_level_names_are_the_stage_functions():
    import meow
    from meow.evaluate import evaluate
    from meow.sweep.api import run_sweep
    from meow.unlearn.run import unlearn

    assert meow.unlearn_model is unlearn and meow.evaluate_model is evaluate and meow.run_sweep is run_sweep
    for name in meow.__all__:
        assert getattr(meow, name) is not None, name
    with pytest.raises(AttributeError):
        meow.no_such_stage  # noqa: B018


def test_import_meow_stays_light():
    code = "import sys, meow; print('torch' in sys.modules, 'transformers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(DOC.parents[1] / "src")}).stdout.split()
    assert out == ["False", "False"]


def test_worked_example_runs(tmp_path, monkeypatch, capsys):
    block = re.search(r"## Worked example.*?```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S).group(1)
    monkeypatch.chdir(tmp_path)
    exec(compile(block, str(DOC), "exec"), {"__name__": "api_example"})
    work = tmp_path / "notebook-run"
    for f in ("report/report.html", "sweep/frontier.png", "sweep/table.md", "meow_gd/train_log.jsonl",
              "target/train_log.jsonl", "evals/meow_gd/summary.json"):
        assert (work / f).is_file(), f
    printed = capsys.readouterr().out
    assert "forget quality" in printed and "epochs=2" in printed
