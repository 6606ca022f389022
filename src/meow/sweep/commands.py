"""`meow sweep`."""

from __future__ import annotations

import argparse
from pathlib import Path

from meow import kernels

MAX_RUNS = 100


def add_commands(sub: argparse._SubParsersAction) -> None:
    from meow import options as O

    p = sub.add_parser(
        "sweep", help="run one unlearning method over a grid of options and seeds: a forget-quality/utility frontier",
        description="Unlearn with --method at every point of the grid (default: learning rate x epochs around the "
        "base options; any `meow unlearn` option with --grid key=v1,v2), for each seed; evaluate every point "
        "against the retain model; write sweep.json, table.csv, table.md and frontier.png into --out. A re-run "
        "reuses every finished point. Base options: --config YAML and --set key=value.")
    p.add_argument("--method", required=True, help="unlearning method (see `meow methods`)")
    O.model(p, "the starting (target) model folder or hub id")
    O.forget(p, "forget records to unlearn (MEOW: with inverted_answers)", required=True)
    O.retain(p, "retain records, for methods with a retain term")
    p.add_argument("--data", default=None, help="evaluation data folder (TOFU-named files), as for `meow eval`")
    O.forget_split(p, "forget10", "forget split inside --data (default: forget10)")
    ref = p.add_mutually_exclusive_group()
    ref.add_argument("--retain-eval", default=None, metavar="DIR", help="the retain model's `meow eval` folder "
                     "(required unless --data is a known-facts benchmark, where no retain model exists)")
    ref.add_argument("--retain-model", default=None, metavar="DIR", help="the retain model (evaluated first)")
    p.add_argument("--target-eval", default=None, metavar="DIR", help="reuse this evaluation of --model")
    O.out(p, "sweep folder")
    p.add_argument("--grid", action="append", default=None, metavar="KEY=V1,V2",
                   help="one grid axis (repeatable), e.g. --grid lr=1e-4,3e-4 --grid lora_r=0,8; forget_size=1,5,10 "
                   "unlearns the forgetXX subsets of --forget (TOFU's nested splits of --data): the scalability plot; "
                   "spaces around values are ignored, an empty value is an error")
    p.add_argument("--seeds", type=int, default=1, help="seeds per point (default: 1), from the base seed "
                   "(--set seed=S) on; seed is no --grid axis")
    p.add_argument("--max-runs", type=int, default=MAX_RUNS, metavar="N",
                   help=f"refuse a sweep of more than N runs (points x seeds) before it starts (default: {MAX_RUNS})")
    O.config(p, "base unlearning options")
    p.add_argument("--set", action="append", default=None, metavar="KEY=VALUE",
                   help="one base option (repeatable), e.g. --set batch_size=8")
    p.add_argument("--max-new-tokens", type=int, default=None, help="evaluation generation length")
    p.add_argument("--eval-limit", type=int, default=None, metavar="N",
                   help="evaluate only the first N records of every split (as `meow eval --limit`)")
    p.add_argument("--keep-models", action="store_true", help="keep every unlearned model (default: numbers only)")
    O.force(p, "re-run every point even if its result exists")
    O.progress(p)
    kernels.add_flag(p)
    p.set_defaults(func=run_sweep_cli)


def run_sweep_cli(args: argparse.Namespace) -> int:
    from rich.console import Console

    from meow.errors import MeowError
    from meow.sweep.grid import parse_grid, parse_set
    from meow.unlearn.config import method_keys, train_keys

    if args.seeds < 1:
        raise MeowError(f"--seeds {args.seeds}: expected at least 1")
    known = train_keys() | method_keys(args.method) if args.method in _methods() else None
    if known is None:
        raise MeowError(f"--method {args.method!r}: unknown; choose from {', '.join(_methods())}")
    if args.max_runs < 1:
        raise MeowError(f"--max-runs {args.max_runs}: expected at least 1")
    grid = parse_grid(args.grid, (known - {"method"}) | {"forget_size"}) if args.grid else None  # sweep/sizes.py
    base = parse_set(args.set, known - {"method"})
    from meow.unlearn.config import resolve_configs

    resolve_configs(args.config, {"method": args.method})  # the --config file first: its errors name it
    _check_values("--set", {k: [v] for k, v in base.items()}, args, {})
    _check_values("--grid", {k: v for k, v in (grid or {}).items() if k != "forget_size"}, args, base)
    from meow.config import validate_config
    from meow.evaluate import EvalConfig
    from meow.io import write_json
    from meow.sweep.api import run_sweep
    from meow.sweep.table import to_markdown

    given = {"max_new_tokens": args.max_new_tokens, "limit": args.eval_limit}
    try:
        eval_cfg = validate_config(EvalConfig(**{k: v for k, v in given.items() if v is not None}))
    except MeowError as e:
        raise MeowError(f"--max-new-tokens / --eval-limit: {e}") from None
    console = Console()
    table = run_sweep(args.method, args.model, args.forget, args.out, data=args.data, forget_split=args.forget_split,
                      retain=args.retain, retain_eval=args.retain_eval, retain_model=args.retain_model,
                      target_eval=args.target_eval, grid=grid, seeds=args.seeds, base=base, config=args.config,
                      eval_cfg=eval_cfg, force=args.force, keep_models=args.keep_models, console=console,
                      max_runs=args.max_runs)
    write_json(Path(args.out) / "environment.json", kernels.environment())  # the CPU and kernels it ran on
    console.print(to_markdown([table]))
    console.print(f"wrote {args.out}/sweep.json, table.csv, table.md, frontier.png, environment.json")
    return 0


def _check_values(option: str, grid: dict, args: argparse.Namespace, base: dict) -> None:
    """Every value of every axis as an option of `meow unlearn` (with the base options), before anything starts;
    an error names the flag the user typed (`--grid epochs=0,5: value 0: ...`)."""
    from meow.errors import MeowError
    from meow.unlearn.config import resolve_configs

    for key, values in grid.items():
        for v in values:
            try:
                resolve_configs(args.config, {**base, key: v, "method": args.method})
            except MeowError as e:
                shown = ",".join(map(str, values))
                raise MeowError(f"{option} {key}={shown}: value {v!r}: {e}") from None


def _methods() -> list[str]:
    from meow.unlearn import METHODS

    return METHODS.names()
