"""The known-facts options of `meow benchmark make` and what they run (called through the benchmark registry)."""

from __future__ import annotations

import argparse
from typing import Any

from meow import options as O


def add_known_facts_arguments(g: Any) -> None:
    """Its `meow benchmark make` options, into the registry's argument group (shared: OUT_DIR, --seed, --force)."""
    O.model(g, "the model to probe (a folder or hub id)", required=False, metavar="DIR")
    g.add_argument("--forget-entities", type=int, default=4, metavar="N",
                   help="whole entities to forget (default 4)")
    g.add_argument("--neighbours", type=int, default=2, metavar="K",
                   help="entities of the same kind kept as neighbours of each forget target (default 2)")
    g.add_argument("--bank", default=None, metavar="DIR",
                   help="a question bank folder (<kind>.json in the built-in bank's format; default: built-in)")
    g.add_argument("--probe-tokens", type=int, default=None, metavar="N",
                   help="longest greedy answer when probing (default 24)")
    g.add_argument("--batch-size", type=int, default=32, help="prompts per generation batch (default 32)")
    O.dtype(g)
    O.device(g)
    O.progress(g)
    g.add_argument("--prompt-format", default=None, metavar="NAME",
                   help="the model's prompt format: plain, chat, tags:... or a preset (default: meow.json, else "
                   "guessed; SmolLM2 folders without meow.json: chat)")


def make_known_facts_cli(args: argparse.Namespace) -> int:
    import re
    from pathlib import Path

    from rich.console import Console
    from rich.table import Table

    from meow.benchmark.known_facts.make import MAX_NEW_TOKENS, make_known_facts
    from meow.errors import MeowError
    from meow.io import prepare_output
    from meow.modeling import load_lm
    from meow.modeling.prompt import parse

    if not args.model:
        raise MeowError("--kind known-facts needs --model DIR (the model whose knowledge is probed)")
    for flag, value, low in (("--forget-entities", args.forget_entities, 1), ("--neighbours", args.neighbours, 1),
                             ("--batch-size", args.batch_size, 1), ("--probe-tokens", args.probe_tokens or 1, 1),
                             ("--seed", args.seed, 0)):
        if value < low:
            raise MeowError(f"{flag} {value}: expected a whole number >= {low}")
    ours = (Path(args.out_dir) / "benchmark.json").is_file()
    prepare_output(args.out_dir, kind="dir", force=args.force, replace_ok=ours, option="OUT_DIR",
                   inputs=[args.model])
    lm = load_lm(args.model, dtype=args.dtype, device=args.device,
                 fmt=parse(args.prompt_format) if args.prompt_format else None)
    manifest = make_known_facts(args.out_dir, lm, forget_entities=args.forget_entities, neighbours=args.neighbours,
                                seed=args.seed, max_new_tokens=args.probe_tokens or MAX_NEW_TOKENS,
                                batch_size=args.batch_size, bank=args.bank)
    table = Table(title=f"known-facts benchmark written to {args.out_dir}")
    for col in ("split", "records", "entities"):
        table.add_column(col, justify="left" if col == "split" else "right")
    roles = manifest["roles"]
    ents = {"forget": "forget", "forget_perturbed": "forget", "retain": "retain", "retain_perturbed": "neighbour",
            "holdout": "neighbour", "world_facts_perturbed": "general"}
    sizes = [n for n in manifest["splits"] if re.fullmatch(r"forget_\d+", n)]
    for name, count in manifest["splits"].items():
        if not re.fullmatch(r"(forget|holdout)_\d+(_perturbed)?", name):
            table.add_row(name, str(count), ", ".join(roles[ents[name]]) if name in ents else "")
    console = Console()
    console.print(table)
    console.print(f"nested sizes for `meow sweep --grid forget_size=1,...,{len(sizes)}`: " + ", ".join(
        f"{n} ({manifest['splits'][n]})" for n in sizes) + " (the first k forget entities; holdout_k: their "
        "kinds' neighbours)")
    n_known = sum(manifest["splits"][s] for s in ("forget", "retain", "retain_perturbed", "world_facts_perturbed"))
    console.print(f"probe: {n_known} questions kept in roles ({'reused' if manifest['probe_reused'] else 'probed'}); "
                  f"per entity: {Path(args.out_dir) / 'probe_report.json'}")
    console.print(f"evaluate with `meow eval --model M --data {args.out_dir} --forget-split forget "
                  f"--mia-reference-model {args.model}` ({manifest['reference']})")
    return 0
