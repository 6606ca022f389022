"""TOFU metrics (Maini et al., 2024; docs/method.md section 4): probability, ROUGE-L recall, truth ratio, key-fact
accuracy, model utility and forget quality.

Probabilities are per-token normalised: P(a|q) = exp(-mean token NLL of a given q).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

from meow.benchmark.tofu import FORGET_QUALITY_LINE  # noqa: F401  (re-exported; declared with the benchmark)
from meow.data.facts import normalise_words, states_fact  # noqa: F401  (re-exported: evaluate.tofu.states_fact)
from meow.evaluate.base import (
    FORGET,
    OPTION_SPLITS,
    REAL_AUTHORS,
    RETAIN,
    TOFU_SPLITS,
    WORLD_FACTS,
    Scored,
    describe,
    metric,
    missing,
    summary,
)
from meow.registry import Shown

UTILITY_SPLITS = (RETAIN, REAL_AUTHORS, WORLD_FACTS)
UTILITY_METRICS = ("probability", "rouge_l_recall", "truth_ratio")


# ---------------------------------------------------------------- pure functions (numbers in, numbers out)

def logsumexp(values: Sequence[float]) -> float:
    """log sum_i exp(x_i), stable for any magnitude; -inf for no values or all -inf, NaN if any is NaN."""
    vals = [float(v) for v in values]
    if not vals or any(math.isnan(v) for v in vals):
        return float("nan") if vals else float("-inf")
    m = max(vals)
    if math.isinf(m):
        return m
    return m + math.log(sum(math.exp(v - m) for v in vals))


def safe_exp(x: float) -> float:
    """exp(x), +inf instead of OverflowError (NaN stays NaN)."""
    return math.exp(x) if x < 709.78 or math.isnan(x) else float("inf")


def probability(nll_answer: float) -> float:
    """P(a|q) = exp(-NLL(a)), NLL the mean token negative log-likelihood (0.0 for any NLL above ~745, never raises)."""
    return safe_exp(-nll_answer)


def option_probability(nll_answer: float, nll_perturbed: Sequence[float]) -> float:
    """P(true) / (P(true) + sum_i P(perturbed_i)), each P = exp(-mean token NLL) (TOFU, real authors/world facts),
    computed as exp(-NLL(true) - logsumexp(-NLL(true), -NLL(perturbed_1), ...)): finite for any finite NLLs."""
    log_z = logsumexp([-nll_answer, *(-x for x in nll_perturbed)])
    return safe_exp(-nll_answer - log_z) if not math.isinf(log_z) else float("nan")


def log_truth_ratio(nll_paraphrased: float, nll_perturbed: Sequence[float]) -> float:
    """log R = NLL(paraphrased) - mean_i NLL(perturbed_i) (see `truth_ratio`)."""
    return nll_paraphrased - sum(nll_perturbed) / len(nll_perturbed)


def truth_ratio(nll_paraphrased: float, nll_perturbed: Sequence[float]) -> float:
    """R = P_pert / P(paraphrased|q), P_pert = exp(-mean_i NLL(perturbed_i)) the geometric mean of the perturbed
    answers' per-token probabilities; so R = exp(NLL(paraphrased) - mean_i NLL(perturbed_i)) (+inf on overflow).
    """
    return safe_exp(log_truth_ratio(nll_paraphrased, nll_perturbed))


def truth_ratio_forget(log_ratios: Sequence[float]) -> float:
    """Forget set: mean(min(R, 1/R)) = mean(exp(-|log R|)) from log R; 1 when paraphrase and perturbed answers are
    equally likely (TOFU aggregate_eval_stat.py get_model_utility)."""
    return sum(math.exp(-abs(x)) for x in log_ratios) / len(log_ratios)


def truth_ratio_kept(log_ratios: Sequence[float]) -> float:
    """Retain / real authors / world facts: mean(max(0, 1 - R)) from log R; high when the true answer is preferred."""
    return sum(max(0.0, 1 - safe_exp(x)) for x in log_ratios) / len(log_ratios)


def record_log_ratio(rec: dict[str, Any]) -> float | None:
    """log R of an eval.json record: `log_truth_ratio`, else log(`truth_ratio`) (older folders); None if absent."""
    x = rec.get("log_truth_ratio")
    if isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x):
        return float(x)
    r = rec.get("truth_ratio")
    if isinstance(r, (int, float)) and not isinstance(r, bool) and math.isfinite(r):
        return math.log(r) if r > 0 else float("-inf")
    return None


@functools.lru_cache(maxsize=1)
def _rouge_scorer() -> Any:
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)


def rouge_l_recall(generation: str, answer: str) -> float:
    """ROUGE-L recall = LCS(generation, answer) / len(answer) in words (rouge_score, use_stemmer=True, as TOFU)."""
    return float(_rouge_scorer().score(answer, generation)["rougeL"].recall)


def harmonic_mean(values: Sequence[float]) -> float:
    """n / sum(1/x) (scipy.stats.hmean, as TOFU and open-unlearning); 0 if any value is 0 (model utility collapses
    when one component does); NaN if any value is not finite."""
    if any(not math.isfinite(v) for v in values):
        return float("nan")
    if any(v <= 0 for v in values):
        return 0.0
    return len(values) / sum(1 / v for v in values)


def ks_test(sample: Sequence[float], reference: Sequence[float]) -> tuple[float, float]:
    """Two-sample Kolmogorov-Smirnov test (scipy.stats.ks_2samp): (statistic, p-value)."""
    from scipy.stats import ks_2samp

    res = ks_2samp(list(sample), list(reference))
    return float(res.statistic), float(res.pvalue)


# ---------------------------------------------------------------- per-question metrics

@metric("probability", group="tofu", splits=TOFU_SPLITS)
def _probability(q: Scored) -> float:
    """Mean per-question probability: exp(-NLL(answer)); real authors / world facts: P(true) / (P(true) + sum P(perturbed))."""
    if q.split in OPTION_SPLITS:
        return option_probability(q.answer.mean_nll, [s.mean_nll for s in q.perturbed])
    return probability(q.answer.mean_nll)


@metric("rouge_l_recall", group="tofu", splits=TOFU_SPLITS, label="ROUGE-L recall", needs=("generation",), show=[
    Shown("forget_rouge_l", "forget ROUGE-L", "lower",
          "mean ROUGE-L recall of the greedy answers to forget questions against the true answers",
          "evals/<name>/summary.json: splits.forget.rouge_l_recall.value", order=50, key=FORGET, short="forget\nR-L",
          sweep=True)])
def _rouge(q: Scored) -> float:
    """Mean ROUGE-L recall of the greedy generation against the answer (stemmed, as TOFU)."""
    return rouge_l_recall(q.generation or "", q.record["answer"])


def _truth_ratio_aggregate(records: list[dict[str, Any]], split: str) -> float | None:
    logs = [x for x in (record_log_ratio(r) for r in records) if x is not None]
    if not logs:
        return None
    return truth_ratio_forget(logs) if split == FORGET else truth_ratio_kept(logs)


@metric("truth_ratio", group="tofu", splits=TOFU_SPLITS, aggregate=_truth_ratio_aggregate)
def _truth_ratio(q: Scored) -> float:
    """Truth ratio R = P_pert / P(paraphrased|q) (geometric mean over perturbed answers), reported as mean(min(R, 1/R)) on forget and mean(max(0, 1 - R)) elsewhere; records hold R."""
    assert q.paraphrased is not None
    return truth_ratio(q.paraphrased.mean_nll, [s.mean_nll for s in q.perturbed])


@metric("log_truth_ratio", group="tofu", splits=TOFU_SPLITS, label="log truth ratio",
        aggregate=lambda records, split: None)
def _log_truth_ratio(q: Scored) -> float:
    """log R = NLL(paraphrased) - mean NLL(perturbed): finite where R itself overflows; the aggregates and forget quality use it."""
    assert q.paraphrased is not None
    return log_truth_ratio(q.paraphrased.mean_nll, [s.mean_nll for s in q.perturbed])


@metric("fact_hit", group="tofu", splits=TOFU_SPLITS, label="key-fact accuracy", needs=("generation",), show=[
    Shown("forget_fact_hit", "forget key-fact acc.", "lower",
          "share of greedy answers to forget questions that still state the key fact",
          "evals/<name>/summary.json: splits.forget.fact_hit.value", order=30, key=FORGET, short="forget\nKFA",
          sweep=True),
    Shown("retain_fact_hit", "retain key-fact acc.", "higher",
          "share of greedy answers to retain questions that state the key fact",
          "evals/<name>/summary.json: splits.retain.fact_hit.value", order=40, key=RETAIN, short="retain\nKFA",
          sweep=True)])
def _fact_hit(q: Scored) -> bool | None:
    """Key-fact accuracy: share of greedy generations stating the record's `fact` (lowercased, whitespace collapsed, punctuation stripped at word edges)."""
    fact = q.record.get("fact")
    return states_fact(q.generation or "", fact) if fact else None


