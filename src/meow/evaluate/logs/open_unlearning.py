"""open-unlearning's TOFU_EVAL.json (src/evals/base.py `save_logs`) as meow records.

Every metric computed, pre-computed ones included, is saved under its config name: {"agg_value": ...,
"value_by_index": {idx: {...}}}. TOFU's (configs/eval/tofu_metrics/*.yaml): `<s>_Q_A_Prob` ({"prob",
"avg_loss"}), `<s>_Q_A_PARA_Prob` (forget, retain), `<s>_Q_A_PERT_Prob` (lists), `<s>_Q_A_ROUGE`
({"rougeL_recall", "generation", ...}), `<s>_Q_A_Prob_normalised` (ra, wf), truth ratios `forget_truth_ratio`,
`<s>_Truth_Ratio` ({"score": R = P_pert / P_correct}), with s = forget, retain, ra (real authors), wf (world
facts); `extraction_strength`, `exact_memorization` ({"score"}); MIA `mia_<attack>` with {"forget":
{"value_by_index"}, "holdout": {...}, "auc"} whose scores are loss-like (min_k and min_k_plus_plus negated
log-probs: meow stores them with the sign flipped, members higher). The log's own per-question probability and
truth ratio are kept as they are, so meow's aggregates equal open-unlearning's agg_value.
"""

from __future__ import annotations

from typing import Any

from meow.evaluate.base import FORGET, HOLDOUT, REAL_AUTHORS, RETAIN, WORLD_FACTS
from meow.evaluate.logs.records import loss_record, number, numbers, sort_key

PREFIX = {FORGET: "forget", RETAIN: "retain", REAL_AUTHORS: "ra", WORLD_FACTS: "wf"}
TRUTH_RATIO = {FORGET: "forget_truth_ratio", RETAIN: "retain_Truth_Ratio", REAL_AUTHORS: "ra_Truth_Ratio",
               WORLD_FACTS: "wf_Truth_Ratio"}
MIA = {"mia_loss": ("loss", 1.0), "mia_zlib": ("zlib", 1.0), "mia_min_k": ("min_k", -1.0),
       "mia_min_k_plus_plus": ("min_k_pp", -1.0), "mia_gradnorm": ("gradnorm", 1.0),
       "mia_reference": ("reference", 1.0)}
PER_QUESTION = {"extraction_strength": "extraction_strength", "exact_memorization": "exact_memorisation"}


def is_open_unlearning(data: Any) -> bool:
    return isinstance(data, dict) and bool(data) and all(
        isinstance(v, dict) and ("agg_value" in v or "value_by_index" in v) for v in data.values())


def _by_index(data: dict[str, Any], name: str) -> dict[str, Any]:
    entry = data.get(name)
    vbi = entry.get("value_by_index") if isinstance(entry, dict) else None
    return {k: v for k, v in vbi.items() if isinstance(v, dict)} if isinstance(vbi, dict) else {}


def _losses(entry: dict[str, Any] | None) -> Any:
    return entry.get("avg_loss") if isinstance(entry, dict) else None


def _split(data: dict[str, Any], split: str) -> list[dict[str, Any]]:
    p = PREFIX[split]
    prob, pert, rouge = (_by_index(data, f"{p}_Q_A_{k}") for k in ("Prob", "PERT_Prob", "ROUGE"))
    para = _by_index(data, f"{p}_Q_A_PARA_Prob") if split in (FORGET, RETAIN) else prob
    normalised = _by_index(data, f"{p}_Q_A_Prob_normalised")
    tr = _by_index(data, TRUTH_RATIO[split])
    indices = sorted(set(prob) | set(pert) | set(rouge) | set(para) | set(tr), key=sort_key)
    out = []
    for idx in indices:
        gen = rouge.get(idx, {})
        p_own = (normalised.get(idx, {}).get("prob") if split in (REAL_AUTHORS, WORLD_FACTS)
                 else prob.get(idx, {}).get("prob"))
        pl = _losses(pert.get(idx))
        rec = loss_record(split, idx, number(_losses(prob.get(idx))), number(_losses(para.get(idx))),
                          numbers(pl) if isinstance(pl, list) else [x] if (x := number(pl)) is not None else None,
                          probability=number(p_own), truth_ratio=number(tr.get(idx, {}).get("score")),
                          rouge_l_recall=number(gen.get("rougeL_recall")),
                          generation=gen.get("generation") if isinstance(gen.get("generation"), str) else None,
                          answer=gen.get("ground_truth") if isinstance(gen.get("ground_truth"), str) else None)
        out.append(rec)
    return out


def _attach_mia(data: dict[str, Any], splits: dict[str, dict[str, Any]]) -> None:
    holdout: dict[str, dict[str, Any]] = {}
    forget = {r["index"]: r for r in splits.get(FORGET, {}).get("records", [])}
    extra_forget: dict[str, dict[str, Any]] = {}
    for key, (attack, sign) in MIA.items():
        entry = data.get(key)
        if not isinstance(entry, dict):
            continue
        for part, target in (("forget", None), ("holdout", holdout)):
            block = entry.get(part)
            vbi = block.get("value_by_index") if isinstance(block, dict) else None
            for idx, v in (vbi or {}).items():
                score = number(v.get("score")) if isinstance(v, dict) else None
                if score is None:
                    continue
                if target is None:
                    rec = forget.get(idx) or extra_forget.setdefault(idx, {"index": idx})
                else:
                    rec = target.setdefault(idx, {"index": idx})
                rec.setdefault("mia", {})[attack] = sign * score
    if extra_forget:
        block = splits.setdefault(FORGET, {"source": "mia", "records": []})
        block["records"].extend(extra_forget[k] for k in sorted(extra_forget, key=sort_key))
    if holdout:
        splits[HOLDOUT] = {"source": "mia holdout", "records": [holdout[k] for k in sorted(holdout, key=sort_key)]}


def from_open_unlearning(data: dict[str, Any], source: str) -> dict[str, Any]:
    """eval.json content from TOFU_EVAL.json content."""
    splits: dict[str, dict[str, Any]] = {}
    absent = {}
    for split in PREFIX:
        recs = _split(data, split)
        if recs:
            splits[split] = {"source": source, "records": recs}
        else:
            absent[split] = f"{source}: no {PREFIX[split]}_* metrics"
    for key, name in PER_QUESTION.items():
        values = _by_index(data, key)
        forget = {r["index"]: r for r in splits.get(FORGET, {}).get("records", [])}
        for idx, v in values.items():
            if idx in forget and number(v.get("score")) is not None:
                forget[idx][name] = number(v["score"])
    _attach_mia(data, splits)
    return {"format": 1, "model": source, "missing_splits": absent, "splits": splits,
            "reference_values": {k: v["agg_value"] for k, v in data.items()
                                 if isinstance(v, dict) and number(v.get("agg_value")) is not None}}
