"""Declared input schemas and the one checker every reader uses (a layer beside `meow.io`: imports nothing of meow
but `meow.errors`).

A schema is a small tree of the types below; `check(value, schema, file)` walks a parsed file against it and stops
at the first place that does not fit, with one line naming the file, the key path and the record / question:

    eval_log_forget.json: avg_paraphrased_loss: expected an object keyed by question index, got a list
    TOFU_EVAL.json: forget_Q_A_Prob: value_by_index: question 3: avg_loss: expected a finite number, got a string

Rules shared by every reader: a value that is there but unusable is an error (never dropped); numbers are finite
and never booleans; a container declared non-empty holds something; `Obj` fields are required unless listed in
`optional`, and keys the schema does not name are not read (so not checked). Text files are read with
`read_text_file` (UTF-8, one-line error otherwise).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from meow.errors import MeowError


@dataclass(frozen=True)
class Num:
    """A finite number (int or float, not a boolean); `nullable`: JSON null allowed too."""

    nullable: bool = False


@dataclass(frozen=True)
class Bool:
    """true or false."""


@dataclass(frozen=True)
class Str:
    """A string; `nonempty`: holding more than white space."""

    nonempty: bool = True


@dataclass(frozen=True)
class ListOf:
    """A JSON list of `item`; `label` names an element in messages ("record 3"); `length`: exactly that many."""

    item: Schema
    nonempty: bool = True
    label: str = "item"
    length: int | None = None


@dataclass(frozen=True)
class MapOf:
    """An object with any keys (names: attacks, splits), values of `item`; `label` prefixes a key in messages."""

    item: Schema
    nonempty: bool = False
    label: str = ""


@dataclass(frozen=True)
class ByIndex(MapOf):
    """A per-question container: an object keyed by question index ("0", "1", ...), values of `item`."""

    nonempty: bool = True
    label: str = "question"


@dataclass(frozen=True)
class Obj:
    """An object with the named fields (required unless in `optional`); other keys are not read."""

    fields: dict[str, Schema]
    optional: frozenset[str] = field(default_factory=frozenset)
    nonempty: bool = False


@dataclass(frozen=True)
class AnyOf:
    """The first option that fits (e.g. a list of losses or a single loss)."""

    options: tuple[Schema, ...]


Schema = Num | Bool | Str | ListOf | MapOf | Obj | AnyOf


def describe(schema: Schema) -> str:
    """`expected ...` wording of a schema."""
    if isinstance(schema, Num):
        return "a finite number" + (" or null" if schema.nullable else "")
    if isinstance(schema, Bool):
        return "true or false"
    if isinstance(schema, Str):
        return "a non-empty string" if schema.nonempty else "a string"
    if isinstance(schema, ListOf):
        size = f"{schema.length} " if schema.length else "a non-empty " if schema.nonempty else "a "
        return f"{size}list of {_plural(describe(schema.item))}" if schema.length else f"{size}list"
    if isinstance(schema, ByIndex):
        return "an object keyed by question index"
    if isinstance(schema, MapOf):
        return "a non-empty object" if schema.nonempty else "an object"
    if isinstance(schema, Obj) and schema.nonempty and not set(schema.fields) - schema.optional:
        return "a non-empty object"
    if isinstance(schema, Obj):
        return "an object" + (f" with {', '.join(sorted(set(schema.fields) - schema.optional))}"
                              if set(schema.fields) - schema.optional else "")
    return " or ".join(describe(o) for o in schema.options)


def _plural(text: str) -> str:
    return text.removeprefix("a ").removeprefix("an ").replace("number", "numbers").replace("string", "strings")


def got(value: Any) -> str:
    """What a value is, for `got ...`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else "Infinity"
    if isinstance(value, (int, float)):
        return f"a number ({value:g})"
    if isinstance(value, str):
        return "an empty string" if not value.strip() else f"a string ({value[:20]!r})"
    if isinstance(value, list):
        return "an empty list" if not value else "a list"
    if isinstance(value, dict):
        return "an empty object" if not value else "an object"
    return type(value).__name__


def fail(file: object, path: Iterable[str], message: str) -> MeowError:
    return MeowError(": ".join([str(file), *path, message]))


def fits(value: Any, schema: Schema) -> bool:
    """Whether `value` fits `schema` (no error raised)."""
    try:
        check(value, schema, "")
    except MeowError:
        return False
    return True


def check(value: Any, schema: Schema, file: object, path: tuple[str, ...] = ()) -> Any:
    """`value` if it fits `schema`, else a MeowError naming `file`, the key path and what was found."""
    def wrong() -> MeowError:
        return fail(file, path, f"expected {describe(schema)}, got {got(value)}")

    if isinstance(schema, Num):
        if value is None and schema.nullable:
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise wrong()
    elif isinstance(schema, Bool):
        if not isinstance(value, bool):
            raise wrong()
    elif isinstance(schema, Str):
        if not isinstance(value, str) or (schema.nonempty and not value.strip()):
            raise wrong()
    elif isinstance(schema, ListOf):
        if not isinstance(value, list) or (schema.nonempty and not value) or (
                schema.length is not None and len(value) != schema.length):
            raise wrong()
        for i, item in enumerate(value):
            check(item, schema.item, file, (*path, f"{schema.label} {i}"))
    elif isinstance(schema, MapOf):
        if not isinstance(value, dict) or (schema.nonempty and not value):
            raise wrong()
        for key, item in value.items():
            check(item, schema.item, file, (*path, f"{schema.label} {key}".strip()))
    elif isinstance(schema, Obj):
        if not isinstance(value, dict) or (schema.nonempty and not value):
            raise wrong()
        for name, sub in schema.fields.items():
            if name not in value:
                if name not in schema.optional:
                    raise fail(file, path, f"missing '{name}' ({describe(sub)})")
                continue
            check(value[name], sub, file, (*path, name))
    elif not any(fits(value, option) for option in schema.options):
        for option in schema.options:  # the error of the option of the value's own kind, if any
            if isinstance(value, (list, dict)) and isinstance(option, (ListOf, MapOf, Obj)) and _kind(option) is type(value):
                check(value, option, file, path)
        raise wrong()
    return value


def _kind(schema: Schema) -> type:
    return list if isinstance(schema, ListOf) else dict


def same_indices(containers: dict[str, dict[str, Any]], file: object, path: tuple[str, ...] = ()) -> None:
    """Per-question containers of one set cover the same questions: one line naming the first one that differs."""
    items = [(k, v) for k, v in containers.items() if isinstance(v, dict)]
    if len(items) < 2:
        return
    first, keys = items[0][0], set(items[0][1])
    for name, other in items[1:]:
        if set(other) != keys:
            extra = sorted(set(other) - keys, key=_index_key)
            lost = sorted(keys - set(other), key=_index_key)
            what = (f"question {extra[0]} is not in {first}" if extra else f"question {lost[0]} of {first} is missing")
            raise fail(file, (*path, name), f"{what} (the per-question values of one set must cover the same "
                       "questions)")


def _index_key(index: Any) -> tuple[int, Any]:
    try:
        return 0, int(index)
    except (TypeError, ValueError):
        return 1, str(index)


def read_text_file(path: str | Path) -> str:
    """A user-given text file as UTF-8: a one-line MeowError if missing, a folder, unreadable or not UTF-8."""
    path = Path(path)
    if not path.is_file():
        raise MeowError(f"{path}: {'is a folder, not a file' if path.is_dir() else 'not found'}")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise MeowError(f"{path}: not UTF-8 text (byte {e.start})") from None
    except OSError as e:
        raise MeowError(f"{path}: cannot be read ({e.strerror})") from None
