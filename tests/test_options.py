"""One CLI vocabulary (meow.options): the shared options are defined once, mean the same in every command, and
old spellings still work with a one-line notice."""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

import pytest

from meow import options as O
from meow.cli import build_parser, main

SRC = Path(__file__).resolve().parents[1] / "src" / "meow"
SHARED = ("--model", "--dtype", "--device", "--config", "--out", "--force", "--no-progress", "--forget",
          "--forget-split", "--retain")


def leaf_parsers() -> dict[str, argparse.ArgumentParser]:
    """Every command's parser ("attack relearn" for sub-sub-commands)."""
    out: dict[str, argparse.ArgumentParser] = {}

    def walk(prefix: str, parser: argparse.ArgumentParser) -> None:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            out[prefix.strip()] = parser
        for sub in subs:
            for name, p in sub.choices.items():
                walk(f"{prefix} {name}", p)

    walk("", build_parser())
    return out


def visible(parser: argparse.ArgumentParser) -> set[str]:
    return {s for a in parser._actions if a.help != argparse.SUPPRESS for s in a.option_strings}


def test_shared_options_are_declared_only_in_meow_options():
    pattern = re.compile(r"add_argument\(\s*\"(" + "|".join(re.escape(f) for f in SHARED) + r")\"")
    found = [f"{p.relative_to(SRC)}: {m.group(1)}" for p in SRC.rglob("*.py") if p.name != "options.py"
             for m in pattern.finditer(p.read_text())]
    assert found == []


def test_every_command_with_a_model_or_training_has_no_progress_and_one_dtype_list():
    parsers = leaf_parsers()
    with_model = [n for n, p in parsers.items() if "--model" in visible(p) or n in ("demo", "sweep")]
    assert len(with_model) >= 11  # train, invert, memo, unlearn, eval, eval-nlu, eval-nlg, eval-muse, attack x3, ...
    assert [n for n in with_model if "--no-progress" not in visible(parsers[n])] == []
    dtypes = {n: a for n, p in parsers.items() for a in p._actions if "--dtype" in a.option_strings}
    assert len(dtypes) >= 10, dtypes
    listed = "one of " + ", ".join(O.DTYPES)  # train / unlearn: a config field, its choices in the help
    assert [n for n, a in dtypes.items() if tuple(a.choices or ()) != O.DTYPES and listed not in a.help] == []
    from meow.invert.hf import HFInverter
    from meow.modeling.finetune import TrainConfig
    from meow.modeling.lm import DTYPES

    assert DTYPES is O.DTYPES and TrainConfig.__dataclass_fields__["dtype"].metadata["choices"] is O.DTYPES
    assert HFInverter.__dataclass_fields__["dtype"].metadata["choices"] is O.DTYPES


def test_forget_and_retain_have_one_spelling():
    for name, p in leaf_parsers().items():
        shown = visible(p)
        if name == "train":  # train's --data / --split are its training set
            continue
        assert "--split" not in shown, name  # the forget split is --forget-split everywhere
        data = next((a for a in p._actions if "--data" in a.option_strings), None)
        assert data is None or data.help == argparse.SUPPRESS or "folder" in data.help, (name, data.help)
    report = leaf_parsers()["report"]
    assert {"--retain-row", "--target-row"} <= visible(report) and "--retain" not in visible(report)


@pytest.mark.parametrize("argv, dest, value", [
    (["memo", "--model", "m", "--data", "inv.json", "--split", "forget10", "--out", "o.json"], "forget", "inv.json"),
    (["invert", "--data", "d", "--split", "forget10", "--out", "o.json"], "forget_split", "forget10"),
    (["report", "run", "--retain", "retrained"], "retain", "retrained"),
    (["report", "run", "--target", "base"], "target", "base"),
])
def test_old_spellings_still_parse_with_one_notice_each(argv, dest, value, capsys):
    args = build_parser().parse_args(argv)
    assert getattr(args, dest) == value
    notes = capsys.readouterr().err.splitlines()
    olds = [a for a in argv if a in ("--data", "--split", "--retain", "--target")]
    assert len(notes) == len(olds) and all(re.fullmatch(rf"meow \S+: note: {o} is now --\S+ \(the old spelling "
                                                        r"still works\)", n) for o, n in zip(olds, notes)), notes


def test_old_and_new_spelling_together_is_a_one_line_error(capsys):
    assert main(["memo", "--model", "m", "--forget", "a.json", "--data", "b.json", "--out", "o.json"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("meow memo: error: argument --data: not allowed with argument --forget")


def test_no_progress_switches_tqdm_off_for_the_command_only(monkeypatch):
    from tqdm.auto import tqdm

    monkeypatch.delenv(O.PROGRESS_ENV, raising=False)
    with O.progress_bars(False):
        assert all(tqdm(range(2), **kw).disable for kw in ({}, {"disable": False}, {"disable": None}))
        assert os.environ[O.PROGRESS_ENV] == "1"  # for child processes
    assert not tqdm(range(2), disable=False).disable  # restored after the command
    assert O.PROGRESS_ENV not in os.environ
    with O.progress_bars(True):
        assert O.PROGRESS_ENV not in os.environ
    monkeypatch.setenv(O.PROGRESS_ENV, "0")
    with O.progress_bars(False):
        assert os.environ[O.PROGRESS_ENV] == "1"
    assert os.environ[O.PROGRESS_ENV] == "0"  # restored
