"""`meow memo`: memorisation scores of each record's answer and inverted answers."""

from __future__ import annotations

import argparse

from meow.config import add_arguments, overrides_from_args
from meow.memo.metrics import MEMO_METRICS, MemoConfig


def add_commands(sub: argparse._SubParsersAction) -> None:
    from meow import options as O
    from meow.memo import el, ma, memo  # noqa: F401  (register the metrics; light imports)
    from meow.modeling.prompt_cli import add_prompt_arguments

    p = sub.add_parser("memo", help="score how memorised each answer and inverted answer is (MEMO, MA, EL)",
                       description="Attach memorisation scores to every record: memo: {metric, mode, stride, "
                       "max_new_tokens, answer: float, inverted_answers: [float, ...]}; other fields are kept. "
                       f"Metrics: {', '.join(MEMO_METRICS.names())} (higher = more memorised). MEMO, suffix mode: "
                       "greedy continuations of the question in the model's prompt format followed by the answer's "
                       "first 1, 1+s, 1+2s, ... characters, scored by ROUGE-1 precision against the rest of the "
                       "answer, averaged. Prefix mode continues the raw question's first characters instead. "
                       "Also writes OUT's .summary.json (means of original vs inverted answers, options used).")
    O.model(p, "model folder (from `meow train`) or hub id")
    O.forget(p, "the forget records with inverted_answers (from `meow invert`), or a folder together with "
             "--forget-split", required=True, old=("--data",))
    O.forget_split(p, help="split name inside the --forget folder", old=("--split",))
    O.out(p, "output records file (.jsonl: JSON Lines, else a JSON list); never the input file")
    O.dtype(p)
    O.force(p)
    O.device(p)
    O.progress(p)
    add_arguments(p.add_argument_group("scoring"), MemoConfig)
    add_prompt_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from meow.config import resolve
    from meow.io import prepare_output
    from meow.memo.api import run_memo, summary_path
    from meow.modeling.prompt_cli import prompt_format_from_args

    prepare_output(args.out, kind="file", force=args.force, inputs=[args.model, args.forget],
                   also=[summary_path(args.out)])
    cfg = resolve(MemoConfig, None, overrides_from_args(args, MemoConfig))
    s = run_memo(args.model, args.forget, args.out, args.forget_split, cfg, args.dtype, args.device, force=args.force,
                 prompt_format=prompt_format_from_args(args, args.model))

    def fmt(x: float | None) -> str:
        return "n/a" if x is None else f"{x:.3f}"

    options = f"{s['options']['mode']} mode" + (f", stride {cfg.stride}" if cfg.metric == "memo" else "")
    Console(stderr=True, soft_wrap=True).print(
        f"{cfg.metric.upper()} ({options}) on {s['records']} records in {s['seconds']} s: "
        f"original answers {fmt(s['answer']['mean'])}, inverted answers {fmt(s['inverted_answers']['mean'])} "
        f"({s['inverted_answers']['count']}); original above its inverted mean in "
        f"{fmt(s['answer_above_inverted_mean'])} of records\nwrote {args.out} and {summary_path(args.out)}")
    return 0
