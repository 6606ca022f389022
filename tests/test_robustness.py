"""Every CLI command over one shared set of bad inputs: exit 2, one line on stderr, no traceback, nothing touched.

Each command is one row of COMMANDS: an argument template whose placeholders name the shared files (see
`workspace`), the kind of its output ("dir" / "file"), the placeholders of its inputs, and its own bad values.
From each row come the same cases for every command:

    out-file / out-dir   --out names an existing file / non-empty folder (wrong kind, or exists without --force)
    out-is-INPUT         --out names one of the command's inputs, with and without --force
    out-inside-INPUT     --out lies inside an input folder (model, benchmark, evaluation, MUSE data), with --force
    malformed-TOKEN      an input replaced by a malformed file (MALFORMED of the row)
    bad-N                the row's bad values (ranges, choices, devices, URLs ...), one at a time

and for every case: exit code 2, exactly one line on stderr starting with `meow`, no traceback, every file that
existed before (workspace, tiny benchmark, model folder) byte-identical afterwards, and no output left behind.
All checks happen before any model is loaded, so the cases run in-process in milliseconds.

A new command is one more row in COMMANDS.
"""

from __future__ import annotations

import functools
import hashlib
import json
import shutil
from pathlib import Path

import pytest

from meow import cli
from meow.cli import main

_build_parser = cli.build_parser


@functools.cache
def _parser():
    return _build_parser()


@pytest.fixture(autouse=True)
def one_parser(monkeypatch):
    """Build the argparse tree once for the module (about 0.1 s each time); parsing does not change it."""
    monkeypatch.setattr(cli, "build_parser", _parser)


