"""The `meow` command: one subcommand per stage. Thin: parse flags, call the Python API, map errors.

Each stage module exposes `add_commands(subparsers)`; its parsers set `func=callable(args) -> int|None`.
User mistakes raise `MeowError` and end as one line on stderr with exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import typing

from meow import __version__, kernels
from meow.distributed import runs_here
from meow.errors import Interrupted, MeowError
from meow.options import progress_bars

COMMAND_MODULES = [
    "meow.benchmark.commands",   # meow benchmark make
    "meow.modeling.commands",    # meow train
    "meow.modeling.model_commands",  # meow model get, import-gguf, list
    "meow.invert.commands",      # meow invert
    "meow.memo.commands",        # meow memo
    "meow.unlearn.commands",     # meow unlearn, meow methods
    "meow.evaluate.commands",    # meow eval, eval-nlu, eval-nlg, attack
    "meow.evaluate.ability_commands",
    "meow.evaluate.logs.commands",  # meow summarize
    "meow.evaluate.muse.commands",  # meow eval-muse
    "meow.report.commands",      # meow report
    "meow.demo.commands",       # meow demo
    "meow.sweep.commands",       # meow sweep
    "meow.plan.commands",        # meow plan
]


RESUMING = {"demo", "sweep", "invert"}  # commands that keep finished work (stages, runs, replies) across a Ctrl-C


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit 2), like every other meow user error; sub-commands inherit it."""

    def error(self, message: str) -> typing.NoReturn:
        self.exit(2, f"{self.prog}: error: {message.strip().replace(chr(10), ' ')} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="meow", description="LLM unlearning with inverted facts (MEOW).")
    parser.add_argument("--version", action="version", version=f"meow {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    # `meow demo|sweep`: the common AVX2 kernels unless --native-kernels, set before torch runs (meow.kernels)
    pin = kernels.wants_pin(sys.argv[1:] if argv is None else argv)
    with kernels.pinned(pin):
        return _main(argv, pin)


def _main(argv: list[str] | None, pin: bool) -> int:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, --version, or a one-line usage error: return its code (in-process callers)
        return e.code if isinstance(e.code, int) else 0 if e.code is None else 2
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    if not runs_here(args.command):  # a launched job: only data-parallel commands run on every process
        return 0
    kernels.ensure(pin, argv)
    if getattr(args, "verbose", False):  # `--verbose` of demo, train, unlearn, attack: Trainer log lines too
        os.environ["MEOW_VERBOSE"] = "1"
    try:
        with progress_bars(getattr(args, "progress", True)):  # `--no-progress` (meow.options.progress)
            return int(args.func(args) or 0)
    except MeowError as e:
        print(f"meow {args.command}: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:  # a disk or permission problem while writing or reading: the user can act on it
        if os.environ.get("MEOW_DEBUG"):
            raise
        print(f"meow {args.command}: error: {e.strerror or e}"
              f"{f': {e.filename}' if getattr(e, 'filename', None) else ''}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as e:  # a stage that knows what it kept says so (meow.errors.Interrupted)
        said = (str(e) if isinstance(e, Interrupted)
                else "interrupted; finished work is saved and a re-run resumes it" if args.command in RESUMING
                else "interrupted; outputs are written only when complete, so nothing was left (a re-run starts over)")
        print(f"meow {args.command}: {said}", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
