"""`meow demo`: the whole pipeline on a built-in benchmark (`--benchmark tofu`, the default, or `muse`)."""

from __future__ import annotations

import argparse
import dataclasses

from meow.config import add_arguments, overrides_from_args, resolve
from meow.demo.muse import MuseDemoConfig, run_muse_demo
from meow.demo.tofu import DemoConfig, run_demo


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the whole pipeline on the built-in benchmark (offline, a few minutes)",
                       description="benchmark -> train target and retain models -> invert -> MEMO -> unlearn with "
                       "MEOW and baselines -> evaluate -> attack -> report. Re-running reuses finished stages.")
    p.add_argument("--out", default="meow-demo", help="run folder (default: meow-demo)")
    p.add_argument("--config", default=None, help="YAML file of demo options")
    p.add_argument("--force", action="store_true", help="re-run every stage even if it is done")
    p.add_argument("--sweep", dest="sweep", action="store_const", const=True, default=None,
                   help="also sweep every method over --sweep-grid and plot the frontier (longer; an estimate is "
                   "printed first)")
    p.add_argument("--verbose", action="store_true", help="also print the Trainer's log lines and inner progress")
    add_arguments(p, DemoConfig, exclude=("sweep",))
    p.add_argument("--benchmark", default=None, choices=("tofu", "muse", "known-facts"),
                   help="tofu: fictitious authors (default); muse: the text pipeline on MUSE-format news articles "
                        "(meow.demo.muse; options shared by name, others via --config); known-facts: unlearning "
                        "what --model learned in pre-training (meow.demo.known_facts; the default with --model)")
    p.add_argument("--model", default=None, metavar="DIR",
                   help="a pretrained model folder (e.g. SmolLM2-135M-Instruct from `meow model get`): the "
                        "known-facts demo on it")
    from meow.demo.known_facts import KnownFactsDemoConfig

    add_arguments(p.add_argument_group("--benchmark known-facts (other options shared by name)"),
                  KnownFactsDemoConfig, exclude=("model", *(f.name for f in dataclasses.fields(DemoConfig))))
    p.add_argument("--articles", type=int, default=None, help="--benchmark muse: articles per raw split (default 8)")
    p.set_defaults(func=_run_demo_cli)


def _run_demo_cli(args: argparse.Namespace) -> int:
    benchmark = args.benchmark or ("known-facts" if args.model else "tofu")
    if benchmark == "known-facts":
        from meow.demo.known_facts import KnownFactsDemoConfig, check_model_argument, run_known_facts_demo

        cfg = resolve(KnownFactsDemoConfig, args.config, overrides_from_args(args, KnownFactsDemoConfig))
        cfg.model = check_model_argument(args.model or cfg.model)
        run_known_facts_demo(args.out, cfg, force=args.force)
        return 0
    if args.model and benchmark == "muse":
        from meow.errors import MeowError

        raise MeowError("--model with --benchmark muse: not supported (the MUSE demo trains its own tiny models)")
    if benchmark == "muse":
        run_muse_demo(args.out, resolve(MuseDemoConfig, args.config, overrides_from_args(args, MuseDemoConfig)),
                      force=args.force)
        return 0
    overrides = overrides_from_args(args, DemoConfig)
    if args.model:  # TOFU's fine-tuning of a pretrained model: its learning rate and epochs unless given
        from meow.demo.known_facts import check_model_argument

        overrides = {"train_lr": 1e-5, "train_epochs": 5.0, **overrides, "base_model": check_model_argument(args.model)}
    cfg = resolve(DemoConfig, args.config, overrides)
    run_demo(args.out, cfg, force=args.force)
    return 0
