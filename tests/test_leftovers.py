"""Refusals that come late (after a model is loaded) and Ctrl-C leave nothing behind and say what was kept; outputs
never go inside an input folder nor onto a cache; sweep grids refuse what they cannot run as asked.

The unlearn cases load the tiny model (a second each); the rest refuse before any model is loaded.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_robustness import RECORDS, model_dir, one_parser, snapshot  # noqa: F401  (fixtures)

from meow.cli import main
from meow.errors import MeowError
from meow.sweep.grid import check_size, parse_grid, parse_set, run_count


def _hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def _unlearn(tiny_model_dir, forget, out, *extra):
    return ["unlearn", "--model", str(tiny_model_dir), "--forget", str(forget), "--out", str(out), "--epochs", "1",
            *extra]


@pytest.fixture
def forget(tmp_path, tiny_bench_dir):
    path = tmp_path / "forget.json"
    path.write_text((Path(tiny_bench_dir) / "forget10.json").read_text())
    return path


@pytest.mark.parametrize("extra, words", [
    (["--method", "ga", "--lora-r", "4", "--lora-target-modules", "no_such_proj"], "no_such_proj"),
    (["--method", "rmu", "--layer", r"model\.layers\.0", "--trainable", r"nothing\.matches", "--retain",
      "{forget}"], "trainable"),
    (["--method", "ga", "--eval-every", "1", "--best-metric", "forget_quality", "--retain-eval", "{bad_eval}"],
     "bad_eval"),
], ids=["lora-target-modules", "rmu-trainable", "retain-eval-wrong-kind"])
def test_late_refusal_leaves_no_staging_folder(extra, words, tmp_path, forget, tiny_model_dir, capsys):
    (tmp_path / "bad_eval").mkdir()
    (tmp_path / "bad_eval" / "eval.json").write_text('{"splits": {"forget": 3}}')
    extra = [{"{forget}": str(forget), "{bad_eval}": str(tmp_path / "bad_eval")}.get(a, a) for a in extra]
    runs = tmp_path / "runs"
    runs.mkdir()
    before = snapshot(tmp_path, Path(tiny_model_dir))
    assert main(_unlearn(tiny_model_dir, forget, runs / "out", *extra)) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and words in err and "Traceback" not in err, err
    assert list(runs.iterdir()) == []  # no OUT, no .OUT.partial, no .OUT.partial.trainer
    assert snapshot(tmp_path, Path(tiny_model_dir)) == before


def test_ctrl_c_during_unlearn_keeps_nothing_and_says_so(tmp_path, forget, tiny_model_dir, capsys, monkeypatch):
    from meow.unlearn import trainer

    def interrupted(self, *a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(trainer.UnlearnTrainer, "train", interrupted)
    runs = tmp_path / "runs"
    runs.mkdir()
    assert main(_unlearn(tiny_model_dir, forget, runs / "out", "--method", "ga")) == 130
    err = capsys.readouterr().err.strip()
    assert "nothing was kept" in err and "resumes" not in err and str(runs / "out") in err, err
    assert list(runs.iterdir()) == []


def test_an_existing_output_survives_ctrl_c(tmp_path, forget, tiny_model_dir, capsys, monkeypatch):
    """--force replaces OUT only when the new one is complete: interrupted, the old OUT is as it was."""
    from meow.unlearn import trainer

    monkeypatch.setattr(trainer.UnlearnTrainer, "train", lambda self, *a, **k: (_ for _ in ()).throw(KeyboardInterrupt))
    out = tmp_path / "runs" / "out"
    out.mkdir(parents=True)
    (out / "mine.txt").write_text("keep")
    assert main(_unlearn(tiny_model_dir, forget, out, "--method", "ga", "--force")) == 130
    assert "nothing was kept" in capsys.readouterr().err
    assert sorted(p.name for p in out.parent.iterdir()) == ["out"] and (out / "mine.txt").read_text() == "keep"


# ---------------------------------------------------------------- outputs inside inputs, caches


@pytest.mark.parametrize("argv", [
    ["unlearn", "--model", "{model}", "--forget", "{recs}", "--method", "ga", "--out", "{model}/sub"],
    ["memo", "--model", "{model}", "--forget", "{recs}", "--out", "{model}/memo.json"],
    ["memo", "--model", "{model}", "--forget", "{recs}", "--out", "{model}/memo.json", "--force"],
    ["eval", "--model", "{model}", "--data", "{bench}", "--out", "{bench}/eval"],
    ["invert", "--forget", "{recs}", "--backend", "rules", "--out", "{ws}/inv.json", "--cache", "{ws}/inv.json"],
    ["invert", "--forget", "{recs}", "--backend", "rules", "--out", "{ws}/inv.json", "--cache",
     "{ws}/inv.summary.json"],
    ["invert", "--forget", "{recs}", "--backend", "rules", "--out", "{ws}/inv.json", "--cache", "{recs}"],
], ids=["unlearn-in-model", "memo-in-model", "memo-in-model-force", "eval-in-bench", "cache-is-out",
        "cache-is-side-file", "cache-is-input"])
def test_output_inside_an_input_or_on_a_cache_is_refused(argv, tmp_path, model_dir, tiny_bench_dir, capsys):  # noqa: F811
    (tmp_path / "recs.json").write_text(json.dumps(RECORDS))
    subs = {"{model}": str(model_dir), "{recs}": str(tmp_path / "recs.json"), "{bench}": str(tiny_bench_dir),
            "{ws}": str(tmp_path)}
    args = []
    for a in argv:
        for k, v in subs.items():
            a = a.replace(k, v)
        args.append(a)
    roots = [tmp_path, Path(model_dir), Path(tiny_bench_dir)]
    before = snapshot(*roots)
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and ("inside the input folder" in err or "--cache" in err), err
    assert snapshot(*roots) == before


def test_invert_cache_beside_the_output_still_resumes(tmp_path, capsys):
    (tmp_path / "recs.json").write_text(json.dumps(RECORDS))
    argv = ["invert", "--forget", str(tmp_path / "recs.json"), "--backend", "rules", "--out", str(tmp_path / "inv.json"),
            "--no-progress"]
    assert main(argv) == 0 and main([*argv, "--force"]) == 0  # the default cache is no input, no output


# ---------------------------------------------------------------- sweep grids


def test_grid_rules():
    assert parse_grid([" lr = 1e-4 , 3e-4 ", "epochs=5"]) == {"lr": [1e-4, 3e-4], "epochs": [5]}  # spaces ignored
    for bad, words in ((["lr=1e-4,,2e-4"], "value 2 of 3 is empty"), (["lr=1e-4,"], "value 2 of 2 is empty"),
                       (["seed=1,2"], "--seeds")):
        with pytest.raises(MeowError, match=words):
            parse_grid(bad)
    with pytest.raises(MeowError, match=r"^--set .lr.: expected KEY=VALUE"):
        parse_set(["lr"])
    with pytest.raises(MeowError, match=r"^--set lr=\.\.\.: expected one value, got 2"):
        parse_set(["lr=1e-4,2e-4"])
    assert parse_set(["seed=3"]) == {"seed": 3}  # the base seed is an option like any other
    grid = {"lr": list(range(1000)), "epochs": list(range(1000))}
    assert run_count(grid, 100) == 100_000_000
    with pytest.raises(MeowError, match=r"1000 lr x 1000 epochs x 100 seed\(s\) = 100000000 runs, above "
                                        r"--max-runs 100; pass --max-runs 100000000"):
        check_size(grid, 100, 100)
    check_size(grid, 100, 100_000_000)  # allowed when asked for
    with pytest.raises(MeowError, match="seed is not a grid axis"):
        check_size({"seed": [1, 2]}, 1, None)  # the Python API too (run_sweep)


def test_huge_sweep_is_refused_before_anything_is_written(tmp_path, model_dir, tiny_bench_dir, capsys):  # noqa: F811
    (tmp_path / "recs.json").write_text(json.dumps(RECORDS))
    (tmp_path / "retain").mkdir()
    values = ",".join(f"{i + 1}e-5" for i in range(1000))
    argv = ["sweep", "--method", "ga", "--model", str(model_dir), "--forget", str(tmp_path / "recs.json"),
            "--data", str(tiny_bench_dir), "--retain-eval", str(tmp_path / "retain"), "--out", str(tmp_path / "out"),
            "--grid", f"lr={values}", "--grid", f"epochs={','.join(str(i + 1) for i in range(1000))}",
            "--seeds", "100"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "100000000 runs" in err and "--max-runs" in err, err
    assert not (tmp_path / "out").exists()


def test_ctrl_c_elsewhere_promises_a_resume_only_where_one_exists(tmp_path, monkeypatch, capsys):
    from meow import cli as cli_module
    from meow.evaluate.logs import commands

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(commands, "summarize_logs", interrupted)
    (tmp_path / "logs").mkdir()
    assert main(["summarize", str(tmp_path / "logs"), "--out", str(tmp_path / "out")]) == 130
    err = capsys.readouterr().err
    assert "nothing was left" in err and "resumes" not in err and not (tmp_path / "out").exists(), err
    assert {"demo", "sweep", "invert"} == cli_module.RESUMING  # the commands whose re-run reuses finished work
