"""The one-line result the demo prints after each finished stage, read back from the stage's outputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from meow.benchmark import BENCHMARKS
from meow.io import read_json


def _num(v: Any) -> str:
    from meow.report.columns import fmt

    return fmt(v if isinstance(v, (int, float)) else None)


def stage_line(name: str, run: Path) -> str:
    """The one-line result of a finished stage, read from its outputs ('' when there is nothing short to say)."""
    kind, _, rest = name.partition(" ")
    try:
        if kind == "eval":
            s = read_json(run / "evals" / rest / "summary.json")
            bench, entries = BENCHMARKS.for_summary(s), []
            for keys, label, always in bench.headline if bench else ():  # its headline numbers
                entry = s
                for k in keys:
                    entry = entry.get(k) if isinstance(entry, dict) else None
                value = entry.get("value") if isinstance(entry, dict) else None
                if value is not None or always:
                    entries.append(f"{label} {_num(value)}")
            return ", ".join(entries)
        if kind == "train":
            m = read_json(run / "models" / rest.split()[0] / "meow.json")
            return f"{m.get('records')} records, mean training loss {_num(m.get('train_loss'))}"
        if kind == "unlearn":
            s = read_json(run / "models" / rest / "unlearn_summary.json")
            return f"{s['rows']} rows, {s['steps']} steps, last loss {_num(s.get('final_loss'))}"
        if kind in ("seeds", "sweep", "scaling"):
            t = read_json(run / {"seeds": "seeds", "sweep": "sweeps", "scaling": "scaling"}[kind] / rest / "sweep.json")
            return f"{len(t['points'])} point(s) x {len(t['seeds'])} seed(s)" + (
                f"; {len(t['notes'])} note(s)" if t.get("notes") else "")
        if kind == "sequence":
            t = read_json(run / "sequences" / rest / "sequence.json")
            last = t["steps"][-1]["values"]
            return f"{len(t['steps'])} requests; after the last: " + ", ".join(
                f"{k.replace('_', ' ')} {_num(v)}" for k, v in last.items())
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return ""
    return ""
