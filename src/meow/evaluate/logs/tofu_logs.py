"""TOFU's evaluation logs (locuslab/tofu evaluate_util.py `get_all_evals`, written per task as eval_task.json and
together as eval_log_aggregated.json) as meow records.

Per file, dicts keyed by question index: `avg_gt_loss` (mean token NLL of the answer), `avg_paraphrased_loss`
(of the paraphrased answer on forget/retain, of the answer itself on real authors / world facts: TOFU's
base_answer_key), `average_perturb_loss` (list per question), `rougeL_recall`, `generated_text` ([input,
generation, ground truth]). aggregate_eval_stat.py derives from them: probability exp(-avg_gt_loss) (forget,
retain) or exp(-gt) / (exp(-gt) + sum exp(-perturbed)) (real authors, world facts); truth ratio
exp(mean perturbed - paraphrased) = 1/R; meow's records hold R and log R (same aggregates, same KS p-value).

The schema (`TOFU_LOG`, `TOFU_AGGREGATED`) is checked before any value is used: every field meow reads has its
declared type, and the per-question fields of one file cover the same questions.
"""

from __future__ import annotations

from typing import Any

from meow.errors import MeowError
from meow.evaluate.base import FORGET, REAL_AUTHORS, RETAIN, WORLD_FACTS
from meow.evaluate.logs.records import loss_record, sort_key
from meow.schema import AnyOf, ByIndex, ListOf, Num, Obj, Str, check, same_indices

TOFU_FILES = {"eval_log.json": RETAIN, "eval_log_forget.json": FORGET,
              "eval_real_author_wo_options.json": REAL_AUTHORS, "eval_real_world_wo_options.json": WORLD_FACTS}
PER_QUESTION = ("avg_gt_loss", "avg_paraphrased_loss", "average_perturb_loss", "rougeL_recall", "generated_text")
TOFU_LOG = Obj({"avg_gt_loss": ByIndex(Num()), "avg_paraphrased_loss": ByIndex(Num()),
                "average_perturb_loss": ByIndex(AnyOf((ListOf(Num()), Num()))), "rougeL_recall": ByIndex(Num()),
                "generated_text": ByIndex(ListOf(Str(nonempty=False), length=3))},
               optional=frozenset(PER_QUESTION[1:]))
TOFU_AGGREGATED = Obj(dict.fromkeys(TOFU_FILES, TOFU_LOG), optional=frozenset(TOFU_FILES), nonempty=True)


def is_tofu(data: Any) -> bool:
    """eval_log_aggregated.json: {file name: {"avg_gt_loss": {...}, ...}}."""
    return (isinstance(data, dict) and bool(data) and set(data) <= set(TOFU_FILES)
            and all(isinstance(v, dict) and "avg_gt_loss" in v for v in data.values()))


def check_log(log: Any, where: str) -> dict[str, Any]:
    """One TOFU log checked against TOFU_LOG, its per-question fields covering the same questions."""
    check(log, TOFU_LOG, where)
    same_indices({k: log[k] for k in PER_QUESTION if k in log}, where)
    return log


def _split_records(split: str, log: dict[str, Any]) -> list[dict[str, Any]]:
    gt = log["avg_gt_loss"]
    para, pert = log.get("avg_paraphrased_loss", {}), log.get("average_perturb_loss", {})
    rouge, texts = log.get("rougeL_recall", {}), log.get("generated_text", {})
    out = []
    for idx in sorted(gt, key=sort_key):
        extra: dict[str, Any] = {"rouge_l_recall": rouge.get(idx)}
        if idx in texts:
            extra["generation"], extra["answer"] = texts[idx][1], texts[idx][2]
        p = pert.get(idx)
        out.append(loss_record(split, idx, float(gt[idx]), para.get(idx),
                               [float(x) for x in p] if isinstance(p, list) else None if p is None else [float(p)],
                               **extra))
    return out


def from_tofu(logs: dict[str, Any], source: str) -> dict[str, Any]:
    """eval.json content from {TOFU file name: its content}; `source` names the folder or file they came from."""
    check(logs, TOFU_AGGREGATED, source)
    if not set(logs) & set(TOFU_FILES):
        raise MeowError(f"{source}: holds none of TOFU's logs ({', '.join(TOFU_FILES)}); found keys "
                        f"{', '.join(sorted(map(str, logs))[:4])}")
    splits, absent = {}, {}
    for name, split in TOFU_FILES.items():
        if name not in logs:
            absent[split] = f"{source}: no {name}"
            continue
        where = source if source.endswith(name) else f"{source}: {name}"
        splits[split] = {"source": where, "records": _split_records(split, check_log(logs[name], where))}
    return {"format": 1, "model": source, "missing_splits": absent, "splits": splits}
