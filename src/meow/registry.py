"""Name -> object registries (methods, metrics, inverters, attacks), lm-evaluation-harness style.

    METHODS = Registry("unlearning method")

    @METHODS.register("ga")
    class GradientAscent: ...

Adding one is one file and one decorator; the CLI lists `registry.names()`.

A registration may also say how the entry shows in reports: `register(name, show=Shown(...))` with its label and
the direction that is better ("higher", "lower", or a number: closest to it is best, e.g. "0.5" for an MIA AUC).
`meow report`'s columns and the sweep's metrics are read from these (`registry.shown()`), not kept in lists.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from meow.errors import MeowError

T = TypeVar("T")


def check_better(better: str) -> str:
    """"higher", "lower", or a number (closest to it is best); anything else is a programming error."""
    if better not in ("higher", "lower"):
        try:
            float(better)
        except ValueError:
            raise ValueError(f"better must be 'higher', 'lower' or a number, got {better!r}") from None
    return better


def arrow(better: str) -> str:
    """↑ higher is better, ↓ lower is better, →x closest to x is best."""
    return {"higher": "↑", "lower": "↓"}.get(better, f"→{better}")


def better_key(better: str) -> Callable[[float], float]:
    """Sort key under which the best value is the smallest."""
    if better == "higher":
        return lambda v: -v
    if better == "lower":
        return lambda v: v
    target = float(better)
    return lambda v: abs(v - target)


@dataclass(frozen=True)
class Shown:
    """How a registered entry shows in `meow report` (and the sweep's table): one column.

    `key` picks the value within the entry: a split for a per-split metric, "metric.column" for an attack, the
    answers ("original") for a memorisation metric; `kind` limits a summary to one evaluation kind ("tofu",
    "muse"); `order` places the column among all registered ones; `sweep` puts it in the sweep's table."""

    column: str
    label: str
    better: str
    description: str
    source: str
    order: int
    key: str = ""
    table: str = "main"
    digits: int = 3
    short: str = ""
    kind: str = ""
    sweep: bool = False

    def __post_init__(self) -> None:
        check_better(self.better)


def import_submodules(package: str, decorated: Sequence[str] = ()) -> list[str]:
    """Import every module of `package` (not those starting with _), so that their registrations run: a package
    of plugins (unlearning methods, attacks) takes a new one as one more file, with no list to edit. With
    `decorated` (decorator names, e.g. ("metric", "summary")), only the plain modules whose source has one of them
    at the top level (a line starting `@metric`), so a package that also holds commands or heavy bridges imports
    just its registering modules; reading the sources costs well under a millisecond a file. Returns the names."""
    import importlib
    import pkgutil
    import re
    from pathlib import Path

    marks = re.compile(rf"^@(?:{'|'.join(map(re.escape, decorated))})\b", re.M) if decorated else None
    names = []
    for info in pkgutil.iter_modules(importlib.import_module(package).__path__):
        if info.name.startswith("_"):
            continue
        if marks is not None:
            source = Path(getattr(info.module_finder, "path", "")) / f"{info.name}.py"
            if info.ispkg or not source.is_file() or not marks.search(source.read_text(encoding="utf-8")):
                continue
        names.append(importlib.import_module(f"{package}.{info.name}").__name__)
    return names


class Registry(Generic[T]):
    def __init__(self, kind: str):
        self.kind = kind
        self._items: dict[str, T] = {}
        self._shown: dict[str, tuple[Shown, ...]] = {}

    def register(self, name: str, show: Shown | Sequence[Shown] = ()) -> Callable[[T], T]:
        def add(obj: T) -> T:
            if name in self._items:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._items[name] = obj
            self._shown[name] = (show,) if isinstance(show, Shown) else tuple(show)
            return obj

        return add

    def shown(self) -> list[tuple[str, Shown]]:
        """(entry name, column) for every report column the registered entries declare."""
        return [(name, s) for name in self.names() for s in self._shown.get(name, ())]

    def get(self, name: str) -> T:
        if name not in self._items:
            raise MeowError(f"unknown {self.kind} {name!r}; choose from: {', '.join(self.names())}")
        return self._items[name]

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
