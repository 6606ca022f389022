"""Paraphrase attack: ask the forget questions in other words and measure what leaks.

Rewordings come from the data's `paraphrased_question` where present, else from the rules below (each returns
None where it does not apply). The rules only move words around or add a frame, so the facts asked for stay the same:

    tell_me      "What is the birthplace of X?"         -> "Tell me the birthplace of X."
    in_situ      "Where was X born?"                    -> "X was born where?"
    embedded     "Which genre is X known for?"          -> "Do you know which genre X is known for?"
    stranded     "In which city was X born?"            -> "Which city was X born in?"
    which_what   "Which book did X publish first?"      -> "What book did X publish first?"   (and back)
    wondering    "Has X won an award?"                   -> "I was wondering, has X won an award?"
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from meow.errors import MeowError, where
from meow.evaluate.attacks.base import (
    AttackOptions,
    attack,
    evaluate_forget,
    metric_rows,
    part,
    result,
    split_entry,
)
from meow.evaluate.base import FORGET
from meow.registry import Shown

if TYPE_CHECKING:
    from meow.modeling import LM

MODES = ("auto", "data", "rules", "all")
METRICS = ("fact_hit", "rouge_l_recall", "truth_ratio", "probability", "fact_leak", "fact_any", "forget_quality")

_BE = r"(is|was|are|were)"
_PREDICATE = r"(born|known for|married to|\w+ed(?: (?:by|for|to|in|with|at|as))?)"
_WH = r"(Where|When|Who|Why|How|(?:Which|What) [\w' ]+?)"
_LOWER_FIRST = {"what", "who", "where", "when", "which", "how", "why", "in", "at", "for", "from", "with", "by", "to",
                "on", "has", "have", "had", "is", "was", "are", "were", "do", "does", "did", "can", "could", "will",
                "would", "tell", "name"}


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _low(wh: str) -> str:
    return wh[:1].lower() + wh[1:]


def tell_me(q: str) -> str | None:
    m = re.fullmatch(rf"(?:What|Who) {_BE} (the .+)\?", q)
    return f"Tell me {m.group(2)}." if m else None


def in_situ(q: str) -> str | None:
    m = re.fullmatch(rf"(What|Who) {_BE} (the .+)\?", q)
    if m:
        return f"{_cap(m.group(3))} {m.group(2)} {_low(m.group(1))}?"
    m = re.fullmatch(rf"{_WH} {_BE} (.+?) {_PREDICATE}\?", q)
    return f"{_cap(m.group(3))} {m.group(2)} {m.group(4)} {_low(m.group(1))}?" if m else None


def embedded(q: str) -> str | None:
    m = re.fullmatch(rf"{_WH} {_BE} (.+?) {_PREDICATE}\?", q)
    return f"Do you know {_low(m.group(1))} {m.group(3)} {m.group(2)} {m.group(4)}?" if m else None


def stranded(q: str) -> str | None:
    m = re.fullmatch(r"(In|At|For|From|With|By|To|On|Under) (which|what) (.+)\?", q)
    return f"{_cap(m.group(2))} {m.group(3)} {m.group(1).lower()}?" if m else None


def which_what(q: str) -> str | None:
    m = re.fullmatch(r"Which (.+\?)", q)
    if m:
        return f"What {m.group(1)}"
    m = re.fullmatch(r"What (?!(?:is|was|are|were|does|did|do|has|have|had)\b)(.+\?)", q)
    return f"Which {m.group(1)}" if m else None


def wondering(q: str) -> str | None:
    first = q.split(" ", 1)[0]
    return "I was wondering, " + (_low(q) if first.lower() in _LOWER_FIRST else q)


RULES: dict[str, Callable[[str], str | None]] = {f.__name__: f for f in (tell_me, in_situ, embedded, stranded,
                                                                         which_what, wondering)}


def reword(question: str) -> list[tuple[str, str]]:
    """(rule name, rewording) for every rule that applies and changes the question, without duplicates."""
    q = " ".join(question.split())
    out, seen = [], {q}
    for name, rule in RULES.items():
        new = rule(q)
        if new and new not in seen:
            seen.add(new)
            out.append((name, new))
    return out


def paraphrases(rec: dict, mode: str = "auto") -> list[tuple[str, str]]:
    """(source, question) pairs to ask: "data" (the record's paraphrased_question) and/or "rule:<name>"."""
    data = rec.get("paraphrased_question")
    from_data = [("data", data)] if isinstance(data, str) and data.strip() and data != rec["question"] else []
    if mode == "data" or (mode == "auto" and from_data):
        return from_data
    rules = [(f"rule:{name}", q) for name, q in reword(rec["question"])]
    return rules if mode in ("auto", "rules") else from_data + rules


@dataclass
class ParaphraseConfig(AttackOptions):
    """Options of the paraphrase attack."""

    paraphrases: str = field(default="auto", metadata={
        "help": "auto: the data's paraphrased_question, else rule-based rewordings; data; rules; all (both)",
        "choices": MODES})


def expand(records: list[dict], mode: str, source: str = "forget set") -> tuple[list[dict], list[int], list[str]]:
    """(records with the question replaced by each paraphrase, owning record index, paraphrase source)."""
    rows, owner, kinds = [], [], []
    for i, rec in enumerate(records):
        pairs = paraphrases(rec, mode)
        if not pairs and mode == "data":
            raise MeowError(f"{where(source, i, 'paraphrased_question')}: missing (needed with --paraphrases data)")
        for kind, q in pairs:
            rows.append({**rec, "question": q})
            owner.append(i)
            kinds.append(kind)
    if not rows:
        raise MeowError(f"{source}: no question could be reworded")
    return rows, owner, kinds


def leak_entries(original: Any, paraphrased: Any, owner: list[int]) -> dict[str, dict[str, Any]]:
    """fact_leak: share of questions (with a key fact) whose fact no original answer states but some paraphrased
    answer does; fact_any: share stated under the original or any paraphrase."""
    orig = original.data["splits"][FORGET]["records"]
    para = paraphrased.data["splits"][FORGET]["records"]
    hit_para: dict[int, bool] = {}
    for i, r in zip(owner, para):
        if "fact_hit" in r:
            hit_para[i] = hit_para.get(i, False) or bool(r["fact_hit"])
    with_fact = [i for i, r in enumerate(orig) if "fact_hit" in r and i in hit_para]
    n = len(with_fact)
    leak = sum(hit_para[i] and not orig[i]["fact_hit"] for i in with_fact)
    either = sum(hit_para[i] or orig[i]["fact_hit"] for i in with_fact)
    return {"fact_leak": split_entry(leak / n if n else None, n, "fact_leak", leak_entries.__doc__.split(";")[0]),
            "fact_any": split_entry(either / n if n else None, n, "fact_any",
                                    "share of questions whose key fact is stated under the original or any paraphrase")}


def _run(lm: LM, records: list[dict], rows: list[dict], owner: list[int], kinds: list[str], cfg: ParaphraseConfig,
         reference: tuple[Any, Any], source: str | None, progress: bool) -> tuple[Any, Any]:
    original = evaluate_forget(lm, records, cfg, reference[0], source, progress)
    para = evaluate_forget(lm, rows, cfg, reference[1], source, progress)
    for rec, i, kind in zip(para.data["splits"][FORGET]["records"], owner, kinds):
        rec.update({"original_index": i, "original_question": records[i]["question"], "paraphrase_source": kind})
    para.summary["splits"][FORGET].update(leak_entries(original, para, owner))
    return original, para


def _check(records: list[dict], cfg: ParaphraseConfig, source: str) -> None:
    expand(records, cfg.paraphrases, source)


@attack("paraphrase", ParaphraseConfig, needs=("paraphrased_answer", "perturbed_answer"), check=_check, show=[
    Shown("paraphrase_fact_hit", "paraphrase: key-fact acc.", "lower",
          "key-fact accuracy of the answers to reworded forget questions",
          "attacks/<name>/paraphrase/summary.json: attack.metrics.fact_hit.paraphrased", order=160,
          key="fact_hit.paraphrased", table="robustness", short="paraphrase\nKFA")])
def paraphrase(lm: LM, records: list[dict], cfg: ParaphraseConfig, *, retain_lm: LM | None = None,
               retain_eval: Any = None, source: str | None = None, progress: bool = True) -> dict[str, Any]:
    """Paraphrase: the forget questions asked in other words (the data's paraphrased_question or rule-based rewordings); key-fact accuracy and ROUGE-L recall of the greedy answers against those to the original questions."""
    rows, owner, kinds = expand(records, cfg.paraphrases, source or "forget set")
    r_orig = r_para = None
    if retain_lm is not None:
        r_orig, r_para = _run(retain_lm, records, rows, owner, kinds, cfg, (None, None), source, progress)
    orig, para = _run(lm, records, rows, owner, kinds, cfg,
                      (r_orig.data if r_orig else None, r_para.data if r_para else None), source, progress)
    cols = {"original": part(orig), "paraphrased": part(para), "change": ("paraphrased", "original"),
            "retain_original": part(r_orig), "retain_paraphrased": part(r_para),
            "retain_change": ("retain_paraphrased", "retain_original"), "gap": ("paraphrased", "retain_paraphrased")}
    by_source: dict[str, int] = {}
    for k in kinds:
        by_source[k] = by_source.get(k, 0) + 1
    headline = {"paraphrases": len(rows), "by_source": by_source,
                "forget_quality_reference": "the retain model under the same questions" if retain_lm else None,
                "metrics": metric_rows(METRICS, cols)}
    parts = {"original": cols["original"]}
    if retain_lm is not None:
        parts.update({"retain_model": cols["retain_paraphrased"], "retain_model_original": cols["retain_original"]})
    return result("paraphrase", cfg, cols["paraphrased"], headline, parts)
