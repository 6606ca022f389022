"""The report's columns: what each shows, which direction is better, and where its value comes from.

Three tables: `main` (one column per headline metric), `robustness` (attack results) and `nlg` (open-ended
generation). A cell is (value, reason): value None means not available, and reason says why (never a made-up 0).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from meow.report.collect import RETAIN, Model, Run

Cell = tuple[float | None, str | None]

# better: "higher", "lower", "0.5" (closest to 0.5 is best), "0" (closest to 0 is best)
ARROWS = {"higher": "↑", "lower": "↓", "0.5": "→0.5", "0": "→0"}


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    better: str
    description: str
    source: str
    get: Callable[[Model, Run], Cell]
    table: str = "main"
    digits: int = 3  # decimals shown (values below 1e-3 are shown in scientific notation)
    short: str = ""  # terminal header (abbreviations in SHORT_LEGEND)

    @property
    def header(self) -> str:
        return f"{self.label} {ARROWS[self.better]}"

    @property
    def short_header(self) -> str:
        return f"{self.short or self.label} {ARROWS[self.better]}"

    def info(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "table": self.table, "better": self.better,
                "description": self.description, "source": self.source}


BAD = "unusable value"  # start of the reason of a value that is there but not a finite number (warned about)


def number(v: Any, where: str) -> Cell:
    """A finite number as a cell; anything else (NaN, infinity, a string, a boolean, a list) is n/a with a reason."""
    if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
        return float(v), None
    return None, f"{BAD} {str(v)[:40]!r} at {where} (not a finite number)"


def dig(obj: Any, *keys: str) -> Any:
    """obj[k1][k2]... where every level is a mapping; None as soon as one is not."""
    for k in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(k)
    return obj


def _value(entry: Any, missing: str, where: str = "value") -> Cell:
    if not isinstance(entry, dict):
        return None, missing
    v = entry.get("value")
    if v is None:
        reason = entry.get("reason")
        return None, reason if isinstance(reason, str) and reason else missing
    return number(v, where)


def headline(name: str) -> Callable[[Model, Run], Cell]:
    """summary.json `name`.value (or the report's recomputation when `meow eval` had no retain model)."""

    def get(m: Model, run: Run) -> Cell:
        return _value(m.recomputed.get(name) or m.summary.get(name), f"no {name} in summary.json",
                      f"summary.json {name}.value")

    return get


def of_kind(kind: str, get: Callable[[Model, Run], Cell]) -> Callable[[Model, Run], Cell]:
    """`get`, for summaries of one kind only ("tofu": `meow eval`, "muse": `meow eval-muse`); n/a for the other."""

    def only(m: Model, run: Run) -> Cell:
        if m.summary.get("kind", "tofu") != kind:
            return None, f"not a {kind} evaluation"
        return get(m, run)

    return only


def split_metric(split: str, name: str) -> Callable[[Model, Run], Cell]:
    """summary.json splits.<split>.<name>.value."""

    def get(m: Model, run: Run) -> Cell:
        if not isinstance(dig(m.summary, "splits", split), dict):
            why = dig(m.summary, "missing_splits", split)
            return None, f"{split} split not evaluated" + (f": {why}" if isinstance(why, str) else "")
        return _value(dig(m.summary, "splits", split, name), f"no {name} on the {split} split (e.g. generation "
                                                             "or the metric group switched off)",
                      f"summary.json splits.{split}.{name}.value")

    return get


def memo(kind: str) -> Callable[[Model, Run], Cell]:
    def get(m: Model, run: Run) -> Cell:
        if m.memo is None:
            return None, "no memo.json for this model"
        v = getattr(m.memo, kind)
        return (v, None) if v is not None else (None, f"no MEMO of {kind} answers in {m.memo.source.name}")

    return get


def attack_metric(attack: str, metric: str, column: str) -> Callable[[Model, Run], Cell]:
    """summary.json attack.metrics.<metric>.<column> of RUN/attacks/<model>/<attack>/ (the attacked model's own
    number falls back to splits.forget.<metric>.value)."""

    def get(m: Model, run: Run) -> Cell:
        s = m.attacks.get(attack)
        if s is None:
            return None, f"no {attack} attack for this model"
        v = dig(s, "attack", "metrics", metric, column)
        if v is None and column in ("after", "paraphrased", "value"):
            v = dig(s, "splits", "forget", metric, "value")
        if v is None:
            return None, f"no {metric} {column} in the {attack} attack"
        return number(v, f"{attack} attack summary.json attack.metrics.{metric}.{column}")

    return get


def relearn_gap(m: Model, run: Run) -> Cell:
    """after - retain_after: the attack's own `gap` if it relearned a retain model, else against the retain row's
    relearn attack."""
    gap, _ = attack_metric("relearn", "fact_hit", "gap")(m, run)
    if gap is not None:
        return gap, None
    after, why_after = attack_metric("relearn", "fact_hit", "after")(m, run)
    if after is None:
        return None, why_after
    retain = run.role(RETAIN)
    ref, _ = attack_metric("relearn", "fact_hit", "after")(retain, run) if retain else (None, None)
    if ref is None:
        return None, "no retain-model relearn to compare with (relearn the retain model too)"
    return after - ref, None


def nlg_metric(name: str) -> Callable[[Model, Run], Cell]:
    def get(m: Model, run: Run) -> Cell:
        if m.nlg is None:
            return None, "no NLG results for this model"
        source = m.nlg_source.name if m.nlg_source else "nlg results"
        return _value(dig(m.nlg, name), f"no {name} in {source}", f"{source} {name}.value")

    return get


def known_fact(*keys: str) -> Callable[[Model, Run], Cell]:
    """summary.json known_facts.<keys> (meow eval on a known-facts benchmark)."""

    def get(m: Model, run: Run) -> Cell:
        entry = m.summary.get("known_facts")
        if not isinstance(entry, dict) or entry.get("value") is None:
            return None, "not a known-facts evaluation"
        v = dig(entry, *keys)
        return (None, f"no known_facts.{'.'.join(keys)}") if v is None else number(v, "known_facts." + ".".join(keys))

    return get


EVAL = "evals/<name>/summary.json"
ATTACK = "attacks/<name>/{}/summary.json"
COLUMNS: tuple[Column, ...] = (
    Column("forget_quality", "forget quality", "higher",
           "p-value of the two-sample KS test between this model's forget-set truth ratios and the retain model's; "
           "> 0.05: statistically indistinguishable from the retain model",
           f"{EVAL}: forget_quality.value; if null for lack of a retain model, computed from the row's eval.json "
           "against the retain row's (meow.evaluate.forget_quality)", headline("forget_quality"), short="FQ"),
    Column("model_utility", "model utility", "higher",
           "harmonic mean of probability, ROUGE-L recall and truth ratio on the retain, real-authors and "
           "world-facts sets (9 numbers)", f"{EVAL}: model_utility.value", headline("model_utility"), short="MU"),
    Column("forget_fact_hit", "forget key-fact acc.", "lower",
           "share of greedy answers to forget questions that still state the key fact",
           f"{EVAL}: splits.forget.fact_hit.value", split_metric("forget", "fact_hit"), short="forget\nKFA"),
    Column("retain_fact_hit", "retain key-fact acc.", "higher",
           "share of greedy answers to retain questions that state the key fact",
           f"{EVAL}: splits.retain.fact_hit.value", split_metric("retain", "fact_hit"), short="retain\nKFA"),
    Column("forget_rouge_l", "forget ROUGE-L", "lower",
           "mean ROUGE-L recall of the greedy answers to forget questions against the true answers",
           f"{EVAL}: splits.forget.rouge_l_recall.value", split_metric("forget", "rouge_l_recall"), short="forget\nR-L"),
    Column("forget_memo", "forget MEMO", "lower",
           "mean MEMO (ROUGE-1 precision of continuations from growing answer prefixes) of the original forget "
           "answers under this model",
           "evals/<name>/memo.json (target: also memo/forget.json): mean over records of memo.answer",
           memo("original"), short="forget\nMEMO"),
    Column("mia_auc", "MIA AUC", "0.5",
           "membership-inference ROC-AUC (Min-K%), forget (members) vs holdout (non-members); 0.5: cannot tell "
           "them apart", f"{EVAL}: mia_auc.value", headline("mia_auc"), short="MIA\nAUC"),
    Column("privleak", "PrivLeak", "0",
           "((1 - AUC) - (1 - AUC_retain)) / (1 - AUC_retain) * 100, Min-K% AUC (MUSE, open-unlearning); 0: leaks "
           "as much as the retain model, negative: still leaks, positive: over-unlearned",
           f"{EVAL}: privleak.value; if computed against the default reference AUC 0.5 (no retain model), "
           "recomputed against the retain row as forget quality is",
           of_kind("tofu", headline("privleak")), short="PrivLeak"),
    Column("verbmem_forget", "VerbMem forget", "lower",
           "MUSE VerbMem (0-100): mean ROUGE-L F1 of greedy continuations of forget-article prompts against the "
           "true continuations", f"{EVAL}: verbmem_forget.value (meow eval-muse)", headline("verbmem_forget"),
           "muse", digits=2, short="VerbMem\nforget"),
    Column("knowmem_forget", "KnowMem forget", "lower",
           "MUSE KnowMem on the forget set (0-100): mean ROUGE-L F1 of few-shot answers",
           f"{EVAL}: knowmem_forget.value (meow eval-muse)", headline("knowmem_forget"), "muse", digits=2,
           short="KnowMem\nforget"),
    Column("knowmem_retain", "KnowMem retain", "higher",
           "MUSE KnowMem on the retain set (0-100, utility): mean ROUGE-L F1 of few-shot answers",
           f"{EVAL}: knowmem_retain.value (meow eval-muse)", headline("knowmem_retain"), "muse", digits=2,
           short="KnowMem\nretain"),
    Column("muse_privleak", "PrivLeak", "0",
           "MUSE PrivLeak (percent): ((1 - AUC) - (1 - AUC_retain)) / (1 - AUC_retain) x 100, Min-40% AUC forget vs "
           "holdout; 0: leaks as much as the retain model, strongly negative: still leaks",
           f"{EVAL}: privleak.value (meow eval-muse)", of_kind("muse", headline("privleak")), "muse", digits=2,
           short="PrivLeak"),
    Column("fluency_ls", "fluency LS", "higher",
           "ReLearn's linguistic score of the greedy forget answers: harmonic mean of sigmoid(-ln PPL), "
           "sigmoid(-ln Brunet), sigmoid(ln Honore)", f"{EVAL}: splits.forget.fluency_ls.value",
           split_metric("forget", "fluency_ls"), short="LS"),
    Column("relearn_fact_hit", "relearn: forget key-fact acc.", "lower",
           "key-fact accuracy on held-out forget questions after relearning on the other forget questions",
           ATTACK.format("relearn") + ": attack.metrics.fact_hit.after",
           attack_metric("relearn", "fact_hit", "after"), "robustness", short="relearn\nKFA"),
    Column("relearn_gap", "relearn: vs retain model", "lower",
           "relearned key-fact accuracy minus the retain model's after the same relearning (<= 0: nothing more "
           "comes back than for a model that never saw the forget set)",
           ATTACK.format("relearn") + ": attack.metrics.fact_hit.gap, else after minus the retain row's after",
           relearn_gap, "robustness", short="relearn\ngap"),
    Column("paraphrase_fact_hit", "paraphrase: key-fact acc.", "lower",
           "key-fact accuracy of the answers to reworded forget questions",
           ATTACK.format("paraphrase") + ": attack.metrics.fact_hit.paraphrased",
           attack_metric("paraphrase", "fact_hit", "paraphrased"), "robustness", short="paraphrase\nKFA"),
    Column("prefix_leak", "prefix: facts extracted", "lower",
           "share of forget answers whose key fact a greedy continuation of a fact-free answer prefix states",
           ATTACK.format("prefix") + ": attack.metrics.prefix_leak.value",
           attack_metric("prefix", "prefix_leak", "value"), "robustness", short="prefix\nleak"),
    *(Column(f"kf_forget_{kind}", f"forget KFA: {label}", "lower",
             f"key-fact accuracy of greedy answers to the forget targets' {label} probes (RWKU-style; a key fact "
             "or an accepted variant stated as whole words)", f"{EVAL}: known_facts.forget.{kind}",
             known_fact("forget", kind), "known_facts", short=f"forget\n{short}")
      for kind, label, short in (("fill_in_blank", "fill-in-the-blank", "blank"), ("question", "question", "QA"),
                                 ("adversarial", "adversarial", "adv."))),
    Column("kf_neighbour", "neighbour KFA", "higher",
           "key-fact accuracy on entities of the same kind as the forget targets (collateral damage)",
           f"{EVAL}: known_facts.neighbour", known_fact("neighbour"), "known_facts", short="neighbour\nKFA"),
    Column("kf_general", "general KFA", "higher", "key-fact accuracy on the other entities (general knowledge)",
           f"{EVAL}: known_facts.general", known_fact("general"), "known_facts", short="general\nKFA"),
    Column("nlg_bleu", "BLEU", "higher", "corpus BLEU (0-100) of continuations of held-out texts",
           "nlg/<name>/summary.json or nlg.json: bleu.value", nlg_metric("bleu"), "nlg", 2),
    Column("nlg_rep3", "Rep-3", "lower", "share of repeated word trigrams in the continuations",
           "nlg/<name>/summary.json or nlg.json: rep3.value", nlg_metric("rep3"), "nlg"),
    Column("nlg_mauve", "MAUVE", "higher", "MAUVE of the continuations against the true continuations",
           "nlg/<name>/summary.json or nlg.json: mauve.value", nlg_metric("mauve"), "nlg"),
)
SHORT_LEGEND = "FQ forget quality, MU model utility, KFA key-fact accuracy, R-L ROUGE-L recall, LS fluency"
TABLES = {"main": "Main results", "muse": "MUSE (text corpora: meow eval-muse)",
          "known_facts": "Known facts (pre-training knowledge: meow benchmark make --kind known-facts)", "robustness": "Robustness (attacks on the forget set)",
          "nlg": "Open-ended generation (NLG)"}


def columns(table: str) -> list[Column]:
    return [c for c in COLUMNS if c.table == table]


def best(values: list[float | None], better: str) -> float | None:
    """The best of the given values under `better` (None if there are none)."""
    vals = [v for v in values if v is not None]
    if not vals:
        return None
    key = {"higher": lambda v: -v, "lower": lambda v: v, "0.5": lambda v: abs(v - 0.5), "0": abs}[better]
    return min(vals, key=key)


def fmt(value: float | None, digits: int = 3) -> str:
    """'n/a' for a missing value; scientific notation below 1e-3 (forget quality p-values)."""
    if value is None:
        return "n/a"
    if value != 0 and abs(value) < 1e-3:
        return f"{value:.1e}"
    return f"{value:.{digits}f}"
