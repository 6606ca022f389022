"""`evaluate(lm, splits, retain_eval=None, cfg=...) -> EvalResult`: TOFU metrics, memorisation, MIA and fluency.

Per split the model runs exactly twice: one batched `score` call over every answer, paraphrase and perturbed answer
(flattened), and one batched greedy `generate` call; the fluency model then scores all generations in one call.
On forget / holdout, GradNorm adds one backward pass per answer and `reference_lm` one `score` call (MIA).
Every per-question metric registered in `METRICS` is applied to the results; `summarize` aggregates them.

Split names (`SPLITS`): forget, retain, real_authors, world_facts (TOFU's `*_perturbed` files) and holdout
(non-members for membership inference).

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

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from meow.errors import MeowError

# registering modules: importing them fills METRICS / SUMMARIES
from meow.evaluate import extraction, fluency, known_facts, mia, numerics, tofu  # noqa: F401
from meow.evaluate.base import (
    FORGET,
    HOLDOUT,
    METRICS,
    MIA_SPLITS,
    OPTION_SPLITS,
    RETAIN,
    SPLITS,
    SUMMARIES,
    TOFU_SPLITS,
    Metric,
    Scored,
    finite,
)
from meow.evaluate.splits import (  # noqa: F401  (re-exported: meow.evaluate.evaluator.load_splits, ...)
    REQUIRED,
    SPLIT_FLAGS,
    check_splits,
    limit_splits,
    load_splits,
    split_files,
)
from meow.io import read_json_file, write_json

FORMAT = 1


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

    def __post_init__(self) -> None:
        if self.max_new_tokens < 1:
            raise MeowError(f"max_new_tokens must be at least 1, got {self.max_new_tokens}")
        if self.batch_size < 1:
            raise MeowError(f"batch_size must be at least 1, got {self.batch_size}")
        if not 0 < self.min_k <= 1:
            raise MeowError(f"min_k must be in (0, 1], got {self.min_k}")
        if self.limit is not None and self.limit < 1:
            raise MeowError(f"limit must be at least 1, got {self.limit}")


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


# ---------------------------------------------------------------- results

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


def as_eval(ev: EvalResult | dict[str, Any] | str | Path) -> dict[str, Any]:
    """eval.json content from an EvalResult, a dict, or a path: a `meow eval` folder / eval.json, TOFU's eval output
    or open-unlearning's TOFU_EVAL.json (`meow.evaluate.logs.read_eval_logs`)."""
    if isinstance(ev, EvalResult):
        return ev.data
    if isinstance(ev, dict):
        return ev
    from meow.evaluate.logs import read_eval_logs

    return read_eval_logs(ev)


def load_eval(path: str | Path) -> EvalResult:
    """Read an evaluation folder (or its eval.json); summary.json is read if present, else recomputed."""
    p = Path(path)
    file = p / "eval.json" if p.is_dir() else p
    if not file.is_file():
        raise MeowError(f"{path}: no eval.json (write one with `meow eval --out {path}`)")
    data = read_json_file(file)
    if not isinstance(data, dict) or not isinstance(data.get("splits"), dict):
        raise MeowError(f"{file}: not an eval.json written by `meow eval` (no 'splits')")
    check_eval_data(data, file)
    summary_file = file.with_name("summary.json")
    if summary_file.is_file():
        try:
            summary = json.loads(summary_file.read_text(encoding="utf-8"))
            if isinstance(summary, dict) and isinstance(summary.get("splits"), dict):
                return EvalResult(data, summary)
        except (json.JSONDecodeError, UnicodeDecodeError):
            pass
    return EvalResult(data, summarize(data))