# ---------------------------------------------------------------- cross-split summaries

def truth_ratios(ev: dict[str, Any]) -> list[float]:
    """Per-question forget-set truth ratios R from an eval.json dict (those that are finite)."""
    records = ev.get("splits", {}).get(FORGET, {}).get("records", [])
    return [math.exp(x) for x in (record_log_ratio(r) for r in records) if x is not None and x < 709.78]


def log_truth_ratios(ev: dict[str, Any]) -> list[float]:
    """Per-question forget-set log truth ratios log R from an eval.json dict. The KS test depends only on the order
    of the values, and log is increasing: KS(log R) = KS(R) = KS(1/R), TOFU's get_forget_quality form."""
    records = ev.get("splits", {}).get(FORGET, {}).get("records", [])
    return [x for x in (record_log_ratio(r) for r in records) if x is not None]




@summary("forget_quality", show=Shown(
    "forget_quality", "forget quality", "higher",
    "p-value of the two-sample KS test between this model's forget-set truth ratios and the retain model's; "
    "> 0.05: statistically indistinguishable from the retain model",
    "evals/<name>/summary.json: forget_quality.value; if null for lack of a retain model, computed from the row's "
    "eval.json against the retain row's (meow.evaluate.forget_quality)", order=10, short="FQ", sweep=True))
