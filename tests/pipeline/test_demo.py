"""`meow demo` end to end on a very small benchmark: files, reuse of finished stages, resume after an interruption."""

from __future__ import annotations

import json

import pytest
from rich.console import Console

from meow.demo import DemoConfig, run_demo

SMALL = {"authors": 10, "qa_per_author": 3, "background": 3, "hidden_size": 32, "layers": 1, "train_epochs": 8.0,
         "methods": ["meow", "ga"], "attacks": ["paraphrase"], "unlearn_epochs": 1.0, "eval_max_new_tokens": 16,
         "memo_max_new_tokens": 16, "threads": 1}


def quiet() -> Console:
    return Console(quiet=True)


def reused(result: dict) -> dict[str, bool]:
    return {name: was_reused for name, _, was_reused in result["timings"]}


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("demo") / "run"
    return run, run_demo(run, DemoConfig(**SMALL), console=quiet())


def test_demo_writes_every_stage_output(first_run):
    run, result = first_run
    for path in ["data/forget10.json", "models/target/meow.json", "models/retain/config.json",
                 "evals/target/summary.json", "evals/retain/eval.json", "inverted/forget.json", "memo/forget.json",
                 "models/meow/unlearn_config.yaml", "evals/meow/summary.json", "evals/ga/memo.json",
                 "attacks/meow/paraphrase/summary.json", "nlg/ga/nlg.json", "report/report.html", "config.yaml", "manifest.json"]:
        assert (run / path).exists(), path
    assert not any(reused(result).values())
    summary = json.loads((run / "evals/meow/summary.json").read_text())
    assert summary["retain_model"] is not None and summary["forget_quality"]["value"] is not None


def test_second_run_reuses_every_stage(first_run):
    run, _ = first_run
    again = run_demo(run, DemoConfig(**SMALL), console=quiet())
    stages = {k: v for k, v in reused(again).items() if k != "report"}
    assert stages and all(stages.values())


def test_changed_option_reruns_only_downstream(first_run, tmp_path):
    import shutil

    run, _ = first_run
    copy = tmp_path / "copy"
    shutil.copytree(run, copy)
    changed = run_demo(copy, DemoConfig(**{**SMALL, "unlearn_epochs": 2.0}), console=quiet())
    flags = reused(changed)
    assert flags["train target (full)"] and flags["memo (target)"] and flags["eval retain"]
    assert not flags["unlearn meow"] and not flags["eval meow"] and not flags["attack paraphrase ga"]


def test_interrupted_run_continues_where_it_stopped(first_run, tmp_path, monkeypatch):
    import shutil

    import meow.unlearn

    run, _ = first_run
    copy = tmp_path / "interrupted"
    shutil.copytree(run, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    for name in ["unlearn ga", "eval ga", "memo ga", "attack paraphrase ga"]:
        manifest["stages"].pop(name)  # as if the run had stopped before these
    (copy / "manifest.json").write_text(json.dumps(manifest))
    real = meow.unlearn.unlearn
    calls = []

    def counting(*args, **kwargs):
        calls.append(kwargs.get("console"))
        return real(*args, **kwargs)

    monkeypatch.setattr(meow.unlearn, "unlearn", counting)
    result = run_demo(copy, DemoConfig(**SMALL), console=quiet())
    flags = reused(result)
    assert len(calls) == 1  # only ga is unlearned again
    assert flags["unlearn meow"] and not flags["unlearn ga"] and not flags["attack paraphrase ga"]


def test_unknown_method_is_one_line_error(tmp_path):
    from meow.errors import MeowError

    with pytest.raises(MeowError, match="unknown method"):
        run_demo(tmp_path / "x", DemoConfig(**{**SMALL, "methods": ["nope"]}), console=quiet())
