"""`meow eval-muse`'s work as functions: evaluate a model folder on a MUSE-layout benchmark into an evaluation folder,
against a retain model, its saved evaluation or a published AUC."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from meow.config import validate_config
from meow.evaluate.muse.evaluator import MuseConfig
from meow.io import read_json_file
from meow.schema import MapOf, Num, Obj, Str, check

# what a retain model's eval.json must hold where it is read (PrivLeak's reference AUCs)
_PRIVLEAK = Obj({"auc": Num(nullable=True), "by_attack": MapOf(Num())}, optional=frozenset({"by_attack"}))
MUSE_EVAL = Obj({"model": Str(nonempty=False), "privleak": _PRIVLEAK}, optional=frozenset({"model", "privleak"}))


def load_muse_eval(path: str | Path) -> dict[str, Any]:
    """eval.json content of a `meow eval-muse` folder."""
    from meow.errors import MeowError

    file = Path(path) / "eval.json" if Path(path).is_dir() else Path(path)
    if not file.is_file():
        raise MeowError(f"{path}: no eval.json (write one with `meow eval-muse --out {path}`)")
    data = read_json_file(file)
    if not isinstance(data, dict) or data.get("kind") != "muse":
        raise MeowError(f"{file}: not an eval.json written by `meow eval-muse`")
    return check(data, MUSE_EVAL, file)


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
    from meow.evaluate.muse.evaluator import retain_auc as reference_auc
    from meow.evaluate.muse.evaluator import run_sets, summarize_muse
    from meow.io import package_versions, prepare_output, staged_dir, write_json
    from meow.modeling import load_lm

    validate_config(cfg)
    published = published_auc(retain_auc)
    outp = prepare_output(out, kind="dir", force=force, inputs=[model, data, retain_model, retain_eval,
                                                                      mia_reference_model])
    muse = load_muse(data)
    retain = load_muse_eval(retain_eval) if retain_eval else None
    if retain is not None and "privleak" in cfg.metrics:
        reference_auc(retain, published)  # its reference AUC is there (else one line now, before any model loads)
    versions = package_versions("rouge-score", "transformers", "torch")
    ref_lm = (load_lm(mia_reference_model, dtype=dtype, device=device)
              if mia_reference_model and "privleak" in cfg.metrics else None)
    files: dict[str, Any] = {}  # written together at the end (staged_dir): a failure or Ctrl-C leaves no OUT
    if retain_model:
        rlm = load_lm(retain_model, dtype=dtype, device=device)
        retain = run_sets(rlm, muse, cfg, privleak_only=True, reference_lm=ref_lm)
        files |= {"retain_model/eval.json": retain, "retain_model/summary.json": summarize_muse(retain),
                  "retain_model/config.json": {"command": "eval-muse (retain model: PrivLeak only)",
                                               "model": retain_model, "data": str(data), "files": muse.sources,
                                               "versions": versions}}
        del rlm
        gc.collect()
    lm = load_lm(model, dtype=dtype, device=device)
    ev = run_sets(lm, muse, cfg, reference_lm=ref_lm)
    summary = summarize_muse(ev, retain, published)
    files |= {"eval.json": ev, "summary.json": summary}
    files["config.json"] = {"command": "eval-muse", "model": model, "data": str(data), "files": muse.sources,
                            "missing": muse.missing, "retain_model": retain_model, "retain_eval": retain_eval,
                            "retain_auc": published, "mia_reference_model": mia_reference_model, "dtype": dtype,
                            "device": device, "options": cfg.__dict__, "versions": versions}
    with staged_dir(outp) as tmp:
        for name, content in files.items():
            write_json(tmp / name, content)
    return summary
