"""Keep N cores busy for at most LIMIT seconds, then stop by itself: the load under which the suite must still pass.

    python scripts/burn_cpu.py [--procs N] [--limit SECONDS]

N processes spin on integer arithmetic (no memory traffic worth noting) until the limit, or until SIGTERM / SIGINT
reaches the parent, which then ends its children. The limit makes a forgotten burner harmless.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import sys
import time


def spin(until: float) -> None:
    x = 0
    while time.monotonic() < until:
        for _ in range(100_000):
            x = (x * 1103515245 + 12345) & 0xFFFFFFFF


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--procs", type=int, default=os.cpu_count() or 2, help="busy processes (default: one per core)")
    p.add_argument("--limit", type=float, default=3600.0, help="stop after this many seconds (default 3600)")
    args = p.parse_args(argv)
    if args.procs < 1 or args.limit <= 0:
        p.error("--procs must be at least 1 and --limit above 0")
    until = time.monotonic() + args.limit
    workers = [multiprocessing.Process(target=spin, args=(until,), daemon=True) for _ in range(args.procs)]
    for w in workers:
        w.start()

    def stop(*_: object) -> None:
        for w in workers:
            w.terminate()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"burn_cpu: {args.procs} process(es) busy for at most {args.limit:.0f} s (pid {os.getpid()})", flush=True)
    for w in workers:
        w.join()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
