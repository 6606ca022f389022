"""Known-facts metrics (RWKU-style probes of knowledge learned in pre-training; `meow benchmark make --kind
known-facts`).

Splits of a known-facts benchmark in `meow eval`: forget (the targets' questions), retain (the neighbours: other
entities of the same kind), world_facts (general knowledge) and holdout (the neighbours again, as MIA
non-members: MIA forget vs neighbour). Forget records carry `probes`; `probe_splits` answers them greedily as
two more splits, `forget_fill_in_blank` and `forget_adversarial` (RWKU's probe levels 1 and 3; the question itself
is level 2, the forget split).

- `key_fact` (per question) = 1 if the greedy answer states the record's `fact` or one of its `fact_variants` as a
  run of whole words (lowercased, punctuation stripped at word edges), else 0; the split value is the mean.
  RWKU scores the same probes with ROUGE-L recall of the answer (`rouge_l_recall` is kept on the forget split).
- `known_facts` (summary) = forget accuracy per probe kind, neighbour accuracy, general accuracy; its value is the
  highest forget accuracy over the probe kinds (the goal "at most 0.1 on every probe kind" is value <= 0.1).

No retain model exists for pre-training knowledge: the model before unlearning is the reference (its own
evaluation for before/after numbers; `--mia-reference-model` for the Reference attack).
"""

from __future__ import annotations

from typing import Any

from meow.benchmark.known_facts.bank import NO_RETAIN_MODEL
from meow.evaluate.base import FORGET, RETAIN, WORLD_FACTS, Scored, describe, metric, missing, summary
from meow.registry import Shown

KIND = "known-facts"  # summary.json "kind" when the known_facts entry has a value (meow.benchmark.BENCHMARKS)
PROBE_SPLITS = {"fill_in_blank": "forget_fill_in_blank", "adversarial": "forget_adversarial"}
FORGET_KINDS = {"fill_in_blank": PROBE_SPLITS["fill_in_blank"], "question": FORGET,
                "adversarial": PROBE_SPLITS["adversarial"]}
FILL_IN = "Fill in the blank (___) in this sentence: {}"


def key_fact_hit(generation: str, record: dict[str, Any]) -> bool:
    """The generation states the record's fact or one of its accepted variants."""
    from meow.data.facts import states_fact

    keys = [record["fact"], *(record.get("fact_variants") or [])]
    return any(states_fact(generation, k) for k in keys if isinstance(k, str))


def probe_prompt(kind: str, text: str) -> str:
    """The user turn of a probe: the blank with an instruction, the adversarial text as it is."""
    return FILL_IN.format(text) if kind == "fill_in_blank" else text


def _shown(split: str, column: str, label: str, better: str, what: str, order: int, short: str) -> Shown:
    return Shown(column, label, better, f"key-fact accuracy (a key fact or an accepted variant stated as whole words) "
                 f"of the greedy answers to {what}", f"evals/<name>/summary.json: splits.{split}.key_fact.value",
                 order=order, key=split, table="known_facts", short=short, sweep=True)


@metric("key_fact", group="tofu", splits=(FORGET, RETAIN, WORLD_FACTS, *PROBE_SPLITS.values()),
        label="key-fact accuracy (known facts)", needs=("generation",), show=[
            _shown(PROBE_SPLITS["fill_in_blank"], "kf_forget_fill_in_blank", "forget KFA: fill-in-the-blank", "lower",
                   "the forget targets' fill-in-the-blank probes", 500, "forget\nblank"),
            _shown(FORGET, "kf_forget_question", "forget KFA: question", "lower", "the forget targets' questions",
                   510, "forget\nQA"),
            _shown(PROBE_SPLITS["adversarial"], "kf_forget_adversarial", "forget KFA: adversarial", "lower",
                   "the forget targets' adversarial rephrasings", 520, "forget\nadv."),
            _shown(RETAIN, "kf_neighbour", "neighbour KFA", "higher",
                   "entities of the same kind as the forget targets (collateral damage)", 530, "neighbour\nKFA"),
            _shown(WORLD_FACTS, "kf_general", "general KFA", "higher", "the other entities (general knowledge)", 540,
                   "general\nKFA")])
def _key_fact(q: Scored) -> bool | None:
    """Known-facts key-fact accuracy: share of greedy answers stating the key fact or an accepted variant (records of a known-facts benchmark, which carry `fact_variants`)."""
    if "fact_variants" not in q.record or not q.record.get("fact") or q.generation is None:
        return None
    return key_fact_hit(q.generation, q.record)


def probe_splits(lm: Any, records: list[dict[str, Any]] | None, cfg: Any) -> dict[str, dict[str, Any]]:
    """Answer the forget records' fill-in-the-blank and adversarial probes (one batched greedy `generate` call):
    {split: {"source", "records"}} for the splits of PROBE_SPLITS; {} without probes or without generation."""
    from meow.modeling import generate

    out: dict[str, dict[str, Any]] = {}
    if not cfg.generation or not records:
        return out
    todo = [(kind, i, probe_prompt(kind, r["probes"][kind])) for kind in PROBE_SPLITS for i, r in enumerate(records)
            if isinstance(r.get("probes"), dict) and isinstance(r["probes"].get(kind), str)]
    if not todo:
        return out
    gens = generate(lm, lm.prompts([t[2] for t in todo]), max_new_tokens=cfg.max_new_tokens,
                    batch_size=cfg.batch_size)
    for kind, split in PROBE_SPLITS.items():
        rows = []
        for (k, i, prompt), gen in zip(todo, gens):
            if k == kind:
                rec = records[i]
                rows.append({"index": i, "question": prompt, "answer": rec["answer"], "fact": rec["fact"],
                             "generation": gen, "key_fact": key_fact_hit(gen, rec)})
        if rows:
            out[split] = {"source": f"forget split, probes.{kind}", "records": rows}
    return out


def _value(splits: dict[str, Any], split: str) -> float | None:
    entry = splits.get(split, {}).get("key_fact")
    return entry.get("value") if isinstance(entry, dict) else None


@summary("known_facts", label="known facts: highest forget key-fact accuracy", show=Shown(
    "kf_forget_max", "forget KFA: highest over probe kinds", "lower", "the highest forget key-fact accuracy over the "
    "probe kinds (fill-in-the-blank, question, adversarial): the goal is at most 0.1", "evals/<name>/summary.json: "
    "known_facts.value", order=495, table="known_facts", short="forget\nmax", sweep=True))
def known_facts_entry(ev: dict[str, Any], splits: dict[str, Any], retain: dict[str, Any] | None) -> dict[str, Any]:
    """Known facts (RWKU-style): forget key-fact accuracy per probe kind (fill-in-the-blank, question, adversarial), neighbour and general key-fact accuracy; value = the highest forget accuracy over the probe kinds."""
    desc = describe(known_facts_entry)
    forget = {kind: _value(splits, split) for kind, split in FORGET_KINDS.items()}
    present = [v for v in forget.values() if v is not None]
    if not present:
        return missing("not a known-facts evaluation (no key_fact values; data from `meow benchmark make --kind "
                       "known-facts`, generation on)", desc)
    return {"value": max(present), "reason": None, "description": desc, "forget": forget,
            "neighbour": _value(splits, RETAIN), "general": _value(splits, WORLD_FACTS), "reference": NO_RETAIN_MODEL}
