"""Dataclass configs: defaults in code, overridden by a YAML file, then by command-line flags.

The resolved config is saved next to every result (`save_config`), so a run can be repeated.
"""

from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml

from meow.errors import MeowError
from meow.io import atomic_write_text

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
    return cls(**{k: _coerce(v, types_[k], f"{source}: option '{k}'") for k, v in values.items()})


def _coerce(value: Any, tp: Any, what: str) -> Any:
    """YAML reads `1e-5` as a string and `10` as an int: give float/int/bool fields the type they declare."""
    if value is None or tp not in (float, int, bool):
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
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
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
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
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
        help_text = f.metadata.get("help", "") + (f" (default: {default})" if default is not None else "")
        if tp is bool:
            parser.add_argument(flag, dest=f.name, type=_parse_bool, default=None, metavar="BOOL", help=help_text)
        elif tp is list:
            parser.add_argument(flag, dest=f.name, type=lambda s: [x for x in s.split(",") if x], default=None,
                                metavar="A,B", help=help_text)
        else:
            parser.add_argument(flag, dest=f.name, type=tp, default=None, help=help_text)


def overrides_from_args(args: argparse.Namespace, cls: type) -> dict[str, Any]:
    return {f.name: getattr(args, f.name) for f in dataclasses.fields(cls) if getattr(args, f.name, None) is not None}
