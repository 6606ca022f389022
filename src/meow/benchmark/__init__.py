"""Built-in benchmarks, generated offline and deterministically, each registered once in `BENCHMARKS`
(meow.benchmark.registry): `tofu` (TOFU-shaped fictitious authors: generate.py, registered in tofu.py) and `muse`
(invented news articles in MUSE's layout: muse/, registered in muse/benchmark.py)."""

from meow.benchmark import tofu  # noqa: F401  (registers the benchmarks, in the order --help lists them)
from meow.benchmark.generate import forget_sizes, generate, make_benchmark
from meow.benchmark.known_facts import benchmark as _known_facts  # noqa: F401
from meow.benchmark.muse import benchmark as _muse  # noqa: F401
from meow.benchmark.registry import BENCHMARKS, Benchmark

__all__ = ["BENCHMARKS", "Benchmark", "forget_sizes", "generate", "make_benchmark"]
