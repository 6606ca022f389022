"""TOFU's evaluation logs (locuslab/tofu evaluate_util.py `get_all_evals`, written per task as eval_task.json and
together as eval_log_aggregated.json) as meow records.

Per file, dicts keyed by question index: `avg_gt_loss` (mean token NLL of the answer), `avg_paraphrased_loss`
(of the paraphrased answer on forget/retain, of the answer itself on real authors / world facts: TOFU's
base_answer_key), `average_perturb_loss` (list per question), `rougeL_recall`, `generated_text` ([input,
generation, ground truth]). aggregate_eval_stat.py derives from them: probability exp(-avg_gt_loss) (forget,
retain) or exp(-gt) / (exp(-gt) + sum exp(-perturbed)) (real authors, world facts); truth ratio
exp(mean perturbed - paraphrased) = 1/R; meow's records hold R and log R (same aggregates, same KS p-value).
"""

from __future__ import annotations

from typing import Any

from meow.errors import MeowError
from meow.evaluate.base import FORGET, REAL_AUTHORS, RETAIN, WORLD_FACTS
from meow.evaluate.logs.records import loss_record, number, numbers, sort_key

TOFU_FILES = {"eval_log.json": RETAIN, "eval_log_forget.json": FORGET,
              "eval_real_author_wo_options.json": REAL_AUTHORS, "eval_real_world_wo_options.json": WORLD_FACTS}


def is_tofu(data: Any) -> bool:
    """eval_log_aggregated.json: {file name: {"avg_gt_loss": {...}, ...}}."""
    return (isinstance(data, dict) and bool(data) and set(data) <= set(TOFU_FILES)
            and all(isinstance(v, dict) and "avg_gt_loss" in v for v in data.values()))


def _split_records(split: str, log: dict[str, Any], where: str) -> list[dict[str, Any]]:
    gt = log.get("avg_gt_loss")
    if not isinstance(gt, dict):
        raise MeowError(f"{where}: 'avg_gt_loss' must map question indices to losses")
    para = log.get("avg_paraphrased_loss") or {}
    pert = log.get("average_perturb_loss") or {}
    rouge = log.get("rougeL_recall") or {}
    texts = log.get("generated_text") or {}
    out = []
    for idx in sorted(gt, key=sort_key):
        text = texts.get(idx)
        extra: dict[str, Any] = {"rouge_l_recall": number(rouge.get(idx))}
        if isinstance(text, list) and len(text) == 3 and all(isinstance(t, str) for t in text):
            extra["generation"], extra["answer"] = text[1], text[2]
        p = pert.get(idx)
        out.append(loss_record(split, idx, number(gt[idx]), number(para.get(idx)),
                               numbers(p) if isinstance(p, list) else [x] if (x := number(p)) is not None else None,
                               **extra))
    return out


def from_tofu(logs: dict[str, Any], source: str) -> dict[str, Any]:
    """eval.json content from {TOFU file name: its content}."""
    splits, absent = {}, {}
    for name, split in TOFU_FILES.items():
        if name not in logs:
            absent[split] = f"{source}: no {name}"
            continue
        if not isinstance(logs[name], dict):
            raise MeowError(f"{source}: {name} must be a JSON object")
        splits[split] = {"source": f"{source}: {name}", "records": _split_records(split, logs[name], f"{source}: {name}")}
    return {"format": 1, "model": source, "missing_splits": absent, "splits": splits}
