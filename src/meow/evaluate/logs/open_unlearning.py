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

Every metric meow reads has a declared schema (`METRIC_SCHEMAS`), checked before use; the per-question metrics of
one split cover the same questions; a file with none of them is refused.
"""

from __future__ import annotations

from typing import Any

from meow.errors import MeowError
from meow.evaluate.base import FORGET, HOLDOUT, REAL_AUTHORS, RETAIN, WORLD_FACTS
from meow.evaluate.logs.records import loss_record, number, sort_key
from meow.schema import AnyOf, ByIndex, ListOf, Num, Obj, Schema, Str, check, same_indices

PREFIX = {FORGET: "forget", RETAIN: "retain", REAL_AUTHORS: "ra", WORLD_FACTS: "wf"}
TRUTH_RATIO = {FORGET: "forget_truth_ratio", RETAIN: "retain_Truth_Ratio", REAL_AUTHORS: "ra_Truth_Ratio",
               WORLD_FACTS: "wf_Truth_Ratio"}
MIA = {"mia_loss": ("loss", 1.0), "mia_zlib": ("zlib", 1.0), "mia_min_k": ("min_k", -1.0),
       "mia_min_k_plus_plus": ("min_k_pp", -1.0), "mia_gradnorm": ("gradnorm", 1.0),
       "mia_reference": ("reference", 1.0)}
PER_QUESTION = {"extraction_strength": "extraction_strength", "exact_memorization": "exact_memorisation"}


def _metric(item: Obj) -> Obj:
    """{"agg_value": number or null, "value_by_index": {index: item}}."""
    return Obj({"agg_value": Num(nullable=True), "value_by_index": ByIndex(item)}, optional=frozenset({"agg_value"}))


_SCORE = Obj({"score": Num()})
_TEXT = Str(nonempty=False)
_BY_SPLIT: dict[str, Obj] = {  # metric name suffix -> its per-question item
    "Q_A_Prob": Obj({"prob": Num(), "avg_loss": Num()}),
    "Q_A_PARA_Prob": Obj({"prob": Num(), "avg_loss": Num()}, optional=frozenset({"prob"})),
    "Q_A_PERT_Prob": Obj({"prob": ListOf(Num()), "avg_loss": AnyOf((ListOf(Num()), Num()))},
                         optional=frozenset({"prob"})),
    "Q_A_ROUGE": Obj({"rougeL_recall": Num(), "generation": _TEXT, "ground_truth": _TEXT},
                     optional=frozenset({"generation", "ground_truth"})),
    "Q_A_Prob_normalised": Obj({"prob": Num()}),
}
_MIA_PART = Obj({"value_by_index": ByIndex(_SCORE)})
METRIC_SCHEMAS: dict[str, Schema] = {
    **{f"{p}_{suffix}": _metric(item) for p in PREFIX.values() for suffix, item in _BY_SPLIT.items()},
    **{name: _metric(_SCORE) for name in (*TRUTH_RATIO.values(), *PER_QUESTION)},
    **{name: Obj({"agg_value": Num(nullable=True), "auc": Num(nullable=True), "forget": _MIA_PART,
                  "holdout": _MIA_PART}, optional=frozenset({"agg_value", "auc"})) for name in MIA},
}
OPEN_UNLEARNING = Obj(METRIC_SCHEMAS, optional=frozenset(METRIC_SCHEMAS), nonempty=True)


def is_open_unlearning(data: Any) -> bool:
    """An object of metric entries, or one naming any metric meow reads (then its schema says what is wrong)."""
    return isinstance(data, dict) and bool(data) and (bool(set(data) & set(METRIC_SCHEMAS)) or all(
        isinstance(v, dict) and ("agg_value" in v or "value_by_index" in v) for v in data.values()))


def _by_index(data: dict[str, Any], name: str) -> dict[str, Any]:
    entry = data.get(name)
    return entry["value_by_index"] if isinstance(entry, dict) else {}


def _split(data: dict[str, Any], split: str, source: str) -> list[dict[str, Any]]:
    p = PREFIX[split]
    names = {k: f"{p}_{k}" for k in _BY_SPLIT} | {"tr": TRUTH_RATIO[split]}
    if split == FORGET:
        names |= {k: k for k in PER_QUESTION}
    same_indices({n: _by_index(data, n) for n in names.values() if n in data}, source)
    prob, pert, rouge = (_by_index(data, names[k]) for k in ("Q_A_Prob", "Q_A_PERT_Prob", "Q_A_ROUGE"))
    para = _by_index(data, names["Q_A_PARA_Prob"]) if split in (FORGET, RETAIN) else prob
    normalised = _by_index(data, names["Q_A_Prob_normalised"])
    tr = _by_index(data, TRUTH_RATIO[split])
    indices = sorted(set().union(*(_by_index(data, n) for n in names.values())), key=sort_key)
    out = []
    for idx in indices:
        gen = rouge.get(idx, {})
        p_own = (normalised.get(idx, {}).get("prob") if split in (REAL_AUTHORS, WORLD_FACTS)
                 else prob.get(idx, {}).get("prob"))
        pl = pert.get(idx, {}).get("avg_loss")
        rec = loss_record(split, idx, prob.get(idx, {}).get("avg_loss"), para.get(idx, {}).get("avg_loss"),
                          [float(x) for x in pl] if isinstance(pl, list) else None if pl is None else [float(pl)],
                          probability=p_own, truth_ratio=tr.get(idx, {}).get("score"),
                          rouge_l_recall=gen.get("rougeL_recall"), generation=gen.get("generation"),
                          answer=gen.get("ground_truth"))
        if split == FORGET:
            for key, name in PER_QUESTION.items():
                if idx in (values := _by_index(data, key)):
                    rec[name] = float(values[idx]["score"])
        out.append(rec)
    return out


def _attach_mia(data: dict[str, Any], splits: dict[str, dict[str, Any]]) -> None:
    holdout: dict[str, dict[str, Any]] = {}
    forget = {r["index"]: r for r in splits.get(FORGET, {}).get("records", [])}
    extra_forget: dict[str, dict[str, Any]] = {}
    for key, (attack, sign) in MIA.items():
        if key not in data:
            continue
        for part, target in (("forget", None), ("holdout", holdout)):
            for idx, v in data[key][part]["value_by_index"].items():
                if target is None:
                    rec = forget.get(idx) or extra_forget.setdefault(idx, {"index": idx})
                else:
                    rec = target.setdefault(idx, {"index": idx})
                rec.setdefault("mia", {})[attack] = sign * float(v["score"])
    if extra_forget:
        block = splits.setdefault(FORGET, {"source": "mia", "records": []})
        block["records"].extend(extra_forget[k] for k in sorted(extra_forget, key=sort_key))
    if holdout:
        splits[HOLDOUT] = {"source": "mia holdout", "records": [holdout[k] for k in sorted(holdout, key=sort_key)]}


def from_open_unlearning(data: dict[str, Any], source: str) -> dict[str, Any]:
    """eval.json content from TOFU_EVAL.json content (checked against OPEN_UNLEARNING first)."""
    check(data, OPEN_UNLEARNING, source)
    if not set(data) & set(METRIC_SCHEMAS):
        raise MeowError(f"{source}: holds none of the per-question metrics meow reads (e.g. forget_Q_A_Prob, "
                        f"forget_truth_ratio, mia_min_k); found {', '.join(sorted(data)[:5])}")
    splits: dict[str, dict[str, Any]] = {}
    absent = {}
    for split in PREFIX:
        recs = _split(data, split, source)
        if recs:
            splits[split] = {"source": source, "records": recs}
        else:
            absent[split] = f"{source}: no {PREFIX[split]}_* metrics"
    _attach_mia(data, splits)
    return {"format": 1, "model": source, "missing_splits": absent, "splits": splits,
            "reference_values": {k: v["agg_value"] for k, v in data.items()
                                 if isinstance(v, dict) and number(v.get("agg_value")) is not None}}
