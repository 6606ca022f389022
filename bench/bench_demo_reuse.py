"""The demo's evaluation-side stages with and without `meow.modeling.reuse`, side by side on one machine.

    python bench/bench_demo_reuse.py OUT [--authors N] [demo flags...]

1. `meow demo` into OUT/base (everything computed).
2. Three copies of its run folder, each with the stages that read models (eval, memo after unlearning, attacks,
   NLG) marked unfinished, re-run in turn: reuse off, on, off again (the two "off" runs bracket the "on" run, so a
   change in the machine's load shows). Training, MEMO of the target and unlearning are reused, so they are equal.
3. Per kind of stage: seconds of each run; and whether every result file of "on" equals "off" (wall-clock fields
   and paths left out), else which values moved and by how much.
Writes OUT/bench_demo_reuse.json.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

KINDS = ("eval", "memo", "attack", "nlg")  # stages that read a model; "memo (target)" feeds unlearning: kept
CLOCK = re.compile(r"seconds|created|time|elapsed|started|finished|duration")
OFF = "import contextlib, meow.modeling.reuse as r; r.reuse = contextlib.nullcontext; "


def demo(out: Path, flags: list[str], reuse: bool) -> None:
    code = ("" if reuse else OFF) + "from meow.cli import main; import sys; sys.exit(main(sys.argv[1:]))"
    subprocess.run([sys.executable, "-c", code, "demo", "--out", str(out), *flags], check=True,
                   stdout=subprocess.DEVNULL)


def reopen(base: Path, out: Path) -> None:
    """A copy of `base` whose model-reading stages must run again."""
    shutil.copytree(base, out)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["stages"] = {k: v for k, v in manifest["stages"].items()
                          if k.split()[0] not in KINDS or k == "memo (target)"}
    (out / "manifest.json").write_text(json.dumps(manifest))


def seconds(run: Path) -> dict[str, float]:
    out: dict[str, float] = {}
    for t in json.loads((run / "timings.json").read_text()):
        kind = t["stage"].split()[0]
        if kind in KINDS and t["stage"] != "memo (target)" and not t["reused"]:
            out[kind] = round(out.get(kind, 0.0) + t["seconds"], 1)
    return out


def numbers(x: object) -> object:
    if isinstance(x, dict):
        return {k: numbers(v) for k, v in x.items() if not CLOCK.search(k)}
    return [numbers(v) for v in x] if isinstance(x, list) else x


def results(run: Path) -> dict[str, object]:
    out = {}
    for folder in ("evals", "attacks", "nlg"):
        for p in sorted((run / folder).rglob("*.json")):
            if p.name != "config.json":
                out[p.relative_to(run).as_posix()] = numbers(json.loads(p.read_text().replace(str(run), "RUN")))
    out["report/table.json"] = numbers(json.loads((run / "report" / "table.json").read_text().replace(str(run), "RUN")))
    return out


def moved(a: object, b: object, path: str = "") -> list[tuple[str, object, object]]:
    """Leaves that differ: (path, a, b)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b)) for d in moved(a.get(k), b.get(k), f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in moved(x, y, f"{path}[{i}]")]
    return [] if a == b else [(path, a, b)]


def main(argv: list[str]) -> int:
    out, flags = Path(argv[0]), argv[1:]
    out.mkdir(parents=True, exist_ok=True)
    start = time.time()
    if not (out / "base" / "report").is_dir():
        demo(out / "base", flags, reuse=True)
    runs = {}
    for name, on in (("off", False), ("on", True), ("off_again", False)):
        shutil.rmtree(out / name, ignore_errors=True)
        reopen(out / "base", out / name)
        demo(out / name, flags, reuse=on)
        runs[name] = seconds(out / name)
    diffs = [(f, *d) for f, v in results(out / "off").items() for d in moved(v, results(out / "on").get(f), "")]
    numeric = [abs(a - b) / max(abs(a), abs(b), 1e-300) for _, _, a, b in diffs
               if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool)]
    report = {"flags": flags, "seconds": runs, "totals": {k: round(sum(v.values()), 1) for k, v in runs.items()},
              "moved": len(diffs), "largest_relative_move": max(numeric, default=0.0),
              "non_numeric_moves": [f"{f}{p}" for f, p, a, b in diffs if not isinstance(a, (int, float))][:20],
              "examples": [f"{f}{p}: {a} -> {b}" for f, p, a, b in diffs[:10]],
              "bench_seconds": round(time.time() - start, 1)}
    (out / "bench_demo_reuse.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
