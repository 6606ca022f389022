"""`evaluate(lm, splits, retain_eval=None, cfg=...) -> EvalResult`: TOFU metrics, memorisation, MIA and fluency.

Per split the model runs exactly twice: one batched `score` call over every answer, paraphrase and perturbed answer
(flattened), and one batched greedy `generate` call; the fluency model then scores all generations in one call.
Every per-question metric registered in `METRICS` is applied to the results; `summarize` aggregates them.

Split names (`SPLITS`): forget, retain, real_authors, world_facts (TOFU's `*_perturbed` files) and holdout
(non-members for membership inference).

eval.json (every per-question value, so any aggregate can be recomputed with `summarize`):

    {"format": 1, "model": "path/or/id", "options": {EvalConfig},
     "missing_splits": {"world_facts": "why it was not evaluated"},
     "splits": {"forget": {"source": "data/forget10_perturbed.json", "records": [
         {"index": 0, "question": ..., "answer": ..., "fact": ... (if given), "generation": "greedy answer",
          "n_tokens": 17, "nll_answer": 0.41, "nll_paraphrased": 1.2, "nll_perturbed": [2.1, ...],
          "probability": 0.66, "rouge_l_recall": 0.9, "truth_ratio": 0.35 (R itself), "fact_hit": true,
          "exact_memorisation": 0.94, "extraction_strength": 0.8,
          "mia": {"loss": 0.41, "zlib": 0.008, "min_k": -2.3, "min_k_pp": -0.9},
          "rep3": 0.0, "brunet_index": 9.1, "honore_statistic": 650.2, "generation_ppl": 1.6}, ...]},
        "retain": {...}, "real_authors": {...}, "world_facts": {...}, "holdout": {...}},
     "mia": {"members": "forget", "nonmembers": "holdout", "auc": {"loss": 0.93, ...}} or {"reason": "..."}}

On real authors / world facts `nll_paraphrased` equals `nll_answer` (the answer stands in for the paraphrase).
A value that does not apply (no fact, generation off, a group switched off) is absent, never 0.

summary.json:

    {"model": ..., "retain_model": ... (or null),
     "forget_quality": {"value": p or null, "reason": null or why, "description": ..., "ks_statistic": ...},
     "model_utility": {"value": ..., "reason": ..., "description": ..., "components": {"retain/probability": ...}},
     "mia_auc": {"value": min-k AUC, "by_attack": {...}, ...}, "privleak": {"value": ..., "by_attack": {...}, ...},
     "splits": {"forget": {"probability": {"value": ..., "n": 40, "label": ..., "description": ...}, ...}, ...},
     "missing_splits": {...}}
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from meow.errors import MeowError, where

# registering modules: importing them fills METRICS / SUMMARIES
from meow.evaluate import extraction, fluency, mia, tofu  # noqa: F401
from meow.evaluate.base import (
    FORGET,
    HOLDOUT,
    METRICS,
    MIA_SPLITS,
    OPTION_SPLITS,
    REAL_AUTHORS,
    RETAIN,
    SPLITS,
    SUMMARIES,
    TOFU_SPLITS,
    WORLD_FACTS,
    Metric,
    Scored,
    finite,
)
from meow.io import write_json

FORMAT = 1
SPLIT_FLAGS = {FORGET: "--forget", RETAIN: "--retain", REAL_AUTHORS: "--real-authors", WORLD_FACTS: "--world-facts",
               HOLDOUT: "--holdout"}
REQUIRED = {FORGET: ("paraphrased_answer", "perturbed_answer"), RETAIN: ("paraphrased_answer", "perturbed_answer"),
            REAL_AUTHORS: ("perturbed_answer",), WORLD_FACTS: ("perturbed_answer",), HOLDOUT: ()}


@dataclass
class EvalConfig:
    """What `meow eval` computes and how."""

    max_new_tokens: int = field(default=200, metadata={"help": "longest greedy generation", "ge": 1})
    batch_size: int = field(default=32, metadata={"help": "rows per forward pass (scoring and generation)", "ge": 1})
    min_k: float = field(default=0.2, metadata={"help": "share of lowest token scores for Min-K%% and Min-K%%++", "gt": 0, "le": 1})
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


# ---------------------------------------------------------------- data

def split_files(forget_split: str) -> dict[str, str]:
    """TOFU file names for a forget split: forget10 -> forget10_perturbed, retain_perturbed, ..., holdout10."""
    base = forget_split.removesuffix("_perturbed")
    names = {FORGET: f"{base}_perturbed", RETAIN: "retain_perturbed", REAL_AUTHORS: "real_authors_perturbed",
             WORLD_FACTS: "world_facts_perturbed"}
    m = re.fullmatch(r"forget(\d+)", base)
    if m:
        names[HOLDOUT] = f"holdout{m.group(1)}"
    return names


def load_splits(data: str | Path | None = None, forget_split: str = "forget10",
                files: dict[str, str | Path | None] | None = None
                ) -> tuple[dict[str, list[dict]], dict[str, str], dict[str, str]]:
    """Load the evaluation splits from a folder of TOFU-named files (or a hub id) and/or explicit files.

    Returns (records per split, source per split, reason per split that was not found). The forget split is
    required; a missing background split only leaves the numbers that need it unreported, with the reason.
    """
    from meow.data import load_file, load_records, split_path

    files = {k: v for k, v in (files or {}).items() if v}
    unknown = sorted(set(files) - set(SPLITS))
    if unknown:
        raise MeowError(f"unknown split(s) {', '.join(unknown)}; known: {', '.join(SPLITS)}")
    if data is None and FORGET not in files:
        raise MeowError("no forget set: give --data DIR (TOFU-named files) or --forget FILE")
    names = split_files(forget_split)
    p = Path(data) if data is not None else None
    if p is not None and p.is_file():
        raise MeowError(f"{data}: --data takes a folder of TOFU-named files or a hub id; name single files with "
                        "--forget, --retain, --real-authors, --world-facts, --holdout")
    if p is not None and not p.exists() and not re.fullmatch(r"[\w-][\w.-]*/[\w.-]+", str(data)):
        raise MeowError(f"{data}: folder not found")
    splits: dict[str, list[dict]] = {}
    sources: dict[str, str] = {}
    absent: dict[str, str] = {}
    for split in SPLITS:
        if split in files:
            splits[split], sources[split] = load_file(files[split]), str(files[split])
            continue
        name = names.get(split)
        if p is None or name is None:
            why = f"not given ({SPLIT_FLAGS[split]} FILE)"
            absent[split] = why if name or p is None else f"{why}; no holdout name derives from {forget_split!r}"
            continue
        if p.is_dir():
            found = split_path(p, name)
            if found is None:
                have = sorted(q.stem for q in p.iterdir() if q.suffix in (".json", ".jsonl"))
                msg = f"{p}: no {split} split {name!r} (no {name}.json or {name}.jsonl)"
                if split == FORGET:
                    raise MeowError(f"{msg}; found: {', '.join(have) or 'no JSON files'}")
                absent[split] = msg
                continue
            splits[split], sources[split] = load_file(found), str(found)
        else:  # a hub id such as locuslab/TOFU
            try:
                splits[split], sources[split] = load_records(str(data), name), f"{data}:{name}"
            except MeowError as e:
                if split == FORGET:
                    raise
                absent[split] = str(e)
    return splits, sources, absent


def check_splits(splits: dict[str, list[dict]], sources: dict[str, str] | None = None) -> None:
    """Every split is known and non-empty; every record has what its split's metrics need."""
    sources = sources or {}
    for split, records in splits.items():
        if split not in SPLITS:
            raise MeowError(f"unknown split {split!r}; known: {', '.join(SPLITS)}")
        src = sources.get(split, f"{split} split")
        if not records:
            raise MeowError(f"{src}: holds no records")
        for i, rec in enumerate(records):
            for name in ("question", "answer", *REQUIRED[split]):
                value = rec.get(name) if isinstance(rec, dict) else None
                if value is None:
                    why = "needed for the truth ratio" if name in REQUIRED[split] else "required"
                    raise MeowError(f"{where(src, i, name)}: missing ({why} on the {split} set)")
                if name == "perturbed_answer":
                    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
                        raise MeowError(f"{where(src, i, name)}: expected a non-empty list of strings")
                    if not all(v.strip() for v in value):
                        raise MeowError(f"{where(src, i, name)}: holds an empty answer")
                elif not isinstance(value, str):
                    raise MeowError(f"{where(src, i, name)}: expected a string, got {type(value).__name__}")
                elif not value.strip():
                    raise MeowError(f"{where(src, i, name)}: empty")


