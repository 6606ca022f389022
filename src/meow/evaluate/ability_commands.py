"""`meow eval-nlu`, `meow eval-nlg` and `meow attack NAME`: does utility survive, and do the facts stay forgotten?"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from meow import options as O
from meow.config import add_arguments
from meow.evaluate.nlg import NLGConfig
from meow.evaluate.nlu import DEFAULT_TASKS, NLUConfig
from meow.io import package_versions, prepare_output, staged_dir


def add_commands(sub: argparse._SubParsersAction) -> None:
    add_nlu(sub)
    add_nlg(sub)
    add_attack(sub)


def _model_flags(p: argparse.ArgumentParser) -> None:
    from meow.modeling.prompt_cli import add_prompt_arguments

    O.model(p)
    O.dtype(p)
    O.device(p)
    O.config(p)
    O.force(p)
    O.progress(p)
    add_prompt_arguments(p)


def _prepare(args: argparse.Namespace, *inputs: str | None) -> Path:
    """The output policy (meow.io.prepare_output) and the device check, before anything is loaded."""
    from meow.config import check_device

    out = prepare_output(args.out, kind="dir", force=args.force, inputs=[args.model, args.config, *inputs])
    check_device(args.device)
    return out


def _options(args: argparse.Namespace, cls: type) -> Any:
    from meow.config import overrides_from_args, resolve

    return resolve(cls, args.config, overrides_from_args(args, cls))


# ---------------------------------------------------------------- eval-nlu

def add_nlu(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval-nlu", help="general language understanding via lm-evaluation-harness (PIQA, ARC, ...)",
                       description="Runs lm-eval tasks on a meow model (multiple choice: acc and acc_norm). Offline "
                       "use: --include-path DIR of task YAMLs with `dataset_path: json` and local data_files. "
                       "Writes nlu.json, samples.jsonl and config.json into --out. Needs the `nlu` extra (lm-eval).")
    _model_flags(p)
    p.add_argument("--tasks", default=",".join(DEFAULT_TASKS), help="comma-separated lm-eval task names "
                   f"(default: {','.join(DEFAULT_TASKS)})")
    p.add_argument("--include-path", default=None, metavar="DIR", help="folder of extra task YAMLs (override "
                   "built-in tasks of the same name)")
    O.out(p, "output folder")
    add_arguments(p.add_argument_group("options"), NLUConfig)
    p.set_defaults(func=run_nlu_cmd)


def run_nlu_cmd(args: argparse.Namespace) -> int:
    import dataclasses

    from rich.console import Console

    from meow.evaluate.nlu import nlu_table, require_lm_eval, run_nlu, write_nlu
    from meow.modeling import load_lm
    from meow.modeling.prompt_cli import prompt_format_from_args

    out = _prepare(args, args.include_path)
    require_lm_eval()
    cfg = _options(args, NLUConfig)
    lm = load_lm(args.model, dtype=args.dtype, device=args.device, fmt=prompt_format_from_args(args, args.model))
    res = run_nlu(lm, args.tasks.split(","), args.include_path, cfg)
    with staged_dir(out) as tmp:
        write_nlu(tmp, res, {"command": "eval-nlu", "model": args.model, "tasks": args.tasks,
                             "include_path": args.include_path, "dtype": args.dtype, "device": args.device,
                             "options": dataclasses.asdict(cfg), "versions": package_versions("lm-eval")})
    console = Console()
    console.print(nlu_table(res["nlu"]))
    console.print(f"wrote {out / 'nlu.json'}, {out / 'samples.jsonl'}, {out / 'config.json'}")
    return 0


# ---------------------------------------------------------------- eval-nlg

def add_nlg(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval-nlg", help="open-ended generation: BLEU, Rep-3 and MAUVE of text continuations",
                       description="Continues each text from its first --prefix-tokens tokens and compares the "
                       "continuations with the true ones: corpus BLEU (sacrebleu), Rep-3, and MAUVE when "
                       "--mauve-featurizer is given (needs the `mauve` extra). Writes nlg.json, generations.jsonl "
                       "and config.json into --out.")
    _model_flags(p)
    p.add_argument("--texts", required=True, metavar="FILE", help="JSON / JSON Lines (strings or objects with "
                   "`text`) or .txt (one text per line)")
    O.out(p, "output folder")
    p.add_argument("--mauve-featurizer", default=None, metavar="PATH", help="causal LM whose last hidden state "
                   "featurises texts for MAUVE (e.g. a gpt2-large folder); MAUVE is skipped without it")
    add_arguments(p.add_argument_group("options"), NLGConfig)
    p.set_defaults(func=run_nlg_cmd)


def run_nlg_cmd(args: argparse.Namespace) -> int:
    import dataclasses

    from rich.console import Console

    from meow.evaluate.nlg import load_texts, nlg_table, require_mauve, run_nlg, write_nlg
    from meow.modeling import load_lm
    from meow.modeling.prompt_cli import prompt_format_from_args

    out = _prepare(args, args.texts, args.mauve_featurizer)
    cfg = _options(args, NLGConfig)
    if args.mauve_featurizer:
        require_mauve()  # fail before any long work
    texts = load_texts(args.texts)
    lm = load_lm(args.model, dtype=args.dtype, device=args.device, fmt=prompt_format_from_args(args, args.model))
    featurizer = load_lm(args.mauve_featurizer, dtype=args.dtype, device=args.device) if args.mauve_featurizer else None
    res = run_nlg(lm, texts, cfg, featurizer, source=args.texts)
    with staged_dir(out) as tmp:
        write_nlg(tmp, res, {"command": "eval-nlg", "model": args.model, "texts": args.texts,
                             "mauve_featurizer": args.mauve_featurizer, "dtype": args.dtype, "device": args.device,
                             "options": dataclasses.asdict(cfg),
                             "versions": package_versions("sacrebleu", "mauve-text")})
    console = Console()
    console.print(nlg_table(res["nlg"]))
    console.print(f"wrote {out / 'nlg.json'}, {out / 'generations.jsonl'}, {out / 'config.json'}")
    return 0


# ---------------------------------------------------------------- attack

def add_attack(sub: argparse._SubParsersAction) -> None:
    from meow.evaluate.attacks import ATTACKS

    p = sub.add_parser("attack", help="try to pull forgotten facts back out: " + ", ".join(ATTACKS.names()),
                       description="Runs an attack on the forget set and writes eval.json, summary.json and "
                       "config.json (as `meow eval`) into --out, with the attack's headline numbers under "
                       "summary.json's `attack`; comparison runs (before, retain model) go into sub-folders.")
    attacks = p.add_subparsers(dest="attack", metavar="ATTACK", required=True)
    for name in ATTACKS.names():
        att = ATTACKS.get(name)
        a = attacks.add_parser(name, help=att.description.split(":")[0], description=att.description)
        _model_flags(a)
        a.add_argument("--data", default=None, help="folder of TOFU-named files (or a hub id)")
        O.forget_split(a, "forget10", "forget split inside --data (default: forget10; its _perturbed file is read)")
        O.forget(a, "forget records file; overrides --data")
        O.out(a, "output folder")
        a.add_argument("--retain-model", default=None, metavar="DIR",
                       help="the retain model, attacked the same way for comparison")
        if name == "relearn":
            a.add_argument("--retain-eval", default=None, metavar="DIR", help="the retain model's `meow eval` folder: "
                           "forget-quality reference when --retain-model is not given")
            a.add_argument("--verbose", action="store_true", help="also show the relearning run's bar and log lines")
        add_arguments(a.add_argument_group(f"{name} options"), att.config)
        a.set_defaults(func=run_attack_cmd)


def run_attack_cmd(args: argparse.Namespace) -> int:
    import dataclasses

    from rich.console import Console

    from meow.evaluate.attacks import ATTACKS, attack_table, run_attack, write_attack
    from meow.evaluate.attacks.base import validate
    from meow.evaluate.base import FORGET
    from meow.evaluate.logs import read_eval_logs
    from meow.evaluate.splits import load_splits
    from meow.modeling import load_lm
    from meow.modeling.prompt_cli import prompt_format_from_args

    att = ATTACKS.get(args.attack)
    retain_eval_dir = getattr(args, "retain_eval", None)
    out = _prepare(args, args.retain_model, retain_eval_dir, args.data, args.forget)
    cfg = _options(args, att.config)
    splits, sources, _ = load_splits(args.data, args.forget_split, {FORGET: args.forget})
    records, source = splits[FORGET], sources[FORGET]
    prepare_output(out, kind="dir", force=args.force, inputs=[source])
    validate(args.attack, records, source, **dataclasses.asdict(cfg))  # before loading any model
    retain_eval = read_eval_logs(retain_eval_dir) if retain_eval_dir else None  # meow, TOFU or open-unlearning
    lm = load_lm(args.model, dtype=args.dtype, device=args.device, fmt=prompt_format_from_args(args, args.model))
    retain_lm = load_lm(args.retain_model, dtype=args.dtype, device=args.device,
                        fmt=prompt_format_from_args(args, args.retain_model)) if args.retain_model else None
    res = run_attack(args.attack, lm, records, retain_lm=retain_lm, retain_eval=retain_eval, source=source,
                     **dataclasses.asdict(cfg))
    config = {"command": f"attack {args.attack}", "model": args.model, "data": args.data,
              "forget_split": args.forget_split, "forget": source, "retain_model": args.retain_model,
              "retain_eval": retain_eval_dir, "dtype": args.dtype, "device": args.device,
              "options": dataclasses.asdict(cfg), "versions": package_versions("rouge-score", "scipy")}
    with staged_dir(out) as tmp:
        write_attack(tmp, res, config)
    console = Console()
    console.print(attack_table(res["summary"]))
    subs = "".join(f", {out / s}/" for s in res["parts"])
    console.print(f"wrote {out / 'eval.json'}, {out / 'summary.json'}, {out / 'config.json'}{subs}")
    return 0
