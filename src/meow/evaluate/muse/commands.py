"""`meow eval-muse`: MUSE's VerbMem, KnowMem (forget, retain) and PrivLeak of a model."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from meow import options as O
from meow.config import add_arguments
from meow.evaluate.muse.evaluator import MuseConfig
from meow.io import read_json_file


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


def load_muse_eval(path: str | Path) -> dict[str, Any]:
    """eval.json content of a `meow eval-muse` folder."""
    from meow.errors import MeowError

    file = Path(path) / "eval.json" if Path(path).is_dir() else Path(path)
    if not file.is_file():
        raise MeowError(f"{path}: no eval.json (write one with `meow eval-muse --out {path}`)")
    data = read_json_file(file)
    if not isinstance(data, dict) or data.get("kind") != "muse":
        raise MeowError(f"{file}: not an eval.json written by `meow eval-muse`")
    return data


def published_auc(value: str | None) -> float | None:
    """--retain-auc: a number in (0, 1), or news / books for muse_bench's AUC_RETRAIN values."""
    from meow.errors import MeowError
    from meow.evaluate.muse.evaluator import PUBLISHED_RETRAIN_AUC

    if value is None:
        return None
    if value.lower() in PUBLISHED_RETRAIN_AUC:
        return PUBLISHED_RETRAIN_AUC[value.lower()]
    try:
        auc = float(value)
    except ValueError:
        auc = -1.0
    if not 0 < auc < 1:
        raise MeowError(f"--retain-auc {value}: expected a number between 0 and 1, or news / books")
    return auc


def evaluate_muse_dirs(model: str, data: str, out: str, cfg: MuseConfig, retain_model: str | None = None,
                       retain_eval: str | None = None, force: bool = False, dtype: str = "auto",
                       device: str | None = None, retain_auc: str | None = None,
                       mia_reference_model: str | None = None) -> dict[str, Any]:
    """The command's work as a function (used by `meow demo --benchmark muse`); returns summary.json content."""
    import gc

    from meow.evaluate.muse.data import load_muse
    from meow.evaluate.muse.evaluator import run_sets, summarize_muse
    from meow.io import package_versions, prepare_output, write_json
    from meow.modeling import load_lm

    cfg.check()
    published = published_auc(retain_auc)
    outp = prepare_output(out, kind="dir", force=force, inputs=[model, data, retain_model, retain_eval,
                                                                      mia_reference_model])
    muse = load_muse(data)
    retain = load_muse_eval(retain_eval) if retain_eval else None
    versions = package_versions("rouge-score", "transformers", "torch")
    ref_lm = (load_lm(mia_reference_model, dtype=dtype, device=device)
              if mia_reference_model and "privleak" in cfg.metrics else None)
    if retain_model:
        rlm = load_lm(retain_model, dtype=dtype, device=device)
        retain = run_sets(rlm, muse, cfg, privleak_only=True, reference_lm=ref_lm)
        rdir = outp / "retain_model"
        write_json(rdir / "eval.json", retain)
        write_json(rdir / "summary.json", summarize_muse(retain))
        write_json(rdir / "config.json", {"command": "eval-muse (retain model: PrivLeak only)", "model": retain_model,
                                          "data": str(data), "files": muse.sources, "versions": versions})
        del rlm
        gc.collect()
    lm = load_lm(model, dtype=dtype, device=device)
    ev = run_sets(lm, muse, cfg, reference_lm=ref_lm)
    summary = summarize_muse(ev, retain, published)
    write_json(outp / "eval.json", ev)
    write_json(outp / "summary.json", summary)
    write_json(outp / "config.json", {"command": "eval-muse", "model": model, "data": str(data), "files": muse.sources,
                                      "missing": muse.missing, "retain_model": retain_model, "retain_eval": retain_eval, "retain_auc": published,
                                      "mia_reference_model": mia_reference_model,
                                      "dtype": dtype, "device": device, "options": cfg.__dict__, "versions": versions})
    return summary


def run_eval_muse(args: argparse.Namespace) -> int:
    from meow.config import overrides_from_args, resolve

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
