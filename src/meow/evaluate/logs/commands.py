"""`meow summarize LOGS [--retain-eval RETAIN] [--out DIR] [--force]`: aggregates recomputed from per-question
values of any supported evaluation log (meow, TOFU, open-unlearning; see `meow.evaluate.logs`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from meow import options as O
from meow.evaluate.base import FORGET, REAL_AUTHORS, RETAIN, WORLD_FACTS

# TOFU's aggregate_eval_stat.py names -> (split, metric) of meow's summary
TOFU_NAMES = {f"{label} {name}": (split, metric)
              for split, name in ((RETAIN, "Retain"), (REAL_AUTHORS, "Real Authors"), (WORLD_FACTS, "Real World"),
                                  (FORGET, "Forget"))
              for label, metric in (("ROUGE", "rouge_l_recall"), ("Prob.", "probability"),
                                    ("Truth Ratio", "truth_ratio"))}


def tofu_table(summary: dict[str, Any]) -> dict[str, float | None]:
    """The summary under TOFU's names (get_model_utility's keys, 'Model Utility', 'Forget Quality')."""
    out: dict[str, float | None] = {}
    for name, (split, metric) in TOFU_NAMES.items():
        entry = summary.get("splits", {}).get(split, {}).get(metric)
        out[name] = entry.get("value") if isinstance(entry, dict) else None
    out["Model Utility"] = summary.get("model_utility", {}).get("value")
    out["Forget Quality"] = summary.get("forget_quality", {}).get("value")
    return out


def summarize_logs(logs: str | Path, retain_eval: str | Path | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """(eval.json content, summary.json content) of `logs` against `retain_eval` (either in any supported format)."""
    from meow.evaluate.aggregate import summarize
    from meow.evaluate.logs import read_eval_logs

    ev = read_eval_logs(logs)
    retain = read_eval_logs(retain_eval) if retain_eval else None
    summary = summarize(ev, retain)
    summary["log_format"] = ev.get("log_format")
    summary["retain_log_format"] = retain.get("log_format") if retain else None
    summary["tofu_names"] = tofu_table(summary)
    if ev.get("reference_values"):
        summary["reference_values"] = ev["reference_values"]  # the log's own agg_value, side by side
    return ev, summary


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "summarize", help="recompute forget quality, model utility, truth ratios, ROUGE, PrivLeak from eval logs",
        description="Aggregates recomputed from per-question values. LOGS and --retain-eval may each be a `meow eval` "
        "folder, TOFU's eval output (folder of eval_log.json, eval_log_forget.json, eval_real_author_wo_options.json, "
        "eval_real_world_wo_options.json, or eval_log_aggregated.json) or open-unlearning's TOFU_EVAL.json.")
    p.add_argument("logs", metavar="LOGS", help="evaluation logs of the model")
    p.add_argument("--retain-eval", default=None, metavar="RETAIN",
                   help="evaluation logs of the retain model (forget quality, PrivLeak)")
    O.out(p, "write eval.json, summary.json, config.json here", required=False, default=None, metavar="DIR")
    O.force(p, "replace an existing --out folder")
    p.set_defaults(func=run_summarize)


def run_summarize(args: argparse.Namespace) -> int:
    from rich.console import Console

    from meow.evaluate.results import EvalResult
    from meow.evaluate.table import print_summary
    from meow.io import package_versions, prepare_output

    out = None
    if args.out:
        out = prepare_output(args.out, kind="dir", force=args.force, inputs=[args.logs, args.retain_eval])
    ev, summary = summarize_logs(args.logs, args.retain_eval)
    console = Console()
    print_summary(summary, console)
    if out is not None:
        EvalResult(ev, summary).save(out, {"command": "summarize", "logs": args.logs, "retain_eval": args.retain_eval,
                                           "log_format": summary["log_format"],
                                           "retain_log_format": summary["retain_log_format"],
                                           "versions": package_versions("scipy")})
        console.print(f"wrote {out / 'eval.json'}, {out / 'summary.json'}, {out / 'config.json'}")
    return 0
