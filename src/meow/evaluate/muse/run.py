"""`meow eval-muse`'s work as functions: evaluate a model folder on a MUSE-layout benchmark into an evaluation folder,
against a retain model, its saved evaluation or a published AUC."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from meow.config import validate_config
from meow.evaluate.muse.evaluator import MuseConfig
from meow.io import read_json_file


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
    """`meow eval-muse` as a function (also run by `meow demo --benchmark muse`): evaluate `model` on the MUSE
    folder `data` into `out` (eval.json, summary.json, config.json); returns summary.json content."""
    import gc

    from meow.evaluate.muse.data import load_muse
    from meow.evaluate.muse.evaluator import run_sets, summarize_muse
    from meow.io import package_versions, prepare_output, write_json
    from meow.modeling import load_lm

    validate_config(cfg)
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
