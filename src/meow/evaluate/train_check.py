"""`meow train --check N` after training: does the model state what it was trained on? (key-fact accuracy, ROUGE-L recall, as in eval)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from meow.data import load_records
from meow.data.facts import states_fact
from meow.evaluate.tofu import rouge_l_recall
from meow.io import write_json
from meow.modeling.generation import generate_answers
from meow.modeling.lm import LM


def memorisation_check(lm: LM, data: str, split: str | None, n: int, out: str, console: Any) -> dict[str, Any]:
    records = load_records(data, split)[:n]
    gens = generate_answers(lm, [r["question"] for r in records], max_new_tokens=64)
    rouge = [rouge_l_recall(g, r["answer"]) for r, g in zip(records, gens)]
    hits = [states_fact(g, r["fact"]) for r, g in zip(records, gens) if r.get("fact")]
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
