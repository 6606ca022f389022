"""The benchmark registry: a benchmark is registered once, and `meow benchmark make`, `meow demo`, the demo's
per-stage lines and the report look it up by name instead of testing for it.

    @BENCHMARKS.register("muse")
    class Muse(Benchmark):
        title = "invented news articles in MUSE's layout (raw/, verbmem/, knowmem/, privleak/)"
        demo = "meow.demo.muse"                      # the demo module that runs it (`meow demo --benchmark muse`)
        eval_command = "meow eval-muse"              # the command whose summary.json carries "kind": "muse"
        tables = ("muse",)                           # the report tables (meow.report.columns.TABLES) of its columns
        headline = (("verbmem_forget",), "VerbMem forget"), ...   # the demo's one-line result of an eval stage

        @staticmethod
        def add_make_arguments(group): group.add_argument("--articles", ...)

        @staticmethod
        def make(out_dir, args): ...                 # `meow benchmark make OUT_DIR --kind muse`: write, print

A summary.json says which benchmark it belongs to with "kind" (absent: "tofu", meow eval's own layout), so
`for_summary(summary)` finds it. How to add one: docs/architecture.md, "Adding a benchmark".
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from meow.errors import MeowError
from meow.registry import Registry


@dataclass(frozen=True)
class Frontier:
    """What `meow sweep`'s frontier plot draws for a benchmark: report column `x` (forgetting) against column `y`
    (what must be kept), x on a log scale or not, and the line a point must pass on x (`line`, labelled `line_label`)."""

    x: str
    y: str
    log_x: bool
    line: float
    line_label: str
    x_label: str
    y_label: str


class Benchmark:
    """What a benchmark declares (class attributes; `make` and `add_make_arguments` as static methods)."""

    name: ClassVar[str] = ""  # set by `BENCHMARKS.register(name)`: --kind / --benchmark value, summary.json "kind"
    title: ClassVar[str] = ""  # one line for `--help`
    aliases: ClassVar[tuple[str, ...]] = ()  # other `meow benchmark make --kind` spellings
    demo: ClassVar[str] = ""  # dotted name of the meow.demo module with CONFIG (a dataclass) and run(out, cfg, force)
    eval_command: ClassVar[str] = "meow eval"
    tables: ClassVar[tuple[str, ...]] = ()  # report tables holding its columns
    sequence_columns: ClassVar[tuple[str, ...]] = ()  # report columns drawn against the request index (report.sequence)
    # the demo's line after an eval stage: (summary.json keys down to an entry with "value", label, shown when n/a)
    headline: ClassVar[tuple[tuple[tuple[str, ...], str, bool], ...]] = ()
    # `meow sweep`: the frontier it draws, the report columns its table shows, and whether a retain model exists (the
    # forget-quality reference; without one the model before unlearning is the only reference)
    frontier: ClassVar[Frontier | None] = None
    sweep_columns: ClassVar[tuple[str, ...]] = ()
    retain_model: ClassVar[bool] = True

    @staticmethod
    def holds(folder: Path) -> bool:
        """True when the data folder `folder` (as `meow eval --data` reads it) is one of this benchmark's."""
        return False

    @staticmethod
    def add_make_arguments(group: Any) -> None:
        """Its own `meow benchmark make` options (shared ones: OUT_DIR, --seed, --force)."""

    @staticmethod
    def make(out_dir: Path, args: argparse.Namespace) -> None:
        """Write the benchmark into `out_dir` (already checked by meow.io.prepare_output) and print what was written."""
        raise NotImplementedError

    # request splits for `meow unlearn --sequence` (`meow benchmark make --requests`, meow.benchmark.requests); a
    # benchmark without them keeps these defaults
    @staticmethod
    def check_requests(spec: str | int, args: argparse.Namespace) -> None:
        """Refuse a `--requests` value this benchmark cannot split into, before anything is written."""
        raise MeowError(f"--requests: not available for --kind {args.kind} (it has no request splits)")

    @staticmethod
    def write_requests(out_dir: Path, spec: str | int | None) -> dict[str, Any] | None:
        """Write the request files into the benchmark just made (None: remove earlier ones); their manifest entry."""
        return None


class BenchmarkRegistry(Registry[type[Benchmark]]):
    def register(self, name: str):  # type: ignore[override]
        add = super().register(name)

        def named(cls: type[Benchmark]) -> type[Benchmark]:
            cls.name = name
            return add(cls)

        return named

    def by_kind(self, kind: str) -> type[Benchmark]:
        """The benchmark `meow benchmark make --kind KIND` means (its name or one of its aliases)."""
        for name in self.names():
            b = self.get(name)
            if kind == name or kind in b.aliases:
                return b
        return self.get(kind)  # the registry's one-line error naming the choices

    def kinds(self) -> list[str]:
        return [k for name in self.names() for k in (name, *self.get(name).aliases)]

    def for_summary(self, summary: dict[str, Any]) -> type[Benchmark] | None:
        """The benchmark an evaluation summary.json belongs to ("kind"; meow eval's own summaries have none), None
        for a kind no benchmark registers."""
        kind = summary.get("kind") or "tofu"
        return self.get(kind) if isinstance(kind, str) and kind in self.names() else None


    def for_data(self, folder: str | Path | None) -> type[Benchmark]:
        """The benchmark whose `holds` claims the data folder; TOFU (meow eval's own layout) otherwise."""
        if folder is not None and Path(folder).is_dir():
            for name in self.names():
                if self.get(name).holds(Path(folder)):
                    return self.get(name)
        return self.get("tofu")


BENCHMARKS = BenchmarkRegistry("benchmark")
