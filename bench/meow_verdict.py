"""Does plain MEOW forget while keeping utility? Read saved sweeps (`meow sweep` / `meow demo --sweep` sweep.json)
and print, per point: forget key-fact accuracy, model utility as a share of the target's, and whether both criteria
of issue 14 hold (forget key-fact accuracy <= 0.1, model utility >= 0.9 x the target's).

    python bench/meow_verdict.py bench/results/pretrain_meow/*.sweep.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

MAX_FORGET_KFA, MIN_UTILITY_SHARE = 0.1, 0.9


def verdict(table: dict) -> list[str]:
    mu_target = table["target"]["values"]["model_utility"]
    lines = []
    for p in table["points"]:
        v = {k: p["values"][k]["mean"] for k in ("forget_fact_hit", "model_utility", "forget_quality",
                                                  "retain_fact_hit")}
        lo = {k: p["values"][k]["min"] for k in ("model_utility",)}
        hi = {k: p["values"][k]["max"] for k in ("forget_fact_hit",)}
        share = v["model_utility"] / mu_target
        ok = hi["forget_fact_hit"] <= MAX_FORGET_KFA and lo["model_utility"] / mu_target >= MIN_UTILITY_SHARE
        lines.append(f"{table['method']:8} {p['name']:28} seeds {len(p['seeds'])}  forget KFA {v['forget_fact_hit']:.3f}"
                     f"  MU {v['model_utility']:.3f} = {share:.3f} x target  FQ {v['forget_quality']:.3g}"
                     f"  retain KFA {v['retain_fact_hit']:.3f}  {'PASS' if ok else 'fail'}")
    return lines


def main(paths: list[str]) -> int:
    for path in paths:
        table = json.loads(Path(path).read_text(encoding="utf-8"))
        print(f"{path}: target model utility {table['target']['values']['model_utility']:.3f}")
        print("\n".join(verdict(table)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
