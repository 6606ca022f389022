"""The command-line vocabulary every stage shares: one definition per option, used by every `commands.py`.

    --model DIR       model folder or hub id            --dtype {auto,float32,bfloat16,float16}
    --device DEV      cuda, cuda:1, cpu                 --config YAML    options file (flags override it)
    --out PATH        output (never one of the inputs)  --force          replace --out if it exists
    --no-progress     no progress bars
    --forget FILE     the forget records (a file, or a folder with --forget-split NAME)
    --retain FILE     the retain records (a file)

Renamed options keep their old spelling as an alias (`renamed`): it still works and prints one line to stderr
naming the new one. Only argparse and the standard library here: every layer may use it.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

DTYPES = ("auto", "float32", "bfloat16", "float16", "float64")  # float64: tests whose claim is equality
PROGRESS_ENV = "TQDM_DISABLE"  # tqdm reads it at import: child processes of a --no-progress command


def model(p: Any, help: str = "model folder or hub id", required: bool = True, flag: str = "--model",
          **kw: Any) -> None:
    p.add_argument(flag, required=required, help=help, **kw)


def dtype(p: Any, default: str | None = "auto", flag: str = "--dtype") -> None:
    p.add_argument(flag, default=default, choices=DTYPES, help=f"weights' dtype (default: {default or 'auto'})")


def device(p: Any, flag: str = "--device") -> None:
    p.add_argument(flag, default=None, help="e.g. cuda, cuda:1, cpu (default: where the model loads)")


def config(p: Any, what: str = "options") -> None:
    p.add_argument("--config", default=None, metavar="YAML", help=f"YAML file of {what} (flags override it)")


def out(p: Any, help: str, required: bool = True, **kw: Any) -> None:
    p.add_argument("--out", required=required, help=help, **kw)


def force(p: Any, help: str = "replace --out if it exists") -> None:
    p.add_argument("--force", action="store_true", help=help)


def progress(p: Any) -> None:
    """--no-progress (args.progress False): no progress bars; the summary lines are still printed."""
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bars")


def forget(p: Any, help: str, required: bool = False, old: tuple[str, ...] = ()) -> None:
    """--forget FILE (dest `forget`); `old`: former spellings, kept as aliases with a notice."""
    _with_aliases(p, "--forget", "forget", required, old, help=help, metavar="FILE")


def forget_split(p: Any, default: str | None = None, help: str | None = None, old: tuple[str, ...] = ()) -> None:
    """--forget-split NAME: the forget split's name inside a data folder (dest `forget_split`)."""
    text = help or "forget split inside the data folder" + (f" (default: {default})" if default else "")
    _with_aliases(p, "--forget-split", "forget_split", False, old, help=text, default=default, metavar="NAME")


def retain(p: Any, help: str, required: bool = False) -> None:
    p.add_argument("--retain", required=required, default=None, metavar="FILE", help=help)


class Renamed(argparse.Action):
    """An option's old spelling: stores into the new option's dest and prints one notice line to stderr."""

    def __init__(self, option_strings: list[str], dest: str, new: str = "", **kw: Any):
        super().__init__(option_strings, dest, **kw)
        self.new = new

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        print(f"{parser.prog}: note: {option_string} is now {self.new} (the old spelling still works)",
              file=sys.stderr)
        setattr(namespace, self.dest, values)


def renamed(p: Any, old: str, new: str, dest: str, **kw: Any) -> None:
    """Accept `old` as an alias of `new` (same dest), hidden from --help, with a one-line notice when used."""
    p.add_argument(old, dest=dest, action=Renamed, new=new, help=argparse.SUPPRESS, default=argparse.SUPPRESS, **kw)


def _with_aliases(p: Any, flag: str, dest: str, required: bool, old: tuple[str, ...], **kw: Any) -> None:
    if not old:
        p.add_argument(flag, dest=dest, required=required, default=kw.pop("default", None), **kw)
        return
    group = p.add_mutually_exclusive_group(required=required)  # the new or the old spelling, not both
    group.add_argument(flag, dest=dest, default=kw.pop("default", None), **kw)
    for o in old:
        renamed(group, o, flag, dest, metavar=kw.get("metavar"))


@contextmanager
def progress_bars(on: bool) -> Iterator[None]:
    """Progress bars on or off for the duration of one command (`--no-progress`).

    Off: every tqdm bar made meanwhile is disabled, meow's and the libraries' (transformers' checkpoint loading
    and saving), whatever `disable` it was given (tqdm reads TQDM_DISABLE only when it is imported, so the class
    is switched for the command's duration and restored after); TQDM_DISABLE=1 is set for child processes."""
    if on:
        yield
        return
    from tqdm import std

    before, init = os.environ.get(PROGRESS_ENV), std.tqdm.__init__

    def quiet(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **{**kwargs, "disable": True})

    os.environ[PROGRESS_ENV] = "1"
    std.tqdm.__init__ = quiet  # type: ignore[method-assign]
    try:
        yield
    finally:
        std.tqdm.__init__ = init  # type: ignore[method-assign]
        if before is None:
            os.environ.pop(PROGRESS_ENV, None)
        else:
            os.environ[PROGRESS_ENV] = before
