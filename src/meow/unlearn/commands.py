"""`meow unlearn` and `meow methods`."""

from __future__ import annotations

import argparse
import dataclasses

from meow import options as O
from meow.config import add_arguments, number, overrides_from_args


def add_commands(sub: argparse._SubParsersAction) -> None:
    from meow.modeling.prompt_cli import add_prompt_arguments
    from meow.unlearn.config import UnlearnConfig, method_defaults, method_fields

    p = sub.add_parser(
        "unlearn", help="unlearn a forget set from a model (MEOW or a baseline)",
        description="Fine-tune a model so that it forgets the forget set: MEOW (NLL on the least/most memorised "
        "inverted facts) or a baseline (ga, gd, npo, simnpo, dpo, idk, ...; see `meow methods`). Runs on the "
        "transformers Trainer: `accelerate launch -m meow unlearn ...` or `torchrun -m meow unlearn ...` for "
        "DDP / DeepSpeed / FSDP. Options: defaults < --config YAML < flags.")
    O.model(p, "model to unlearn: folder or hub id")
    O.forget(p, "forget records (JSON / JSONL; MEOW needs inverted_answers), or a text corpus (.txt, or JSON "
             "strings / 'text' objects: chunked to --max-length, loss on every token)")  # or --sequence
    O.retain(p, "retain records or text corpus, for methods with a retain term")
    p.add_argument("--sequence", default=None, metavar="F1,F2,...",
                   help="sequential requests instead of --forget (or `requests:` in --config): each unlearned from "
                   "the previous one's model, into OUT/step_k/, evaluated after each step on every earlier request "
                   "(meow.unlearn.sequence; `meow benchmark make --requests` writes such files)")
    p.add_argument("--data", default=None, metavar="DIR", help="--sequence: TOFU-named evaluation files (retain, "
                   "real authors, world facts, holdout) evaluated after every step; text requests: a MUSE-layout "
                   "folder (`meow eval-muse`'s sets)")
    p.add_argument("--invert-n", type=number(int, ge=1), default=4, metavar="N",
                   help="--sequence, meow family: inverted facts per question (rules backend) when a request has none")
    O.out(p, "output folder (model + unlearn_config.yaml + logs)")
    O.config(p, "options (training and method hyperparameters)")
    O.force(p)
    O.progress(p)
    p.add_argument("--verbose", action="store_true", help="also print the Trainer's log lines (loss, learning "
                   "rate, grad norm); they always go to the model folder's train_log.jsonl")
    p.add_argument("--no-auto-memo", dest="auto_memo", action="store_const", const=False, default=None,
                   help="fail instead of computing missing MEMO scores")
    p.add_argument("--merge", action="store_const", const=True, default=None,
                   help="with LoRA: save the merged model instead of the adapter")
    add_arguments(p.add_argument_group("training"), UnlearnConfig, exclude=("auto_memo", "merge"))
    group = p.add_argument_group("method hyperparameters (each method takes its own; default per method)")
    fields = method_fields()
    Options = dataclasses.make_dataclass("MethodOptions", [
        (name, f.type, dataclasses.field(default=None, metadata={
            "help": f"{f.metadata.get('help', '')} (defaults: {method_defaults(name)})"}))
        for name, f in fields.items()])
    add_arguments(group, Options)
    add_prompt_arguments(p)
    p.set_defaults(func=run_unlearn, method_options=list(fields))

    m = sub.add_parser("methods", help="list the unlearning methods", description="List unlearning methods.")
    m.set_defaults(func=run_methods)


def run_unlearn(args: argparse.Namespace) -> int:
    from rich.console import Console

    from meow.modeling.prompt_cli import prompt_format_from_args
    from meow.unlearn.config import UnlearnConfig, resolve_configs
    from meow.unlearn.run import is_main_process, unlearn

    overrides = overrides_from_args(args, UnlearnConfig)
    overrides.update({k: getattr(args, k) for k in args.method_options if getattr(args, k, None) is not None})
    from meow.unlearn.sequence import sequence_request_files

    requests = sequence_request_files(args.sequence, args.config, args.forget)  # None: one forget set
    if requests is None and args.data is not None:
        from meow.errors import MeowError

        raise MeowError("--data: only applies with --sequence (evaluation after each request)")
    cfg, method = resolve_configs(args.config, overrides, ignore=("requests",))
    console = Console(stderr=True)
    if requests is not None:
        return run_sequence_cli(args, requests, cfg, method, console)
    s = unlearn(args.model, args.forget, args.out, cfg, method, retain=args.retain, force=args.force,
                console=console, prompt_format=prompt_format_from_args(args, args.model))
    if is_main_process():
        loss = "n/a" if s["final_loss"] is None else f"{s['final_loss']:.4f}"
        console.print(f"[bold]saved[/] {s['out']}: {s['method']} on {s['rows']} rows, {s['steps']} steps in "
                      f"{s['train_seconds']:.1f} s ({s['seconds_per_step'] * 1000:.0f} ms/step), last logged loss {loss}")
        if s.get("eval"):
            console.print("last evaluation: " + ", ".join(
                f"{k} {v:.4g}" for k, v in s["eval"].items() if v is not None))
        if s.get("best"):
            b = s["best"]
            console.print(f"best {b['metric']}: {b['value']} at step {b['step']} -> {b['path']}")
    return 0


def run_sequence_cli(args: argparse.Namespace, requests: list[str], cfg: object, method: object, console: object
                     ) -> int:
    from meow.modeling.prompt_cli import prompt_format_from_args
    from meow.report.sequence import write_sequence_plots
    from meow.unlearn.sequence import run_sequence

    table = run_sequence(args.model, requests, args.out, cfg, method, retain=args.retain, data=args.data,
                         invert_n=args.invert_n, force=args.force, console=console,
                         prompt_format=prompt_format_from_args(args, args.model))
    plots = write_sequence_plots(args.out)  # OUT/plots: sustainability figures and their points
    console.print(f"[bold]saved[/] {args.out}: {len(table['steps'])} steps (step_1 .. step_{len(table['steps'])}), "
                  f"sequence.json, " + ", ".join(str(p) for p in plots))
    return 0


def run_methods(args: argparse.Namespace) -> int:
    from meow.unlearn.methods import METHODS

    width = max(map(len, METHODS.names()))
    for name in METHODS.names():
        print(f"{name:<{width}}  {METHODS.get(name).summary()}")
    return 0