def forget_quality_entry(ev: dict[str, Any], splits: dict[str, Any], retain: dict[str, Any] | None) -> dict[str, Any]:
    """Forget quality: p-value of the two-sample KS test (scipy.stats.ks_2samp) between this model's per-question forget truth ratios and the retain model's."""
    desc = describe(forget_quality_entry)
    if retain is None:
        return missing("no retain model: give --retain-eval DIR or --retain-model DIR", desc)
    mine, theirs = log_truth_ratios(ev), log_truth_ratios(retain)
    if not mine:
        return missing("no forget-set truth ratios in this evaluation", desc)
    if not theirs:
        return missing("the retain model's evaluation has no forget-set truth ratios", desc)
    stat, p = ks_test(mine, theirs)
    out = {"value": p, "reason": None, "description": desc, "ks_statistic": stat, "n": len(mine),
           "n_retain": len(theirs)}
    warning = compare_questions(ev["splits"][FORGET]["records"], retain["splits"][FORGET]["records"])
    if warning:
        out["warning"] = warning
    return out


def compare_questions(mine: list[dict[str, Any]], theirs: list[dict[str, Any]]) -> str | None:
    """Why two forget sets differ (count, or question texts where both have them), else None."""
    if len(mine) != len(theirs):
        return (f"the retain values cover {len(theirs)} forget questions, this evaluation {len(mine)} (e.g. TOFU's "
                "published logs hold the first 300: use `meow eval --limit`)")
    q_mine = [r.get("question") for r in mine]
    q_theirs = [r.get("question") for r in theirs]
    if all(isinstance(q, str) for q in q_mine + q_theirs) and set(q_mine) != set(q_theirs):
        return "the retain model was evaluated on different forget questions"
    return None



@summary("model_utility", show=Shown(
    "model_utility", "model utility", "higher",
    "harmonic mean of probability, ROUGE-L recall and truth ratio on the retain, real-authors and world-facts sets "
    "(9 numbers)", "evals/<name>/summary.json: model_utility.value", order=20, short="MU", sweep=True))
def model_utility_entry(ev: dict[str, Any], splits: dict[str, Any], retain: dict[str, Any] | None) -> dict[str, Any]:
    """Model utility: harmonic mean of {probability, ROUGE-L recall, truth ratio} x {retain, real authors, world facts}."""
    desc = describe(model_utility_entry)
    parts: dict[str, float] = {}
    lacking = []
    for split in UTILITY_SPLITS:
        for name in UTILITY_METRICS:
            entry = splits.get(split, {}).get(name)
            if entry is None or entry.get("value") is None:
                lacking.append(f"{split}/{name}")
            else:
                parts[f"{split}/{name}"] = entry["value"]
    if lacking:
        return missing(f"needs all 9 components; missing {', '.join(lacking)}", desc, components=parts)
    value = harmonic_mean(list(parts.values()))
    if not math.isfinite(value):
        return missing("a component is not finite", desc, components=parts)
    return {"value": value, "reason": None, "description": desc, "components": parts}