# name -> (argv template, output kind, input placeholders, {placeholder: malformed placeholder}, bad values)
COMMANDS: dict[str, tuple[list[str], str, list[str], dict[str, str], list[list[str]]]] = {
    "benchmark make": (["benchmark", "make", "{out}", "--authors", "20", "--qa-per-author", "2"], "dir", [], {},
                       [["--authors", "7"], ["--qa-per-author", "21"], ["--seed", "-1"], ["--authors", "x"]]),
    "train tiny": (["train", "--data", "{bench}", "--split", "full", "--init", "tiny", "--out", "{out}", "--check", "0"],
                   "dir", ["{bench}"], {"{bench}": "{bad}"},
                   [["--lr", "-0.1"], ["--batch-size", "0"], ["--batch-size", "-4"], ["--grad-accum", "0"],
                    ["--max-length", "0"], ["--scheduler", "bogus"], ["--heads", "3", "--hidden-size", "32"],
                    ["--epochs", "nan"], ["--epochs", "-1"], ["--epochs", "0"], ["--epochs", "inf"],
                    ["--precision", "fp64"], ["--warmup-ratio", "2"], ["--vocab-size", "10"], ["--check", "-1"],
                    ["--config", "{yaml_bad}"], ["--config", "{yaml_range}"]]),
    "train model": (["train", "--model", "{model}", "--data", "{recs}", "--out", "{out}", "--check", "0"], "dir",
                    ["{model}", "{recs}"], {"{recs}": "{bad}"}, [["--lr", "nan"], ["--seed", "-3"]]),
    "invert": (["invert", "--forget", "{recs}", "--out", "{outfile}", "--backend", "rules", "--no-progress"], "file",
               ["{recs}"], {"{recs}": "{bad}"},
               [["--n", "0"], ["--max-asks", "0"], ["--backend", "openai", "--model", "m", "--base-url", "notaurl"],
                ["--backend", "openai", "--model", "m", "--api-key-env", "sk-abcdefghijklmnop1234"],
                ["--backend", "openai", "--model", "m", "--timeout", "0"],
                ["--backend", "openai", "--model", "m", "--temperature", "nan"],
                ["--backend", "openai", "--model", "m", "--concurrency", "0"],
                ["--backend", "hf", "--model", "{model}", "--device", "cuda:7"], ["--backend", "nope"],
                ["--config", "{yaml_bad}"], ["--cache", "{outfile}"], ["--cache", "{recs}"]]),
    "memo": (["memo", "--model", "{model}", "--forget", "{inv}", "--out", "{outfile}"], "file", ["{inv}", "{model}"],
             {"{inv}": "{bad}"},
             [["--device", "cuda:7"], ["--device", "toaster"], ["--stride", "0"], ["--mode", "middle"],
              ["--batch-size", "0"], ["--max-new-tokens", "-1"], ["--dtype", "float8"], ["--metric", "bleu"]]),
    "unlearn": (["unlearn", "--model", "{model}", "--forget", "{inv}", "--out", "{out}", "--method", "ga"], "dir",
                ["{model}", "{inv}"], {"{inv}": "{bad}"},
                [["--lr", "-1"], ["--scheduler", "bad"], ["--epochs", "0"], ["--epochs", "nan"], ["--batch-size", "0"],
                 ["--lora-dropout", "1"], ["--select", "median"], ["--top-k", "0"], ["--ref-device", "cuda:7"],
                 ["--method", "npo", "--beta", "0"], ["--retain-weight", "-1", "--method", "gd"],
                 ["--config", "{yaml_bad}"], ["--config", "{yaml_range}"]]),
    "eval": (["eval", "--model", "{model}", "--data", "{bench}", "--forget-split", "forget10", "--out", "{out}"],
             "dir", ["{model}", "{bench}"], {"{bench}": "{bad}"},
             [["--max-new-tokens", "0"], ["--batch-size", "0"], ["--min-k", "0"], ["--min-k", "2"],
              ["--device", "cuda:7"], ["--dtype", "x"], ["--retain-eval", "{bad_eval}"],
              ["--retain-eval", "{nothing}"], ["--forget", "{bad}"], ["--config", "{yaml_bad}"]]),
    "eval retain-eval": (["eval", "--model", "{model}", "--data", "{bench}", "--retain-eval", "{evaldir}",
                          "--out", "{out}"], "dir", ["{evaldir}"], {"{evaldir}": "{bad_eval}"}, []),
    "eval-nlg": (["eval-nlg", "--model", "{model}", "--texts", "{recs}", "--out", "{out}"], "dir",
                 ["{model}", "{recs}"], {"{recs}": "{bad}"},
                 [["--prefix-tokens", "0"], ["--batch-size", "0"], ["--mauve-scaling-factor", "-1"],
                  ["--device", "cuda:7"]]),
    "eval-nlu": (["eval-nlu", "--model", "{model}", "--out", "{out}"], "dir", ["{model}"], {},
                 [["--batch-size", "0"], ["--limit", "-1"], ["--num-fewshot", "-1"], ["--chat", "maybe"]]),
    **{f"attack {name}": (["attack", name, "--model", "{model}", "--data", "{bench}", "--out", "{out}"], "dir",
                          ["{model}", "{bench}"], {"{bench}": "{bad}"},
                          [["--batch-size", "0"], ["--max-new-tokens", "0"], ["--device", "cuda:7"],
                           ["--forget", "{bad}"], *extra])
       for name, extra in (("relearn", [["--lr", "-1"], ["--scheduler", "x"], ["--steps", "0"],
                                        ["--relearn-fraction", "1"], ["--retain-eval", "{bad_eval}"]]),
                           ("paraphrase", [["--paraphrases", "x"]]), ("prefix", [["--stride", "0"]]))},
    "attack relearn retain-eval": (["attack", "relearn", "--model", "{model}", "--data", "{bench}",
                                    "--retain-eval", "{evaldir}", "--out", "{out}"], "dir", ["{evaldir}"], {}, []),
    "report": (["report", "{run}", "--out", "{out}"], "dir", ["{run}", "{run_eval}"], {"{run}": "{bad_run}"},
               [["--target-row", "nope"], ["--target-row", "x", "--retain-row", "x"]]),
    # old spellings (aliases that print a notice line first): the same checks
    "invert old-spelling": (["invert", "--data", "{bench}", "--split", "forget10", "--out", "{outfile}", "--backend",
                             "rules"], "file", ["{bench}"], {}, [["--n", "0"]]),
    "memo old-spelling": (["memo", "--model", "{model}", "--data", "{inv}", "--out", "{outfile}"], "file",
                          ["{inv}", "{model}"], {"{inv}": "{bad}"}, [["--stride", "0"]]),
    "report old-spelling": (["report", "{run}", "--out", "{out}", "--retain", "retain"], "dir", ["{run}"], {},
                            [["--target", "nope"], ["--target", "x", "--retain", "x"]]),
    "report summary folder": (["report", "{folder_run}", "--out", "{out}"], "dir", [], {}, []),
    "summarize": (["summarize", "{evaldir}", "--out", "{out}"], "dir", ["{evaldir}"], {"{evaldir}": "{bad_eval}"},
                  [["--retain-eval", "{bad_eval}"], ["--retain-eval", "{nothing}"]]),
    "eval-muse": (["eval-muse", "--model", "{model}", "--data", "{muse}", "--out", "{out}"], "dir",
                  ["{model}", "{muse}"], {"{muse}": "{bad}"},
                  [["--metrics", "nope"], ["--min-k", "0"], ["--batch-size", "0"], ["--device", "cuda:7"],
                   ["--retain-auc", "nope"], ["--verbmem-max-new-tokens", "0"], ["--dtype", "x"],
                   ["--mia-reference-model", "{nothing}"], ["--mia-gradnorm", "maybe"]]),
    "sweep": (["sweep", "--method", "ga", "--model", "{model}", "--forget", "{recs}", "--data", "{bench}",
               "--retain-eval", "{evaldir}", "--out", "{out}"], "dir", ["{model}", "{recs}", "{evaldir}"],
              {"{recs}": "{bad}"}, [["--seeds", "0"], ["--grid", "lr"], ["--grid", "bogus=1,2"], ["--set", "lr=-1"],
                                    ["--method", "nope"], ["--max-new-tokens", "0"], ["--grid", "seed=1,2"],
                                    ["--grid", "lr=1e-4,,2e-4"], ["--set", "lr"], ["--max-runs", "0"],
                                    ["--max-runs", "5"]]),
    "demo": (["demo", "--out", "{out}"], "dir", [], {},
             [["--authors", "0"], ["--forget-split", "forget50"], ["--hidden-size", "12"], ["--train-epochs", "nan"],
              ["--methods", "bogus"], ["--attacks", "nope"], ["--unlearn-lr", "-1"], ["--config", "{yaml_bad}"],
              ["--config", "{nothing}"]]),
}

