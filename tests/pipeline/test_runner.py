"""meow.demo.runner: stages reused by key, re-run when the key or an output changes, run-level facts in the manifest."""

from __future__ import annotations

import json

from rich.console import Console

from meow.demo.runner import Runner, Stage, is_run_folder, key


def test_stages_are_reused_by_key_and_outputs(tmp_path):
    calls = []

    def make(name):
        def run():
            calls.append(name)
            (tmp_path / f"{name}.txt").write_text(name)
        return run

    quiet = Console(quiet=True)
    first = Runner(tmp_path, False, quiet)
    k = first(Stage("a", key("a", 1), [tmp_path / "a.txt"], make("a")))
    assert k == key("a", 1) and first.stage_key("a") == k and is_run_folder(tmp_path)
    again = Runner(tmp_path, False, quiet)  # a second run reads manifest.json
    again(Stage("a", key("a", 1), [tmp_path / "a.txt"], make("a")))
    assert calls == ["a"] and again.timings[0][2] is True  # reused
    again(Stage("a", key("a", 2), [tmp_path / "a.txt"], make("a")))  # an option changed
    (tmp_path / "a.txt").unlink()
    again(Stage("a", key("a", 2), [tmp_path / "a.txt"], make("a")))  # an output is gone
    Runner(tmp_path, True, quiet)(Stage("a", key("a", 2), [tmp_path / "a.txt"], make("a")))  # --force
    assert calls == ["a"] * 4


def test_note_records_run_facts_next_to_the_stages(tmp_path):
    runner = Runner(tmp_path, False, Console(quiet=True))
    runner(Stage("s", key("s"), [], lambda: None))
    runner.note(methods=["ga"], benchmark="muse")
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["methods"] == ["ga"] and manifest["benchmark"] == "muse" and "s" in manifest["stages"]
    assert Runner(tmp_path, False, Console(quiet=True)).manifest == manifest == runner.manifest
