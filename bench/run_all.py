"""Every speed / memory benchmark, side by side in one run; one line per benchmark with its ratio.

    python bench/run_all.py            # all
    python bench/run_all.py memo       # only those whose name contains "memo"

Each benchmark is a module in this folder with `main(argv) -> dict` that prints its own result line; this script
runs them in turn and repeats the headline lines at the end.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import sys
import time
from pathlib import Path

BENCHMARKS = ["bench_memo", "bench_npo_memory", "bench_rmu_reference", "bench_scoring_memory", "bench_validate"]


class Tee(io.TextIOBase):
    """Write to the terminal and keep a copy (the headline is the benchmark's last line)."""

    def __init__(self, *streams: io.TextIOBase):
        self.streams = streams

    def write(self, text: str) -> int:
        for s in self.streams:
            s.write(text)
        return len(text)

    def flush(self) -> None:
        for s in self.streams:
            s.flush()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    sys.path.insert(0, str(Path(__file__).parent))
    chosen = [b for b in BENCHMARKS if not argv or any(a in b for a in argv)]
    lines = []
    for name in chosen:
        start = time.time()
        print(f"== {name}", flush=True)
        captured = io.StringIO()
        with contextlib.redirect_stdout(Tee(sys.stdout, captured)):
            importlib.import_module(name).main([])
        headline = [ln for ln in captured.getvalue().splitlines() if ln.strip()][-1]
        lines.append(f"{headline}  ({time.time() - start:.0f} s)")
    print("\n".join(["", "summary:", *lines]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
