"""meow.config: declared option ranges (field metadata gt/ge/lt/le/choices), NaN refusal, validate() hooks."""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass, field

import pytest

from meow.config import add_arguments, allowed, check_device, from_dict, number, resolve
from meow.errors import MeowError


@dataclass
class Opts:
    lr: float = field(default=0.1, metadata={"help": "rate", "gt": 0})
    share: float = field(default=0.5, metadata={"help": "share", "ge": 0, "lt": 1})
    steps: int = field(default=3, metadata={"help": "steps", "ge": 1, "le": 10})
    mode: str = field(default="a", metadata={"help": "mode", "choices": ("a", "b")})
    names: list[str] = field(default_factory=list, metadata={"help": "names", "choices": ("x", "y")})
    free: float = 1.0

    def validate(self) -> None:
        if self.steps > 5 and self.mode == "b":
            raise MeowError("--steps above 5 needs --mode a")


@pytest.mark.parametrize("values, message", [
    ({"lr": 0.0}, r"^--lr must be greater than 0, got 0.0$"),
    ({"lr": -1}, r"^--lr must be greater than 0, got -1.0$"),
    ({"share": 1.0}, r"^--share must be at least 0 and less than 1, got 1.0$"),
    ({"steps": 0}, r"^--steps must be at least 1 and at most 10, got 0$"),
    ({"steps": 11}, r"^--steps must be at least 1 and at most 10, got 11$"),
    ({"mode": "c"}, r"^--mode: 'c' is not one of a, b$"),
    ({"names": ["x", "z"]}, r"^--names: 'z' is not one of x, y$"),
    ({"lr": float("nan")}, r"^--lr must be a finite number, got nan$"),
    ({"free": float("inf")}, r"^--free must be a finite number, got inf$"),  # no range declared: still finite
    ({"free": "-inf"}, r"^--free must be a finite number, got -inf$"),  # strings from YAML are numbers first
    ({"steps": 6, "mode": "b"}, r"^--steps above 5 needs --mode a$"),  # the cross-field hook
])
def test_ranges_are_one_line_naming_option_value_and_rule(values, message):
    with pytest.raises(MeowError, match=message):
        from_dict(Opts, values, "options")


def test_values_inside_the_ranges_pass_and_bounds_are_exact():
    o = from_dict(Opts, {"lr": 1e-9, "share": 0.0, "steps": 10, "mode": "a", "names": ["y"]}, "options")
    assert (o.lr, o.share, o.steps, o.mode, o.names) == (1e-9, 0.0, 10, "a", ["y"])


def test_yaml_values_are_named_by_their_file_and_flags_as_flags(tmp_path):
    y = tmp_path / "c.yaml"
    y.write_text("lr: -2\n")
    with pytest.raises(MeowError, match=r"c.yaml: option 'lr' \(--lr\) must be greater than 0, got -2"):
        resolve(Opts, y)
    y.write_text("lr: 0.5\n")
    with pytest.raises(MeowError, match=r"^--steps must be at least 1"):
        resolve(Opts, y, {"steps": 0})
    assert resolve(Opts, y, {"steps": 2}).lr == 0.5


def test_help_shows_what_is_allowed():
    p = argparse.ArgumentParser()
    add_arguments(p, Opts)
    text = p.format_help()
    assert "greater than 0" in text and "one of a, b" in text
    assert allowed({"ge": 1, "le": 10}) == "at least 1 and at most 10"


def test_plain_argparse_numbers():
    parse = number(int, ge=0)
    assert parse("3") == 3
    for bad, why in (("-1", "must be at least 0, got -1"), ("x", "expected a whole number")):
        with pytest.raises(argparse.ArgumentTypeError, match=why):
            parse(bad)
    with pytest.raises(argparse.ArgumentTypeError, match="finite"):
        number(float, gt=0)("nan")


def test_devices_are_checked_before_loading(monkeypatch):
    import torch

    check_device(None)
    check_device("cpu")
    with pytest.raises(MeowError, match="not a device"):
        check_device("toaster")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(MeowError, match=r"^--device cuda:7: no CUDA device is available here"):
        check_device("cuda:7")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    check_device("cuda")
    check_device("cuda:1")
    with pytest.raises(MeowError, match=r"^--ref-device cuda:7: only 2 CUDA device\(s\) here \(cuda:0 to cuda:1\)$"):
        check_device("cuda:7", "--ref-device")


def test_every_command_config_declares_its_ranges():
    """Every numeric field of every command's options dataclass says what it allows (a new field without a range
    fails here: declare gt/ge/lt/le, or `"any": True` in its metadata where every finite value is fine)."""
    from meow.demo import DemoConfig
    from meow.evaluate.attacks import ATTACKS
    from meow.evaluate.evaluator import EvalConfig
    from meow.evaluate.nlg import NLGConfig
    from meow.evaluate.nlu import NLUConfig
    from meow.memo.metrics import MemoConfig
    from meow.modeling.finetune import TrainConfig
    from meow.modeling.tiny import TinyConfig
    from meow.unlearn.config import UnlearnConfig

    classes = [EvalConfig, NLGConfig, NLUConfig, MemoConfig, TinyConfig, TrainConfig, DemoConfig, UnlearnConfig,
               *(ATTACKS.get(n).config for n in ATTACKS.names())]
    missing = []
    for cls in classes:
        hints = __import__("typing").get_type_hints(cls)
        for f in dataclasses.fields(cls):
            tp = str(hints[f.name])
            numeric = tp in ("<class 'int'>", "<class 'float'>") or tp in ("int | None", "float | None")
            if numeric and not ({"gt", "ge", "lt", "le", "choices", "any"} & set(f.metadata)):
                missing.append(f"{cls.__name__}.{f.name}")
    assert not missing, f"numeric options without a declared range: {missing}"
