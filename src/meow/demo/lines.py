"""The one-line result the demo prints after each finished stage, read back from the stage's outputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
            if s.get("kind") == "muse":  # meow eval-muse: MUSE's headline numbers
                return ", ".join(f"{label} {_num((s.get(key) or {}).get('value'))}" for key, label in (
                    ("verbmem_forget", "VerbMem forget"), ("knowmem_forget", "KnowMem forget"),
                    ("knowmem_retain", "KnowMem retain"), ("privleak", "PrivLeak")))
            fq = (s.get("forget_quality") or {}).get("value")
            hit = s.get("splits", {}).get("forget", {}).get("fact_hit", {}).get("value")
            return (f"model utility {_num((s.get('model_utility') or {}).get('value'))}"
                    + (f", forget quality {_num(fq)}" if fq is not None else "") + f", forget key-fact acc. {_num(hit)}")
        if kind == "train":
            m = read_json(run / "models" / rest.split()[0] / "meow.json")
            return f"{m.get('records')} records, mean training loss {_num(m.get('train_loss'))}"
        if kind == "unlearn":
            s = read_json(run / "models" / rest / "unlearn_summary.json")
            return f"{s['rows']} rows, {s['steps']} steps, last loss {_num(s.get('final_loss'))}"
        if kind in ("seeds", "sweep"):
            t = read_json(run / ("seeds" if kind == "seeds" else "sweeps") / rest / "sweep.json")
            return f"{len(t['points'])} point(s) x {len(t['seeds'])} seed(s)" + (
                f"; {len(t['notes'])} note(s)" if t.get("notes") else "")
    except (OSError, ValueError, KeyError, TypeError):
        return ""
    return ""
