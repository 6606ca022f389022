"""Prefix extraction attack, MEMO-style: feed the question plus growing prefixes of the answer and greedily continue.

Windows are MEMO's suffix-mode windows (`meow.memo.memo.windows`: a[:i] for i = 1, 1+s, 1+2s, ... characters) plus
the bare question (i = 0). Per answer:

- prefix_leak: some window whose prefix does not already state the key fact (`fact`) is continued with a text
  that states it in full (`meow.evaluate.tofu.states_fact`); records without `fact` are left out of this share.
- memo: MEMO, the mean over the i >= 1 windows of the ROUGE-1 precision of the continuation against the rest
  of the answer a[i:] (`meow.memo.memo.rouge1_precision`), as `meow memo` scores it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from meow.evaluate.attacks.base import AttackOptions, attack, metric_rows, result, split_entry
from meow.evaluate.base import FORGET, mean
from meow.registry import Shown

if TYPE_CHECKING:
    from meow.modeling import LM

METRICS = ("prefix_leak", "memo", "fact_hit")


@dataclass
class PrefixConfig(AttackOptions):
    """Options of the prefix extraction attack."""

    stride: int = field(default=5, metadata={"help": "MEMO window step, in characters", "ge": 1})


def answer_windows(question: str, answer: str, stride: int) -> list[tuple[int, str, str]]:
    """(i, prefix a[:i], target a[i:]) for the bare question (i = 0) and MEMO's suffix windows."""
    from meow.memo.memo import windows

    return [(0, "", answer)] + [(len(head), head, target) for head, target in windows(question, answer, "suffix",
                                                                                       stride)]


def window_prompt(lm: LM, question: str, head: str) -> str:
    """The question in the model's format, followed by the answer's start as MEMO feeds it."""
    from meow.memo.memo import window_prompt as memo_prompt

    return memo_prompt(lm, question, head, "suffix") if head else lm.prompts([question])[0]


def extract(lm: LM, records: list[dict], cfg: PrefixConfig, progress: bool = True) -> list[dict[str, Any]]:
    """Per record: every window's prefix, continuation, ROUGE-1 precision and key-fact flags; one `generate` call."""
    from meow.data.facts import states_fact
    from meow.memo.memo import rouge1_precision
    from meow.modeling import generate

    per = [answer_windows(r["question"], r["answer"], cfg.stride) for r in records]
    prompts = [window_prompt(lm, r["question"], head) for r, ws in zip(records, per) for _, head, _ in ws]
    gens = iter(generate(lm, prompts, cfg.max_new_tokens, cfg.batch_size,
                         desc="prefix windows" if progress else None))
    out = []
    for index, (rec, ws) in enumerate(zip(records, per)):
        fact = rec.get("fact")
        rows = []
        for i, head, target in ws:
            gen = next(gens)
            row: dict[str, Any] = {"chars": i, "prefix": head, "generation": gen}
            if i:
                row["rouge1_precision"] = rouge1_precision(target, gen)
            if fact:
                row["fact_in_prefix"] = states_fact(head, fact)
                row["fact_hit"] = states_fact(gen, fact)
            rows.append(row)
        entry: dict[str, Any] = {"index": index, "question": rec["question"], "answer": rec["answer"]}
        scored = [w["rouge1_precision"] for w in rows if "rouge1_precision" in w]
        entry["memo"] = sum(scored) / len(scored) if scored else 0.0  # MEMO's value for a 1-character answer
        if fact:
            leaks = [w["chars"] for w in rows if w["fact_hit"] and not w["fact_in_prefix"]]
            entry.update({"fact": fact, "fact_hit": rows[0]["fact_hit"], "prefix_leak": bool(leaks),
                          "leak_chars": leaks[0] if leaks else None})
        entry["windows"] = rows
        out.append(entry)
    return out


def summarize_prefix(records: list[dict[str, Any]], model: str | None) -> dict[str, Any]:
    """summary.json content in `meow eval`'s shape: means over records under splits.forget."""
    splits = {}
    for name, desc in (("prefix_leak", "share of answers whose key fact a continuation states from a prefix that "
                                       "does not already state it"),
                       ("memo", "mean over answers of MEMO: ROUGE-1 precision of continuations from growing "
                                "answer prefixes against the rest of the answer"),
                       ("fact_hit", "key-fact accuracy of the greedy answer to the bare question")):
        values = [r[name] for r in records if name in r]
        if values:
            splits[name] = split_entry(mean(values), len(values), name, desc)
    return {"model": model, "splits": {FORGET: splits}}


def _part(lm: LM, records: list[dict], cfg: PrefixConfig, source: str | None, progress: bool) -> dict[str, Any]:
    rows = extract(lm, records, cfg, progress)
    ev = {"format": 1, "model": lm.path, "options": dataclasses.asdict(cfg),
          "splits": {FORGET: {"source": source, "records": rows}}}
    return {"eval": ev, "summary": summarize_prefix(rows, lm.path)}


@attack("prefix", PrefixConfig, show=[
    Shown("prefix_leak", "prefix: facts extracted", "lower",
          "share of forget answers whose key fact a greedy continuation of a fact-free answer prefix states",
          "attacks/<name>/prefix/summary.json: attack.metrics.prefix_leak.value", order=170, key="prefix_leak.value",
          table="robustness", short="prefix\nleak")])
def prefix(lm: LM, records: list[dict], cfg: PrefixConfig, *, retain_lm: LM | None = None, retain_eval: Any = None,
           source: str | None = None, progress: bool = True) -> dict[str, Any]:
    """Prefix extraction: the question plus growing prefixes of each forget answer, greedily continued; the share of answers whose key fact a continuation produces from a prefix that does not contain it, and MEMO's mean ROUGE-1 precision."""
    main = _part(lm, records, cfg, source, progress)
    retain = _part(retain_lm, records, cfg, source, progress) if retain_lm is not None else None
    if not any("fact" in r for r in main["eval"]["splits"][FORGET]["records"]):
        main["summary"]["prefix_leak_reason"] = "no record names its key fact (`fact`)"
    headline = {"with_fact": sum("fact" in r for r in main["eval"]["splits"][FORGET]["records"]),
                "metrics": metric_rows(METRICS, {"value": main, "retain": retain, "gap": ("value", "retain")})}
    if retain is not None:
        main["summary"]["retain_model"] = retain_lm.path
    return result("prefix", cfg, main, headline, {"retain_model": retain} if retain is not None else None)