FOLDER_INPUTS = ("{model}", "{bench}", "{evaldir}", "{muse}")  # input folders an output may not go inside
WORKSPACE_INPUTS = ("report",)  # except these commands' run folder (RUN/report)

RECORDS = [{"question": f"Who wrote book {i}?", "answer": f"Ann Lee wrote book {i} in {1990 + i}.",
            "inverted_answers": [f"Bo Park wrote book {i} in {1980 + i}.", f"Cy Ode wrote book {i} in 1970."]}
           for i in range(4)]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    """A model folder as far as any check before loading can tell (every case fails before a model is loaded,
    so no real weights are needed; a case that did load it would fail loudly)."""
    d = tmp_path_factory.mktemp("model") / "m"
    d.mkdir()
    (d / "config.json").write_text(json.dumps({"model_type": "llama"}))
    (d / "meow.json").write_text(json.dumps({"made_by": "test_robustness"}))
    return d


@pytest.fixture
def workspace(tmp_path, tiny_bench_dir, tiny_muse_dir, model_dir):
    """Placeholder -> path: inputs that exist, outputs that exist already, malformed files."""
    w = tmp_path
    (w / "recs.json").write_text(json.dumps(RECORDS))
    (w / "inv.json").write_text(json.dumps(RECORDS))
    (w / "bad.json").write_text('[{"question": "q", "answer": ')
    (w / "notes.txt").write_text("keep me\n")
    (w / "full").mkdir()
    (w / "full" / "mine.txt").write_text("mine\n")
    (w / "yaml_bad.yaml").write_text("lr: [unclosed\n")
    (w / "yaml_range.yaml").write_text("lr: -1\n")
    evaldir = w / "evals" / "retain"
    evaldir.mkdir(parents=True)
    (evaldir / "eval.json").write_text(json.dumps({"splits": {"forget": {"records": []}}}))
    (evaldir / "summary.json").write_text(json.dumps({"splits": {}}))
    (w / "bad_eval").mkdir()
    (w / "bad_eval" / "eval.json").write_text('{"splits": {"forget": 3}}')
    (w / "bad_run" / "evals" / "x").mkdir(parents=True)
    (w / "bad_run" / "evals" / "x" / "summary.json").write_text("{not json")
    (w / "folder_run" / "evals" / "x" / "summary.json").mkdir(parents=True)
    values = {"{bench}": str(tiny_bench_dir), "{muse}": str(tiny_muse_dir), "{model}": str(model_dir), "{recs}": str(w / "recs.json"),
            "{inv}": str(w / "inv.json"), "{bad}": str(w / "bad.json"), "{file}": str(w / "notes.txt"),
            "{dir}": str(w / "full"), "{yaml_bad}": str(w / "yaml_bad.yaml"), "{yaml_range}": str(w / "yaml_range.yaml"),
            "{evaldir}": str(evaldir), "{bad_eval}": str(w / "bad_eval"), "{run}": str(w),
            "{run_eval}": str(evaldir), "{bad_run}": str(w / "bad_run"), "{folder_run}": str(w / "folder_run"),
            "{nothing}": str(w / "does_not_exist.yaml"), "{out}": str(w / "new_out"),
            "{outfile}": str(w / "new_out.json"), "{root}": str(w)}
    for token in FOLDER_INPUTS:
        values[token.strip("}") + "_inside}"] = str(Path(values[token]) / "inside")
        values[token.strip("}") + "_inside_file}"] = str(Path(values[token]) / "inside.json")
    return values


