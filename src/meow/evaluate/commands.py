"""`meow eval` (and, from other issues, eval-nlu, eval-nlg, attack)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from meow import options as O
from meow.config import add_arguments
from meow.evaluate.evaluator import EvalConfig
from meow.io import package_versions, prepare_output, staged_dir

SKIP_FLAGS = {"generation": "greedy generation (and so ROUGE-L, key facts, fluency)",
              "memorisation": "exact memorisation and extraction strength",
              "mia": "membership inference", "fluency": "fluency (Rep-3, Brunet, Honore, perplexity, LS)"}


def add_commands(sub: argparse._SubParsersAction) -> None:
    add_eval(sub)


def add_eval(sub: argparse._SubParsersAction) -> None:
    from meow.modeling.prompt_cli import add_prompt_arguments

    p = sub.add_parser(
        "eval", help="TOFU metrics (forget quality, model utility), memorisation, MIA and fluency of a model",
        description="Per question: NLL of answer / paraphrase / perturbed answers, probability, greedy generation, "
        "ROUGE-L recall, truth ratio, key-fact hit, exact memorisation, extraction strength, MIA scores, fluency. "
        "Writes eval.json (per question), summary.json (aggregates) and config.json into --out.")
    O.model(p)
    data = p.add_argument_group("data (a folder of TOFU-named files and/or explicit files)")
    data.add_argument("--data", default=None, help="folder holding forgetXX_perturbed, retain_perturbed, "
                      "real_authors_perturbed, world_facts_perturbed, holdoutXX (.json/.jsonl), or a hub id")
    O.forget_split(data, "forget10", "forget split name inside --data (default: forget10)")
    O.forget(data, "forget set (question, answer, paraphrased_answer, perturbed_answer); overrides --data")
    O.retain(data, "retain set (as the forget set); overrides --data")
    for flag, what in (("--real-authors", "real-authors set (question, answer, perturbed_answer)"),
                       ("--world-facts", "world-facts set (question, answer, perturbed_answer)"),
                       ("--holdout", "held-out set for membership inference (question, answer)")):
        data.add_argument(flag, default=None, metavar="FILE", help=f"{what}; overrides --data")
    O.out(p, "output folder for eval.json, summary.json, config.json")
    ref = p.add_mutually_exclusive_group()
    ref.add_argument("--retain-eval", default=None, metavar="PATH",
                     help="the retain model's evaluation, for forget quality and PrivLeak: a `meow eval` folder, TOFU's "
                     "eval output (folder of eval_log*.json or eval_log_aggregated.json) or open-unlearning's "
                     "TOFU_EVAL.json")
    ref.add_argument("--retain-model", default=None, metavar="DIR",
                     help="the retain model: its forget/holdout values are computed first (saved in OUT/retain_model)")
    p.add_argument("--mia-reference-model", default=None, metavar="DIR",
                   help="reference model of the Reference membership attack (loss minus this model's loss; "
                   "e.g. the base model before fine-tuning, as open-unlearning's mia_reference)")
    p.add_argument("--fluency-model", default=None, metavar="DIR",
                   help="model that scores the perplexity of generations (default: the evaluated model)")
    O.dtype(p)
    O.device(p)
    O.config(p, "evaluation options")
    O.force(p)
    O.progress(p)
    opts = p.add_argument_group("evaluation options")
    add_arguments(opts, EvalConfig, exclude=tuple(SKIP_FLAGS))
    for name, what in SKIP_FLAGS.items():
        opts.add_argument(f"--no-{name}", dest=name, action="store_const", const=False, default=None,
                          help=f"skip {what}")
    add_prompt_arguments(p)  # applies to --model and --retain-model
    p.set_defaults(func=run_eval)


def run_eval(args: argparse.Namespace) -> int:
    from rich.console import Console

    from meow.config import check_device, overrides_from_args, resolve
    from meow.evaluate.logs import read_eval_logs
    from meow.evaluate.splits import check_splits, limit_splits, load_splits
    from meow.evaluate.table import print_summary

    console = Console()
    cfg = resolve(EvalConfig, args.config, overrides_from_args(args, EvalConfig))
    files = {"forget": args.forget, "retain": args.retain, "real_authors": args.real_authors,
             "world_facts": args.world_facts, "holdout": args.holdout}
    out = prepare_output(args.out, kind="dir", force=args.force, inputs=[
        args.model, args.retain_model, args.fluency_model, args.data, args.retain_eval, args.config,
        *files.values()])
    check_device(args.device)
    splits, sources, absent = load_splits(args.data, args.forget_split, files)
    check_splits(limit_splits(splits, cfg.limit)[0], sources)
    prepare_output(out, kind="dir", force=args.force, inputs=[*sources.values(), args.mia_reference_model])
    retain_eval: Any = read_eval_logs(args.retain_eval) if args.retain_eval else None
    with staged_dir(out) as tmp:
        result = _eval(args, cfg, (splits, sources, absent), retain_eval, tmp, console)
    print_summary(result.summary, console)
    console.print(f"wrote {out / 'eval.json'}, {out / 'summary.json'}, {out / 'config.json'}")
    return 0


def _eval(args: argparse.Namespace, cfg: EvalConfig, lm_splits: tuple, retain_eval: Any, tmp: Path,
          console: Any) -> Any:
    """Load the models, evaluate, write everything into the staging folder `tmp`; returns the EvalResult."""
    import dataclasses
    import gc

    from meow.evaluate.base import FORGET, HOLDOUT
    from meow.evaluate.evaluator import evaluate
    from meow.modeling import load_lm
    from meow.modeling.prompt_cli import prompt_format_from_args

    splits, sources, absent = lm_splits
    lm = load_lm(args.model, dtype=args.dtype, device=args.device,
                 fmt=prompt_format_from_args(args, args.model))  # fails fast, before any long work
    reference_lm = (load_lm(args.mia_reference_model, dtype=args.dtype, device=args.device)
                    if args.mia_reference_model and cfg.mia else None)
    if args.retain_model:
        retain_lm = load_lm(args.retain_model, dtype=args.dtype, device=args.device,
                            fmt=prompt_format_from_args(args, args.retain_model))
        console.print(f"retain model {args.retain_model}: scoring the forget and holdout sets")
        sub = {s: splits[s] for s in (FORGET, HOLDOUT) if s in splits}
        retain_eval = evaluate(retain_lm, sub, cfg=dataclasses.replace(cfg, generation=False, memorisation=False,
                                                                        fluency=False),
                               sources={s: sources[s] for s in sub}, reference_lm=reference_lm)
        retain_eval.save(tmp / "retain_model", {"command": "eval (retain model: forget and holdout only)",
                                                "model": args.retain_model, "files": {s: sources[s] for s in sub},
                                                "dtype": args.dtype, "versions": package_versions("rouge-score", "scipy")})
        del retain_lm
        gc.collect()
    fluency_lm = load_lm(args.fluency_model, dtype=args.dtype, device=args.device) if args.fluency_model else None
    result = evaluate(lm, splits, retain_eval, cfg=cfg, fluency_lm=fluency_lm, sources=sources, missing_splits=absent,
                      reference_lm=reference_lm)
    config = {"command": "eval", "model": args.model, "data": args.data, "forget_split": args.forget_split,
              "files": sources, "missing_splits": absent, "retain_eval": args.retain_eval,
              "retain_model": args.retain_model, "fluency_model": args.fluency_model,
              "mia_reference_model": args.mia_reference_model, "dtype": args.dtype,
              "prompt_format": lm.fmt.to_dict(),
              "device": args.device, "options": dataclasses.asdict(cfg), "versions": package_versions("rouge-score", "scipy")}
    result.save(tmp, config)
    return result
