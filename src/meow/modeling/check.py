"""After `meow train`: does the model state what it was trained on? (key-fact accuracy, ROUGE-L recall)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from meow.data import load_records
from meow.io import write_json
from meow.modeling.generation import generate_answers
from meow.modeling.lm import LM


def _normalise(text: str) -> str:
    import re

    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def memorisation_check(lm: LM, data: str, split: str | None, n: int, out: str, console: Any) -> dict[str, Any]:
    from rouge_score import rouge_scorer

    records = load_records(data, split)[:n]
    gens = generate_answers(lm, [r["question"] for r in records], max_new_tokens=64)
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
    rouge = [scorer.score(r["answer"], g)["rougeL"].recall for r, g in zip(records, gens)]
    with_fact = [(r, g) for r, g in zip(records, gens) if r.get("fact")]
    hits = [_normalise(r["fact"]) in _normalise(g) for r, g in with_fact]
    result = {
        "records": len(records),
        "rouge_l_recall": sum(rouge) / len(rouge),
        "key_fact_accuracy": (sum(hits) / len(hits)) if hits else None,
    }
    write_json(Path(out) / "train_check.json", result)
    kfa = "n/a (no fact field)" if result["key_fact_accuracy"] is None else f"{result['key_fact_accuracy']:.3f}"
    console.print(f"memorisation on {len(records)} training questions: key-fact accuracy {kfa}, "
                  f"ROUGE-L recall {result['rouge_l_recall']:.3f}")
    return result
