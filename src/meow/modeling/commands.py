"""`meow train`."""

from __future__ import annotations

import argparse

from meow import options as O
from meow.config import add_arguments, number, overrides_from_args
from meow.modeling.finetune import HF_DEFAULTS, TINY_DEFAULTS, TrainConfig
from meow.modeling.prompt_cli import add_prompt_arguments, prompt_format_from_args
from meow.modeling.tiny import TinyConfig


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="fine-tune a causal LM on question/answer records (or train a tiny one from scratch)",
                       description="Fine-tune on QA pairs, loss on answer tokens only. The prompt format is recorded "
                       "in the saved folder's meow.json and reused by every later stage.")
    p.add_argument("--data", required=True, help="records file, or a folder together with --split; a text corpus "
                   "(.txt, JSON strings / 'text' objects) trains on every token of its passages")
    p.add_argument("--split", default=None, help="split name inside --data (e.g. full, retain90)")
    O.out(p, "output model folder")
    src = p.add_mutually_exclusive_group(required=True)
    O.model(src, "Hugging Face causal LM: local folder or hub id", required=False)
    src.add_argument("--init", choices=["tiny", "random"], help="tiny: build a small Llama and a BPE tokenizer from "
                     "scratch (offline); random: a random-initialised --arch model around --tokenizer-from's tokenizer")
    p.add_argument("--tokenizer-from", default=None, help="with --init tiny: reuse this folder's tokenizer; "
                   "with --init random: the tokenizer (its whole vocabulary, special tokens and chat template)")
    p.add_argument("--arch", default="llama", help="with --init random: llama, qwen3, phi, gemma3, gemma2, mistral "
                   "(shaped by the tiny-model options)")
    O.config(p, "training options")
    p.add_argument("--check", type=number(int, ge=0), default=200, metavar="N",
                   help="after training, answer N training questions greedily and report key-fact accuracy and "
                   "ROUGE-L recall (0 = skip)")
    O.force(p)
    O.progress(p)
    p.add_argument("--verbose", action="store_true", help="also print the Trainer's log lines (loss, learning "
                   "rate, grad norm); they always go to the model folder's train_log.jsonl")
    add_arguments(p.add_argument_group("training"), TrainConfig)
    add_arguments(p.add_argument_group("tiny model (with --init tiny or random; vocab_size: tiny only)"), TinyConfig)
    add_prompt_arguments(p)
    p.set_defaults(func=run_train)


def run_train(args: argparse.Namespace) -> int:
    from rich.console import Console

    from meow.config import check_fields, load_yaml, resolve
    from meow.io import prepare_output
    from meow.modeling.train import train

    prepare_output(args.out, kind="dir", force=args.force, inputs=[args.data, args.model, args.tokenizer_from,
                                                                    args.config])
    preset = TINY_DEFAULTS if args.init else HF_DEFAULTS
    yaml_values = load_yaml(args.config) if args.config else {}
    check_fields(TrainConfig, yaml_values, args.config or "options")
    cfg = resolve(TrainConfig, None, {**preset, **yaml_values, **overrides_from_args(args, TrainConfig)})
    tiny = resolve(TinyConfig, None, overrides_from_args(args, TinyConfig))
    console = Console(stderr=True)
    fmt = prompt_format_from_args(args, args.model or args.tokenizer_from)
    lm, meta = train(args.data, args.split, args.out, args.model, args.init, cfg, tiny, args.tokenizer_from, args.force,
                     fmt, arch=args.arch)
    console.print(f"[bold]saved[/] {args.out}: {meta['records']} records, {meta['train_seconds']} s, "
                  f"final loss {meta['train_loss']:.4f}")
    if args.check and meta.get("data_kind") != "text":  # passages have no questions to check
        from meow.evaluate.train_check import memorisation_check

        memorisation_check(lm, args.data, args.split, args.check, args.out, console)
    return 0