# ---------------------------------------------------------------- running the model

def _texts(split: str, rec: dict) -> list[str]:
    """Continuations scored for one question, in order: answer, [paraphrase], perturbed answers."""
    out = [rec["answer"]]
    if split in (FORGET, RETAIN):
        out.append(rec["paraphrased_answer"])
    if split in TOFU_SPLITS:
        out.extend(rec["perturbed_answer"])
    return out


def _run_split(lm: Any, split: str, records: list[dict], cfg: EvalConfig, bar: Any) -> list[Scored]:
    """One `score` call (all continuations of the split, flattened) and one `generate` call."""
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
    return out


def _score_generations(flu_lm: Any, scored: dict[str, list[Scored]], cfg: EvalConfig) -> None:
    """Score every non-empty generation of every split with the fluency model, in one call."""
    from meow.modeling import score

    items = [q for qs in scored.values() for q in qs if q.generation]
    if not items:
        return
    res = score(flu_lm, flu_lm.prompts([q.record["question"] for q in items]),
                flu_lm.continuations([q.generation for q in items]), batch_size=cfg.batch_size)
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
    return None if math.isnan(x) else x


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
    for m in metrics:
        value = m.fn(q)  # type: ignore[misc]
        if value is not None:
            out[m.name] = value
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
        write_json(out / "eval.json", self.data)
        write_json(out / "summary.json", self.summary)
        if config is not None:
            write_json(out / "config.json", config)
        return out