def cases() -> list[tuple[str, str, dict[str, str], list[str]]]:
    """(command, case name, placeholder substitutions, extra arguments)."""
    out = []
    for name, (argv, _kind, inputs, malformed, bad) in COMMANDS.items():
        slot = "{out}" if "{out}" in argv else "{outfile}"
        out.append((name, "out-file", {slot: "{file}"}, []))
        out.append((name, "out-dir", {slot: "{dir}"}, []))
        for token in inputs:
            out.append((name, f"out-is-{token.strip('{}')}", {slot: token}, []))
            out.append((name, f"out-is-{token.strip('{}')}-force", {slot: token}, ["--force"]))
            if token in FOLDER_INPUTS and name not in WORKSPACE_INPUTS:  # never inside an input folder either
                inside = "{" + token.strip("{}") + ("_inside}" if slot == "{out}" else "_inside_file}")
                out.append((name, f"out-inside-{token.strip('{}')}-force", {slot: inside}, ["--force"]))
        for token, bad_token in malformed.items():
            out.append((name, f"malformed-{token.strip('{}')}", {token: bad_token}, []))
        for i, extra in enumerate(bad):
            out.append((name, f"bad-{i}-{'_'.join(extra).strip('-{}')[:30]}", {}, extra))
    return out


def snapshot(*roots: Path) -> dict[str, str]:
    files = {}
    for root in roots:
        for p in sorted(Path(root).rglob("*")):
            if p.is_file():
                files[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
            elif p.is_dir():
                files[str(p)] = "dir"
    return files


@pytest.mark.parametrize("command, case, subs, extra", cases(), ids=[f"{c[0]}:{c[1]}" for c in cases()])
def test_bad_input_is_one_line_and_touches_nothing(command, case, subs, extra, workspace, capsys):
    template = COMMANDS[command][0]
    values = {**workspace, **{k: workspace[v] for k, v in subs.items()}}
    argv = [values.get(a, a) for a in template] + [values.get(a, a) for a in extra]
    roots = [Path(workspace["{root}"]), Path(workspace["{bench}"]), Path(workspace["{muse}"]), Path(workspace["{model}"])]
    before = snapshot(*roots)
    rc = main(argv)
    err = capsys.readouterr().err.strip()
    notes = [line for line in err.splitlines() if ": note: " in line and "is now --" in line]  # old spellings
    lines = [line for line in err.splitlines() if line not in notes]
    assert bool(notes) == command.endswith("old-spelling"), err
    err = "\n".join(lines)
    assert rc == 2, f"{argv}: exit {rc}: {err}"
    assert len(lines) == 1 and lines[0].startswith("meow") and "Traceback" not in err, err
    kind = COMMANDS[command][1]
    expected = {("out-file", "dir"): "a folder is expected", ("out-dir", "file"): "a file is expected",
                ("out-file", "file"): "already exists", ("out-dir", "dir"): "already exists"}.get((case, kind))
    if expected and command != "report summary folder":  # that row's input is refused first
        assert expected in err, err
    if case.startswith("out-inside-"):
        assert "inside the input folder" in err, err
    if case.startswith("out-is-") and kind == "dir":
        assert "would overwrite the input" in err or "is a file" in err, err
    after = snapshot(*roots)
    assert {k: v for k, v in after.items() if k in before} == before, f"{argv} changed a file"
    assert set(after) == set(before), f"{argv} left {sorted(set(after) - set(before))}"


def test_every_command_has_a_row():
    """A command registered in the CLI without a row here fails this test (add one line to COMMANDS)."""
    from meow.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    rows = {name.split()[0] for name in COMMANDS}
    no_output = {"methods", "plan"}  # commands that write nothing (plan prints a memory estimate)
    missing = sorted(set(sub.choices) - rows - no_output)
    assert not missing, f"commands without a row in COMMANDS: {missing}"


def test_benchmark_folder_is_remade_only_with_force(workspace, capsys):
    """`benchmark make` rewrites its own folder for the same arguments; other arguments need --force."""
    out = Path(workspace["{root}"]) / "bench_out"
    assert main(["benchmark", "make", str(out), "--authors", "20", "--qa-per-author", "2", "--background", "2"]) == 0
    (out / "stale.txt").write_text("old")
    shutil.copy(workspace["{file}"], out / "notes.txt")
    assert main(["benchmark", "make", str(out), "--authors", "20", "--qa-per-author", "3", "--background", "2"]) == 2
    assert "other arguments" in capsys.readouterr().err
    assert main(["benchmark", "make", str(out), "--authors", "20", "--qa-per-author", "3", "--background", "2",
                 "--force"]) == 0
    assert json.loads((out / "benchmark.json").read_text())["arguments"]["qa_per_author"] == 3
