"""`meow train`."""

from __future__ import annotations

import argparse

from meow.config import add_arguments, overrides_from_args
from meow.modeling.tiny import TinyConfig
from meow.modeling.training import HF_DEFAULTS, TINY_DEFAULTS, TrainConfig


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="fine-tune a causal LM on question/answer records (or train a tiny one from scratch)",
                       description="Fine-tune on QA pairs, loss on answer tokens only. The prompt format is recorded "
                       "in the saved folder's meow.json and reused by every later stage.")
    p.add_argument("--data", required=True, help="records file, or a folder together with --split; a text corpus "
                   "(.txt, JSON strings / 'text' objects) trains on every token of its passages")
    p.add_argument("--split", default=None, help="split name inside --data (e.g. full, retain90)")
    p.add_argument("--out", required=True, help="output model folder")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--model", help="Hugging Face causal LM: local folder or hub id")
    src.add_argument("--init", choices=["tiny"], help="build a small Llama and a BPE tokenizer from scratch (offline)")
    p.add_argument("--tokenizer-from", default=None, help="with --init tiny: reuse this folder's tokenizer")
    p.add_argument("--config", default=None, help="YAML file of training options")
    p.add_argument("--check", type=int, default=200, metavar="N",
                   help="after training, answer N training questions greedily and report key-fact accuracy and "
                   "ROUGE-L recall (0 = skip)")
    p.add_argument("--force", action="store_true", help="replace --out if it exists")
    add_arguments(p.add_argument_group("training"), TrainConfig)
    add_arguments(p.add_argument_group("tiny model (with --init tiny)"), TinyConfig)
    p.set_defaults(func=run_train)


def run_train(args: argparse.Namespace) -> int:
    from rich.console import Console

    from meow.config import load_yaml, resolve
    from meow.modeling.train import train

    preset = TINY_DEFAULTS if args.init else HF_DEFAULTS
    yaml_values = load_yaml(args.config) if args.config else {}
    cfg = resolve(TrainConfig, None, {**preset, **yaml_values, **overrides_from_args(args, TrainConfig)})
    tiny = resolve(TinyConfig, None, overrides_from_args(args, TinyConfig))
    console = Console(stderr=True)
    lm, meta = train(args.data, args.split, args.out, args.model, args.init, cfg, tiny, args.tokenizer_from, args.force)
    console.print(f"[bold]saved[/] {args.out}: {meta['records']} records, {meta['train_seconds']} s, "
                  f"final loss {meta['train_loss']:.4f}")
    if args.check and meta.get("data_kind") != "text":  # passages have no questions to check
        from meow.modeling.check import memorisation_check

        memorisation_check(lm, args.data, args.split, args.check, args.out, console)
    return 0
