"""`meow eval-muse`: MUSE's VerbMem, KnowMem (forget, retain) and PrivLeak of a model."""

from __future__ import annotations

import argparse
from pathlib import Path

from meow import options as O
from meow.config import add_arguments
from meow.evaluate.muse.evaluator import MuseConfig


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval-muse", help="MUSE's VerbMem, KnowMem (forget / retain) and PrivLeak of a model",
        description="MUSE (swj0419/muse_bench) as its metrics/ and eval.py compute it: VerbMem (greedy 128-token "
        "continuations, ROUGE-L F1), KnowMem forget / retain (few-shot QA, 32 tokens, ROUGE-L F1) and PrivLeak "
        "(Min-40%% AUC forget vs holdout against the retain model's; 0.5 without one), plus PrivLeak per membership "
        "attack of `meow eval` (privleak.by_attack). Writes eval.json, "
        "summary.json and config.json into --out.")
    O.model(p)
    p.add_argument("--data", required=True, help="folder in MUSE's layout (verbmem/, knowmem/, privleak/) or a hub "
                   "id such as muse-bench/MUSE-News")
    ref = p.add_mutually_exclusive_group()
    ref.add_argument("--retain-model", default=None, metavar="DIR",
                     help="the retain model: its PrivLeak AUC is computed first (saved in OUT/retain_model)")
    ref.add_argument("--retain-eval", default=None, metavar="DIR", help="the retain model's `meow eval-muse` folder")
    ref.add_argument("--retain-auc", default=None, metavar="AUC|news|books",
                     help="the retrained model's published AUC as muse_bench's constants.py lists it "
                          "(forget_holdout_Min-40%%; news = 0.4772, books = 0.5393), instead of a retain model")
    p.add_argument("--mia-reference-model", default=None, metavar="DIR",
                   help="reference model of the Reference membership attack on the PrivLeak passages (passage loss "
                   "minus this model's; e.g. the base model before fine-tuning)")
    O.out(p, "output folder")
    O.force(p)
    O.dtype(p)
    O.device(p)
    O.config(p)
    O.progress(p)
    add_arguments(p.add_argument_group("options"), MuseConfig)
    p.set_defaults(func=run_eval_muse)


def run_eval_muse(args: argparse.Namespace) -> int:
    from meow.config import overrides_from_args, resolve
    from meow.evaluate.muse.run import evaluate_muse_dirs

    cfg = resolve(MuseConfig, args.config, overrides_from_args(args, MuseConfig))
    s = evaluate_muse_dirs(args.model, args.data, args.out, cfg, args.retain_model, args.retain_eval, args.force,
                           args.dtype, args.device, args.retain_auc, args.mia_reference_model)
    for name in ("verbmem_forget", "knowmem_forget", "knowmem_retain", "privleak"):
        e = s[name]
        print(f"{name:15s} {'n/a' if e['value'] is None else format(e['value'], '.2f'):>8s}"
              + (f"  ({e['reason']})" if e["value"] is None else ""))
    if s["privleak"].get("reference", "").startswith("no retain"):
        print(f"privleak: {s['privleak']['reference']}")
    print(f"wrote {Path(args.out) / 'eval.json'}, summary.json, config.json")
    return 0