def check_eval_data(data: dict[str, Any], file: object) -> None:
    """The shape every reader of eval.json relies on: splits.<name>.records is a list of objects, each metric
    value a number, null, a boolean or a group of scores (never text or a list), `question` a string; one-line MeowError naming the first place not so."""
    metrics = set(METRICS.names())
    for name, block in data["splits"].items():
        records = block.get("records") if isinstance(block, dict) else None
        if not isinstance(records, list):
            raise MeowError(f"{file}: splits.{name}: expected an object with a 'records' list")
        for i, rec in enumerate(records):
            if not isinstance(rec, dict):
                raise MeowError(f"{file}: splits.{name}: record {i}: expected an object")
            if "question" in rec and not isinstance(rec["question"], str):
                raise MeowError(f"{file}: splits.{name}: record {i}: field 'question': expected a string")
            for key in metrics & rec.keys():
                v = rec[key]
                if isinstance(v, (str, list)):  # numbers, null, booleans, or a group of scores (mia)
                    raise MeowError(f"{file}: splits.{name}: record {i}: field '{key}': expected a number, "
                                    f"got {type(v).__name__}")


def split_summary(records: list[dict[str, Any]], split: str) -> dict[str, Any]:
    """Aggregate every registered metric that has values on this split."""
    out = {}
    for name in METRICS.names():
        m = METRICS.get(name)
        if split not in m.splits:
            continue
        value = m.aggregate(records, split)
        lacking = sum(1 for r in records if name in (r.get("unavailable") or {}))
        if value is not None and not math.isfinite(value):
            value = None
        if value is None and not lacking:
            continue
        n = len(finite([r.get(name) for r in records])) if m.fn else sum(1 for r in records if "generation" in r)
        out[name] = {"value": value, "n": n, "label": m.label, "description": m.description}
        if lacking:
            out[name]["unavailable"] = lacking
            if value is None:
                out[name]["reason"] = f"no finite value on any of {len(records)} questions (see `unavailable`)"
    return out


def summarize(ev: EvalResult | dict[str, Any], retain_eval: EvalResult | dict[str, Any] | str | Path | None = None
              ) -> dict[str, Any]:
    """summary.json content from eval.json content (and the retain model's, for forget quality and PrivLeak)."""
    ev = as_eval(ev)
    retain = as_eval(retain_eval) if retain_eval is not None else None
    splits = {s: split_summary(b["records"], s) for s, b in ev["splits"].items()}
    out: dict[str, Any] = {"model": ev.get("model"), "retain_model": retain.get("model") if retain else None}
    for name in ("model_utility", "forget_quality", "mia_auc", "privleak", *SUMMARIES.names()):
        if name not in out:
            s = SUMMARIES.get(name)
            out[name] = {**s.fn(ev, splits, retain), "label": s.label}
    out["splits"] = splits
    out["missing_splits"] = ev.get("missing_splits", {})
    out["unavailable"] = numerics.unavailable_counts(ev["splits"])
    if ev.get("limit"):
        out["limit"] = ev["limit"]
    return out


def forget_quality(ev: EvalResult | dict[str, Any] | str | Path,
                   retain_eval: EvalResult | dict[str, Any] | str | Path | None) -> dict[str, Any]:
    """Forget quality of saved or in-memory evaluations: {"value": KS p-value or None, "reason": ..., ...}."""
    return tofu.forget_quality_entry(as_eval(ev), {}, as_eval(retain_eval) if retain_eval is not None else None)


def evaluate(lm: Any, splits: dict[str, list[dict]], retain_eval: EvalResult | dict | str | Path | None = None, *,
             cfg: EvalConfig | None = None, fluency_lm: Any = None, sources: dict[str, str] | None = None,
             missing_splits: dict[str, str] | None = None, progress: bool = True,
             reference_lm: Any = None) -> EvalResult:
    """Evaluate `lm` (a meow.modeling.LM) on the given splits {name: records}; see the module docstring.

    `cfg.limit`: only the first N records of every split. `reference_lm`: the MIA Reference attack's model."""
    from tqdm.auto import tqdm

    cfg = cfg or EvalConfig()
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
