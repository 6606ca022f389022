"""`meow demo`: the whole pipeline on a registered benchmark (`--benchmark NAME`, meow.benchmark.BENCHMARKS); each
benchmark names its demo module, which defines CONFIG (its options dataclass) and run(out, cfg, force)."""

from __future__ import annotations

import argparse
import dataclasses
import importlib

from meow import kernels
from meow import options as O
from meow.benchmark import BENCHMARKS
from meow.config import add_arguments, overrides_from_args, resolve
from meow.demo.tofu import DemoConfig


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the whole pipeline on the built-in benchmark (offline, a few minutes)",
                       description="benchmark -> train target and retain models -> invert -> MEMO -> unlearn with "
                       "MEOW and baselines -> evaluate -> attack -> report. Re-running reuses finished stages.")
    O.out(p, "run folder (default: meow-demo)", required=False, default="meow-demo")
    O.config(p, "demo options")
    O.force(p, "re-run every stage even if it is done")
    O.progress(p)
    p.add_argument("--sweep", dest="sweep", action="store_const", const=True, default=None,
                   help="also sweep every method over --sweep-grid and plot the frontier (longer; an estimate is "
                   "printed first)")
    p.add_argument("--verbose", action="store_true", help="also print the Trainer's log lines and inner progress")
    kernels.add_flag(p)
    p.add_argument("--scaling", dest="scaling", action="store_const", const=True, default=None,
                   help="also unlearn every method at each TOFU forget size up to --forget-split and plot forget / "
                   "utility against the size (meow.demo.scaling; one more run per method and size)")
    add_arguments(p, DemoConfig, exclude=("sweep", "scaling"))
    p.add_argument("--benchmark", default=None, choices=BENCHMARKS.names(),  # None: known-facts with --model, else tofu
                   help="; ".join(f"{n}: {BENCHMARKS.get(n).title} ({BENCHMARKS.get(n).demo})" for n in BENCHMARKS.names())
                   + ". Options are shared by name with the TOFU demo's")
    taken = {f.name for f in dataclasses.fields(DemoConfig)}
    for name in BENCHMARKS.names():  # each other demo's own options, once each (a shared name is one flag)
        config = importlib.import_module(BENCHMARKS.get(name).demo).CONFIG
        own = tuple(f.name for f in dataclasses.fields(config) if f.name in taken)
        if len(own) < len(dataclasses.fields(config)):
            add_arguments(p.add_argument_group(f"--benchmark {name} (other options shared by name)"), config,
                          exclude=own)
        taken |= {f.name for f in dataclasses.fields(config)}
    p.set_defaults(func=_run_demo_cli)


def _run_demo_cli(args: argparse.Namespace) -> int:
    from meow.demo.known_facts import (
        model_overrides,  # --model: the known-facts demo, or TOFU from that model
    )

    name = args.benchmark or ("known-facts" if getattr(args, "model", None) else "tofu")
    demo = importlib.import_module(BENCHMARKS.get(name).demo)
    overrides = model_overrides(name, getattr(args, "model", None), overrides_from_args(args, demo.CONFIG))
    own = {f.name for f in dataclasses.fields(demo.CONFIG)} | {"model"}
    unused = [f"--{f.name.replace('_', '-')}" for f in dataclasses.fields(DemoConfig)
              if f.name not in own and getattr(args, f.name, None) is not None]
    if unused:  # another demo's option: say so rather than drop it silently
        from meow.errors import warn

        hint = (" (known facts: `meow benchmark make --kind known-facts --requests K`, then `meow unlearn --sequence`)"
                if "--requests" in unused else "")
        warn(f"{', '.join(unused)}: not an option of the {name} demo, ignored{hint}")
    demo.run(args.out, resolve(demo.CONFIG, args.config, overrides), force=args.force)
    return 0
