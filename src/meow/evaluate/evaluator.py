"""`evaluate(lm, splits, retain_eval=None, cfg=...) -> EvalResult`: TOFU metrics, memorisation, MIA and fluency.

Per split the model runs exactly twice: one batched `score` call over every answer, paraphrase and perturbed answer
(flattened), and one batched greedy `generate` call; the fluency model then scores all generations in one call.
On forget / holdout, GradNorm adds one backward pass per answer and `reference_lm` one `score` call (MIA).
Every per-question metric registered in `METRICS` is applied to the results; `summarize` aggregates them.

Split names (`SPLITS`): forget, retain, real_authors, world_facts (TOFU's `*_perturbed` files) and holdout
(non-members for membership inference).

The layout of eval.json and summary.json: `meow.evaluate.results`; aggregation: `meow.evaluate.aggregate`.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from meow.config import validate_config
from meow.evaluate import known_facts, mia, numerics
from meow.evaluate.aggregate import summarize  # importing it registers every metric module (METRIC_MODULES)
from meow.evaluate.base import (
    FORGET,
    HOLDOUT,
    METRICS,
    MIA_SPLITS,
    OPTION_SPLITS,
    RETAIN,
    SPLITS,
    TOFU_SPLITS,
    Metric,
    Scored,
)
from meow.evaluate.results import FORMAT, EvalResult
from meow.evaluate.splits import check_splits, limit_splits


@dataclass
class EvalConfig:
    """What `meow eval` computes and how."""

    max_new_tokens: int = field(default=200, metadata={"help": "longest greedy generation", "ge": 1})
    batch_size: int = field(default=32, metadata={"help": "rows per forward pass (scoring and generation)", "ge": 1})
    min_k: float = field(default=0.4, metadata={"help": "share of lowest token scores for Min-K%% and Min-K%%++ "
                                                        "(0.4: MUSE's Min-40%%, open-unlearning's k)", "gt": 0, "le": 1})
    limit: int | None = field(default=None, metadata={"help": "evaluate only the first N records of every split "
                                                              "(TOFU's published logs hold the first 300)", "ge": 1})
    mia_gradnorm: bool = field(default=True, metadata={"help": "GradNorm membership attack (one backward pass per "
                                                                "forget/holdout answer)"})
    generation: bool = field(default=True, metadata={"help": "greedy answers: ROUGE-L, key facts, fluency"})
    memorisation: bool = field(default=True, metadata={"help": "exact memorisation and extraction strength"})
    mia: bool = field(default=True, metadata={"help": "membership inference forget vs holdout"})
    fluency: bool = field(default=True, metadata={"help": "Rep-3, Brunet, Honore, perplexity, LS"})


# ---------------------------------------------------------------- running the model

def _texts(split: str, rec: dict) -> list[str]:
    """Continuations scored for one question, in order: answer, [paraphrase], perturbed answers."""
    out = [rec["answer"]]
    if split in (FORGET, RETAIN):
        out.append(rec["paraphrased_answer"])
    if split in TOFU_SPLITS:
        out.extend(rec["perturbed_answer"])
    return out


def _run_split(lm: Any, split: str, records: list[dict], cfg: EvalConfig, bar: Any,
               reference_lm: Any = None) -> list[Scored]:
    """One `score` call (all continuations of the split, flattened) and one `generate` call; on the MIA splits
    also GradNorm's backward passes and the reference model's `score` call of the answers."""
    from meow.modeling import generate, score

    prompts = lm.prompts([r["question"] for r in records])
    owner, texts = [], []
    for i, rec in enumerate(records):
        for text in _texts(split, rec):
            owner.append(i)
            texts.append(text)
    bar.set_description(f"{split}: scoring {len(texts)} answers")
    flat = iter(score(lm, [prompts[i] for i in owner], lm.continuations(texts), batch_size=cfg.batch_size,
                      stats=cfg.mia and split in MIA_SPLITS))
    bar.update()
    gens: list[str | None] = [None] * len(records)
    if cfg.generation and split in TOFU_SPLITS:
        bar.set_description(f"{split}: generating {len(records)} answers")
        gens = list(generate(lm, prompts, max_new_tokens=cfg.max_new_tokens, batch_size=cfg.batch_size))
        bar.update()
    out = []
    for rec, gen in zip(records, gens):
        answer = next(flat)
        para = next(flat) if split in (FORGET, RETAIN) else answer if split in OPTION_SPLITS else None
        pert = [next(flat) for _ in rec["perturbed_answer"]] if split in TOFU_SPLITS else []
        out.append(Scored(split, rec, answer, para, pert, gen, min_k=cfg.min_k))
    if cfg.mia and split in MIA_SPLITS:
        answers = lm.continuations([r["answer"] for r in records])
        if cfg.mia_gradnorm:
            bar.set_description(f"{split}: GradNorm backward passes")
            for q, g in zip(out, mia.grad_norms(lm, prompts, answers)):
                q.grad_norm = g
        if reference_lm is not None:
            bar.set_description(f"{split}: scoring answers with the reference model")
            ref_prompts = reference_lm.prompts([r["question"] for r in records])
            refs = score(reference_lm, ref_prompts, reference_lm.continuations([r["answer"] for r in records]),
                         batch_size=cfg.batch_size)
            for q, r in zip(out, refs):
                q.reference = r
    return out


def _score_generations(flu_lm: Any, scored: dict[str, list[Scored]], cfg: EvalConfig) -> None:
    """Score every non-empty generation of every split with the fluency model, in one call."""
    from meow.modeling import score

    items = [q for qs in scored.values() for q in qs if q.generation]
    if not items:
        return
    res = score(flu_lm, flu_lm.prompts([q.record["question"] for q in items]),
                flu_lm.continuations([q.generation for q in items]), batch_size=cfg.batch_size, eos=False)
    for q, s in zip(items, res):
        q.generation_scores = s


def active_metrics(split: str, cfg: EvalConfig) -> list[Metric]:
    """Per-question metrics that apply to `split` under `cfg`."""
    out = []
    for name in METRICS.names():
        m = METRICS.get(name)
        if m.fn is None or split not in m.splits:
            continue
        if m.group != "tofu" and not getattr(cfg, m.group):
            continue
        if "generation" in m.needs and not cfg.generation:
            continue
        out.append(m)
    return out


def _nan_to_none(x: float) -> float | None:
    return None if not math.isfinite(x) else x


def _metric_value(m: Metric, q: Scored) -> tuple[Any, str | None]:
    """(value with non-finite floats as None, why a value is unavailable or None)."""
    try:
        value = m.fn(q)  # type: ignore[misc]
    except (OverflowError, ZeroDivisionError, ValueError) as e:  # a last guard: the metrics work in log space
        return None, f"could not be computed ({type(e).__name__}: {e})"
    clean, bad = numerics.json_safe(value)
    return clean, numerics.nonfinite_reason(value) if bad else None


def _record(q: Scored, index: int, metrics: list[Metric]) -> dict[str, Any]:
    rec = q.record
    out: dict[str, Any] = {"index": index, "question": rec["question"], "answer": rec["answer"]}
    if rec.get("fact"):
        out["fact"] = rec["fact"]
    if q.generation is not None:
        out["generation"] = q.generation
    out["n_tokens"] = int(q.answer.logprobs.numel())
    out["nll_answer"] = _nan_to_none(q.answer.mean_nll)
    if q.paraphrased is not None:
        out["nll_paraphrased"] = _nan_to_none(q.paraphrased.mean_nll)
    if q.perturbed:
        out["nll_perturbed"] = [_nan_to_none(s.mean_nll) for s in q.perturbed]
    unavailable = {}
    for m in metrics:
        value, why = _metric_value(m, q)
        if why:
            unavailable[m.name] = why
        if value is not None:
            out[m.name] = value
    if "truth_ratio" in unavailable and out.get("log_truth_ratio") is not None:
        unavailable["truth_ratio"] += "; log_truth_ratio holds log R, which the aggregates and forget quality use"
    if unavailable:
        out["unavailable"] = unavailable
    return out


def evaluate(lm: Any, splits: dict[str, list[dict]], retain_eval: EvalResult | dict | str | Path | None = None, *,
             cfg: EvalConfig | None = None, fluency_lm: Any = None, sources: dict[str, str] | None = None,
             missing_splits: dict[str, str] | None = None, progress: bool = True,
             reference_lm: Any = None) -> EvalResult:
    """Evaluate `lm` (a meow.modeling.LM) on the given splits {name: records}; see the module docstring.

    `cfg.limit`: only the first N records of every split. `reference_lm`: the MIA Reference attack's model."""
    from tqdm.auto import tqdm

    cfg = validate_config(cfg or EvalConfig())
    splits, limited = limit_splits(splits, cfg.limit)
    check_splits(splits, sources)
    order = [s for s in SPLITS if s in splits]
    steps = sum(1 + (cfg.generation and s in TOFU_SPLITS) for s in order) + (cfg.fluency and cfg.generation)
    scored: dict[str, list[Scored]] = {}
    training = lm.model.training  # called from a trainer: evaluate without dropout, then put it back
    lm.model.eval()
    try:
        with tqdm(total=steps, unit="step", disable=not progress or None, leave=False) as bar:
            for split in order:
                scored[split] = _run_split(lm, split, splits[split], cfg, bar, reference_lm)
            if cfg.fluency and cfg.generation:
                bar.set_description("fluency: scoring generations")
                _score_generations(fluency_lm or lm, scored, cfg)
                bar.update()
            probes = known_facts.probe_splits(lm, splits.get(FORGET), cfg)  # known-facts forget probes, if any
    finally:
        lm.model.train(training)
    data: dict[str, Any] = {"format": FORMAT, "model": getattr(lm, "path", None), "options": dataclasses.asdict(cfg),
                            "missing_splits": dict(missing_splits or {}), "splits": {}}
    if limited:
        data["limit"] = limited
    for split in order:
        metrics = active_metrics(split, cfg)
        data["splits"][split] = {"source": (sources or {}).get(split),
                                 "records": [_record(q, i, metrics) for i, q in enumerate(scored[split])]}
    data["splits"].update(probes)
    aucs = mia.attack_aucs(data)
    data["mia"] = {"members": FORGET, "nonmembers": HOLDOUT, "auc": aucs} if isinstance(aucs, dict) else {
        "reason": aucs}
    return EvalResult(data, summarize(data, retain_eval))