def as_eval(ev: EvalResult | dict[str, Any] | str | Path) -> dict[str, Any]:
    """eval.json content from an EvalResult, a dict, an evaluation folder or an eval.json path."""
    if isinstance(ev, EvalResult):
        return ev.data
    if isinstance(ev, dict):
        return ev
    return load_eval(ev).data


def load_eval(path: str | Path) -> EvalResult:
    """Read an evaluation folder (or its eval.json); summary.json is read if present, else recomputed."""
    p = Path(path)
    file = p / "eval.json" if p.is_dir() else p
    if not file.is_file():
        raise MeowError(f"{path}: no eval.json (write one with `meow eval --out {path}`)")
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise MeowError(f"{file}: not valid JSON ({e})") from None
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
        if value is None:
            continue
        n = len(finite([r.get(name) for r in records])) if m.fn else sum(1 for r in records if "generation" in r)
        out[name] = {"value": value, "n": n, "label": m.label, "description": m.description}
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
    return out


def forget_quality(ev: EvalResult | dict[str, Any] | str | Path,
                   retain_eval: EvalResult | dict[str, Any] | str | Path | None) -> dict[str, Any]:
    """Forget quality of saved or in-memory evaluations: {"value": KS p-value or None, "reason": ..., ...}."""
    return tofu.forget_quality_entry(as_eval(ev), {}, as_eval(retain_eval) if retain_eval is not None else None)


def evaluate(lm: Any, splits: dict[str, list[dict]], retain_eval: EvalResult | dict | str | Path | None = None, *,
             cfg: EvalConfig | None = None, fluency_lm: Any = None, sources: dict[str, str] | None = None,
             missing_splits: dict[str, str] | None = None, progress: bool = True) -> EvalResult:
    """Evaluate `lm` (a meow.modeling.LM) on the given splits {name: records}; see the module docstring."""
    from tqdm.auto import tqdm

    cfg = cfg or EvalConfig()
    check_splits(splits, sources)
    order = [s for s in SPLITS if s in splits]
    steps = sum(1 + (cfg.generation and s in TOFU_SPLITS) for s in order) + (cfg.fluency and cfg.generation)
    scored: dict[str, list[Scored]] = {}
    training = lm.model.training  # called from a trainer: evaluate without dropout, then put it back
    lm.model.eval()
    try:
        with tqdm(total=steps, unit="step", disable=not progress or None, leave=False) as bar:
            for split in order:
                scored[split] = _run_split(lm, split, splits[split], cfg, bar)
            if cfg.fluency and cfg.generation:
                bar.set_description("fluency: scoring generations")
                _score_generations(fluency_lm or lm, scored, cfg)
                bar.update()
    finally:
        lm.model.train(training)
    data: dict[str, Any] = {"format": FORMAT, "model": getattr(lm, "path", None), "options": dataclasses.asdict(cfg),
                            "missing_splits": dict(missing_splits or {}), "splits": {}}
    for split in order:
        metrics = active_metrics(split, cfg)
        data["splits"][split] = {"source": (sources or {}).get(split),
                                 "records": [_record(q, i, metrics) for i, q in enumerate(scored[split])]}
    aucs = mia.attack_aucs(data)
    data["mia"] = {"members": FORGET, "nonmembers": HOLDOUT, "auc": aucs} if isinstance(aucs, dict) else {
        "reason": aucs}
    return EvalResult(data, summarize(data, retain_eval))
