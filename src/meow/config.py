"""Dataclass configs: defaults in code, overridden by a YAML file, then by command-line flags.

The resolved config is saved next to every result (`save_config`), so a run can be repeated.

Allowed values are declared next to each field, in its metadata: `gt`, `ge`, `lt`, `le` (numbers) and `choices`
(a tuple), e.g. `field(default=1e-5, metadata={"help": "learning rate", "gt": 0})`. `from_dict` / `resolve`
enforce them (and refuse NaN / infinity for every number) before the dataclass is built, then call the
dataclass's `validate()` hook, if it has one, for checks across fields. Every refusal is one MeowError line
naming the option, the value and what is allowed.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml

from meow.errors import MeowError
from meow.io import atomic_write_text
from meow.schema import got, read_text_file

C = TypeVar("C")


def to_dict(cfg: Any) -> dict[str, Any]:
    return dataclasses.asdict(cfg)


def _field_types(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def _scalar_type(tp: Any) -> Any:
    """`int | None` -> int; list[str] -> list; bool -> bool."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _scalar_type(args[0]) if len(args) == 1 else str
    if origin in (list, tuple):
        return list
    return tp


def from_dict(cls: type[C], values: dict[str, Any], source: str = "config") -> C:
    """Build `cls` from a dict, refusing unknown keys with a one-line error naming them."""
    known = _field_types(cls)
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise MeowError(f"{source}: unknown option(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    types_ = {k: _scalar_type(tp) for k, tp in known.items()}
    coerced = {k: _coerce(v, types_[k], f"{source}: option '{k}'") for k, v in values.items()}
    check_fields(cls, coerced, source)
    obj = cls(**coerced)
    validate = getattr(obj, "validate", None)
    if callable(validate):
        validate()
    return obj


def validate_config(cfg: C, source: str = "options") -> C:
    """The one way a config is checked: the ranges its fields declare (`check_fields`: gt / ge / lt / le / choices in
    the field metadata), then its `validate()` hook for what a range cannot say (across fields, registries).
    `from_dict` / `resolve` run both for YAML and flags; a stage's Python entry point runs it on a config it is
    given. Configs do not check themselves in `__post_init__`."""
    check_fields(type(cfg), cfg, source)
    hook = getattr(cfg, "validate", None)
    if callable(hook):
        hook()
    return cfg


def flag_name(name: str) -> str:
    return "--" + name.replace("_", "-")


def allowed(meta: Any) -> str:
    """What a field's metadata allows, in words: 'at least 1', 'greater than 0 and at most 1', 'one of a, b'."""
    parts = []
    if "choices" in meta:
        parts.append("one of " + ", ".join(map(str, meta["choices"])))
    words = {"gt": "greater than", "ge": "at least", "lt": "less than", "le": "at most"}
    parts += [f"{words[k]} {meta[k]}" for k in ("gt", "ge", "lt", "le") if k in meta]
    return " and ".join(parts)


def check_value(name: str, value: Any, meta: Any, source: str = "options") -> None:
    """One value against its field's declared range; one-line MeowError naming option, value and what is allowed."""
    if value is None:
        return
    who = flag_name(name) if source == "options" else f"{source}: option '{name}' ({flag_name(name)})"
    numbers = [v for v in (value if isinstance(value, list) else [value])
               if isinstance(v, (int, float)) and not isinstance(v, bool)]
    for v in numbers:
        if not math.isfinite(v):
            raise MeowError(f"{who} must be a finite number, got {v}")
    if "choices" in meta:
        for v in value if isinstance(value, list) else [value]:
            if v not in meta["choices"]:
                raise MeowError(f"{who}: {v!r} is not one of {', '.join(map(str, meta['choices']))}")
    bad = {"gt": lambda v, b: v <= b, "ge": lambda v, b: v < b, "lt": lambda v, b: v >= b, "le": lambda v, b: v > b}
    for v in numbers:
        if any(k in meta and bad[k](v, meta[k]) for k in bad):
            raise MeowError(f"{who} must be {allowed({k: meta[k] for k in bad if k in meta})}, got {v!r}")


def check_fields(cls: Any, values: dict[str, Any], source: str = "options") -> None:
    """Check the given values (a dict of field name -> value, or a dataclass instance: all its fields)."""
    if dataclasses.is_dataclass(values) and not isinstance(values, type):
        values = {f.name: getattr(values, f.name) for f in dataclasses.fields(values)}
    metas = {f.name: f.metadata for f in dataclasses.fields(cls)}
    for k, v in values.items():
        if k in metas:
            check_value(k, v, metas[k], source)


def _coerce(value: Any, tp: Any, what: str) -> Any:
    """YAML reads `1e-5` as a string and `10` as an int: give float/int/bool fields the type they declare; a string
    field takes a string, a list field a list of strings (or one string), nothing else (never an object)."""
    if value is None:
        return value
    if tp is str and not isinstance(value, str):
        raise MeowError(f"{what}: expected a string, got {got(value)}")
    if tp is list and not (isinstance(value, str) or (
            isinstance(value, list) and all(isinstance(v, str) for v in value))):
        raise MeowError(f"{what}: expected a list of strings, got {got(value)}")
    if tp not in (float, int, bool):
        return value
    if tp is bool:
        if isinstance(value, bool):
            return value
        try:
            return _parse_bool(str(value))
        except argparse.ArgumentTypeError:
            raise MeowError(f"{what}: expected true or false, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise MeowError(f"{what}: expected a number, got {value!r}")
    try:
        number = float(value)
    except ValueError:
        raise MeowError(f"{what}: expected a number, got {value!r}") from None
    if tp is int:
        if not number.is_integer():
            raise MeowError(f"{what}: expected a whole number, got {value!r}")
        return int(number)
    return number


def load_yaml(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise MeowError(f"{path}: config file not found")
    text = read_text_file(path)
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as e:
        raise MeowError(f"{path}: not valid YAML ({str(e).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise MeowError(f"{path}: expected a mapping of option: value at the top level")
    return data


def resolve(cls: type[C], yaml_path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> C:
    """defaults < YAML file < overrides (flags left as None are ignored)."""
    values: dict[str, Any] = {}
    if yaml_path:
        values.update(load_yaml(yaml_path))
    flags = {k: v for k, v in (overrides or {}).items() if v is not None}
    check_fields(cls, flags)  # a bad flag is named as a flag, a bad YAML key by the file
    values.update(flags)
    return from_dict(cls, values, source=str(yaml_path or "options"))


def save_config(cfg: Any, path: str | Path) -> None:
    data = cfg if isinstance(cfg, dict) else to_dict(cfg)
    atomic_write_text(path, yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def _parse_bool(text: str) -> bool:
    low = text.lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true/false, got {text!r}")


def add_arguments(parser: argparse.ArgumentParser, cls: type, exclude: tuple[str, ...] = ()) -> None:
    """One `--field-name` flag per dataclass field, default None so unset flags do not override YAML."""
    for f in dataclasses.fields(cls):
        if f.name in exclude or f.name.startswith("_"):
            continue
        tp = _scalar_type(_field_types(cls)[f.name])
        flag = "--" + f.name.replace("_", "-")
        default = f.default if f.default is not dataclasses.MISSING else None
        limits = allowed(f.metadata)
        help_text = (f.metadata.get("help", "") + (f"; {limits}" if limits else "")
                     + (f" (default: {default})" if default is not None else ""))
        if tp is bool:
            parser.add_argument(flag, dest=f.name, type=_parse_bool, default=None, metavar="BOOL", help=help_text)
        elif tp is list:
            parser.add_argument(flag, dest=f.name, type=lambda s: [x for x in s.split(",") if x], default=None,
                                metavar="A,B", help=help_text)
        else:
            parser.add_argument(flag, dest=f.name, type=tp, default=None, help=help_text)


def overrides_from_args(args: argparse.Namespace, cls: type) -> dict[str, Any]:
    return {f.name: getattr(args, f.name) for f in dataclasses.fields(cls) if getattr(args, f.name, None) is not None}


def number(kind: type = int, **limits: Any) -> Any:
    """argparse `type=` for a plain (non-dataclass) numeric option: `type=number(int, ge=1)`.

    Same rule and wording as the dataclass ranges (finite, within gt/ge/lt/le); argparse prints the one line."""

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {'a whole number' if kind is int else 'a number'}, "
                                             f"got {text!r}") from None
        try:
            check_value("x", value, limits)
        except MeowError as e:
            raise argparse.ArgumentTypeError(str(e).removeprefix("--x ")) from None
        return value

    parse.__name__ = kind.__name__
    return parse


def check_device(device: str | None, option: str = "--device") -> None:
    """A torch device that exists here (cuda:N below the device count, mps if built), checked before any model
    is loaded; one-line MeowError otherwise. None / "" = wherever the model loads."""
    if not device:
        return
    import torch

    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError):
        raise MeowError(f"{option} {device!r}: not a device; use e.g. cpu, cuda, cuda:1 or mps") from None
    if dev.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise MeowError(f"{option} {device}: no CUDA device is available here; use --device cpu")
        if dev.index is not None and dev.index >= count:
            raise MeowError(f"{option} {device}: only {count} CUDA device(s) here (cuda:0"
                            f"{f' to cuda:{count - 1}' if count > 1 else ''})")
    elif dev.type == "mps" and not torch.backends.mps.is_available():
        raise MeowError(f"{option} {device}: MPS is not available here; use --device cpu")
    elif dev.type not in ("cpu", "cuda", "mps", "meta"):
        raise MeowError(f"{option} {device}: unsupported device type {dev.type!r}; use cpu, cuda or mps")
