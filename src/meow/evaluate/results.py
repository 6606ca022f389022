"""Evaluation results on disk: the eval.json / summary.json layout, writing them (`EvalResult.save`) and reading
eval.json back with its shape checked (`read_eval_data`). Below the evaluator (which runs the model) and below
`meow.evaluate.logs` (which reads other tools' logs into the same layout).

eval.json (every per-question value, so any aggregate can be recomputed with `summarize`):

    {"format": 1, "model": "path/or/id", "options": {EvalConfig},
     "limit": {"n": 300, "kept": {split: n}, "of": {split: total}} (only with --limit),
     "missing_splits": {"world_facts": "why it was not evaluated"},
     "splits": {"forget": {"source": "data/forget10_perturbed.json", "records": [
         {"index": 0, "question": ..., "answer": ..., "fact": ... (if given), "generation": "greedy answer",
          "n_tokens": 17, "nll_answer": 0.41, "nll_paraphrased": 1.2, "nll_perturbed": [2.1, ...],
          "probability": 0.66, "rouge_l_recall": 0.9, "truth_ratio": 0.35 (R itself), "log_truth_ratio": -1.05,
          "fact_hit": true,
          "exact_memorisation": 0.94, "extraction_strength": 0.8,
          "mia": {"loss": 0.41, "zlib": 0.008, "min_k": -2.3, "min_k_pp": -0.9, "gradnorm": 0.02,
                  "reference": -0.3 (with a reference model)},
          "rep3": 0.0, "brunet_index": 9.1, "honore_statistic": 650.2, "generation_ppl": 1.6,
          "unavailable": {"probability": "not finite (nan): ..."} (only where a value was not finite)}, ...]},
        "retain": {...}, "real_authors": {...}, "world_facts": {...}, "holdout": {...}},
     "mia": {"members": "forget", "nonmembers": "holdout", "auc": {"loss": 0.93, ...}} or {"reason": "..."}}

On real authors / world facts `nll_paraphrased` equals `nll_answer` (the answer stands in for the paraphrase).
A value that does not apply (no fact, generation off, a group switched off) is absent, never 0. A value that is not
finite (a collapsed model) is null, with the reason under the record's `unavailable`; the files are strict JSON.

summary.json:

    {"model": ..., "retain_model": ... (or null),
     "forget_quality": {"value": p or null, "reason": null or why, "description": ..., "ks_statistic": ...},
     "model_utility": {"value": ..., "reason": ..., "description": ..., "components": {"retain/probability": ...}},
     "mia_auc": {"value": min-k AUC, "by_attack": {...}, ...},
     "privleak": {"value": percent, "by_attack": {...}, "reference_auc": 0.5 or the retain model's,
                  "reference": "retain model" | "default 0.5 (no retain model ...)", ...},
     "splits": {"forget": {"probability": {"value": ..., "n": 40, "label": ..., "description": ...}, ...}, ...},
     "missing_splits": {...}, "unavailable": {"forget/probability": "3 of 40 questions: why"}, "limit": ...}
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from meow.errors import MeowError
from meow.evaluate import numerics
from meow.evaluate.base import METRICS
from meow.io import read_json_file, write_json
from meow.schema import AnyOf, Bool, ListOf, MapOf, Num, Obj, Str, check

FORMAT = 1


@dataclass
class EvalResult:
    """eval.json content (`data`) and summary.json content (`summary`)."""

    data: dict[str, Any]
    summary: dict[str, Any]

    def records(self, split: str) -> list[dict[str, Any]]:
        return self.data["splits"][split]["records"]

    def value(self, name: str, split: str | None = None) -> float | None:
        """A summary number: `value("model_utility")`, `value("truth_ratio", "forget")`; None if not computed."""
        entry = self.summary["splits"].get(split, {}).get(name) if split else self.summary.get(name)
        return entry.get("value") if isinstance(entry, dict) else None

    def save(self, out_dir: str | Path, config: dict[str, Any] | None = None) -> Path:
        """Write eval.json, summary.json and (if given) config.json into `out_dir`, atomically."""
        out = Path(out_dir)
        write_json(out / "eval.json", numerics.json_safe(self.data)[0], strict=True)
        write_json(out / "summary.json", numerics.json_safe(self.summary)[0], strict=True)
        if config is not None:
            write_json(out / "config.json", numerics.json_safe(config)[0], strict=True)
        return out


def read_eval_data(path: str | Path) -> tuple[dict[str, Any], Path]:
    """(eval.json content, the file) of an evaluation folder or its eval.json, its shape checked
    (`check_eval_data`); a one-line MeowError if it is missing or not meow's layout."""
    p = Path(path)
    file = p / "eval.json" if p.is_dir() else p
    if not file.is_file():
        raise MeowError(f"{path}: no eval.json (write one with `meow eval --out {path}`)")
    data = read_json_file(file)
    if not isinstance(data, dict) or not isinstance(data.get("splits"), dict):
        raise MeowError(f"{file}: not an eval.json written by `meow eval` (no 'splits')")
    check_eval_data(data, file)
    return data, file


def eval_schema() -> Obj:
    """What every reader of eval.json relies on (meow.schema): splits.<name>.records a list of objects whose metric
    values are finite numbers or null (`fact_hit` and `key_fact` also true / false, `mia` a group of scores), `question` a
    string."""
    hit = AnyOf((Bool(), Num(nullable=True)))  # per-question hits: TOFU's fact_hit, known facts' key_fact
    value = {name: Num(nullable=True) for name in METRICS.names()} | {
        "fact_hit": hit, "key_fact": hit, "mia": MapOf(Num(nullable=True))}
    record = Obj({"question": Str(nonempty=False), **value}, optional=frozenset({"question", *value}))
    return Obj({"splits": MapOf(Obj({"records": ListOf(record, nonempty=False, label="record")}))})


HEADLINES = ("forget_quality", "model_utility", "mia_auc", "privleak")


def summary_schema() -> Obj:
    """What readers of summary.json use: every aggregate an object whose `value` is a finite number or null."""
    entry = Obj({"value": Num(nullable=True), "n": Num()}, optional=frozenset({"n"}))
    return Obj({"splits": MapOf(MapOf(entry)), **{h: Obj({"value": Num(nullable=True)}) for h in HEADLINES}},
               optional=frozenset(HEADLINES))


def check_eval_data(data: dict[str, Any], file: object) -> None:
    """eval.json content against `eval_schema()`; one-line MeowError naming the first place that does not fit."""
    check(data, eval_schema(), file)
