"""Built-in benchmarks, generated offline and deterministically, each registered once in `BENCHMARKS`
(meow.benchmark.registry): `tofu` (TOFU-shaped fictitious authors: generate.py, registered in tofu.py) and one
folder per other benchmark, whose `__init__.py` registers it (`muse/`: invented news articles in MUSE's layout).
Every folder here is imported, so a new benchmark is a new folder and nothing else lists it."""

import importlib
import pkgutil

from meow.benchmark import tofu  # noqa: F401  (registers `tofu`)
from meow.benchmark.generate import forget_sizes, generate, make_benchmark
from meow.benchmark.registry import BENCHMARKS, Benchmark

for _folder in pkgutil.iter_modules(__path__):
    if _folder.ispkg and not _folder.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_folder.name}")

__all__ = ["BENCHMARKS", "Benchmark", "forget_sizes", "generate", "make_benchmark"]
