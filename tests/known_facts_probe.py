"""A hand-written probe for the known-facts benchmark, so its tests never run the real model: an LM stand-in with
what probing needs, a `generate` that states the answer only for chosen entities, and a tiny saved model folder
for the CLI (whose generation the same fake replaces)."""

from __future__ import annotations

from pathlib import Path

from meow.benchmark.known_facts import load_bank
from meow.modeling import PromptFormat


class FakeLM:
    """What probing needs of an LM: prompts in a format, a path and a prompt format to key the probe on."""

    path = "fake-model"
    fmt = PromptFormat()

    def prompts(self, questions: list[str]) -> list[str]:
        return [f"Q: {q}" for q in questions]


def every_other_entity() -> set[str]:
    """Every other bank entity, "known" (3 of 4 of its facts: `fake_generate`)."""
    return set(list(dict.fromkeys(f.entity for f in load_bank()))[::2])


def fake_generate(known: set[str], calls: list[int]):
    """A generator that states the answer for questions of `known` entities (but every 4th) and a wrong one
    otherwise; each call appends its number of prompts to `calls`."""
    by_prompt = {f"Q: {f.question}": f for f in load_bank()}

    def generate(lm, prompts, max_new_tokens=200, batch_size=64, temperature=0.0, seed=0, desc=None):
        calls.append(len(prompts))
        out = []
        for p in prompts:
            f = by_prompt[p]
            out.append(f.answer if f.entity in known and f.index % 4 != 3 else f"I think it is {f.wrong[0]}.")
        return out

    return generate


def tiny_model_folder(folder: Path) -> Path:
    """A 1-layer model saved with a plain prompt format (loads in well under a second; never generates here)."""
    from meow.modeling.lm import LM, save_lm
    from meow.modeling.tiny import TinyConfig, build_tiny_model, record_texts, train_tokenizer

    tok = train_tokenizer(record_texts([f.record() for f in load_bank()[:20]]), vocab_size=300)
    model = build_tiny_model(tok, TinyConfig(hidden_size=16, layers=1, heads=2, intermediate_size=32,
                                             vocab_size=300, max_positions=64))
    return save_lm(LM(model, tok, PromptFormat()), folder)


def patch_cli_generate(monkeypatch, known: set[str], calls: list[int]) -> None:
    """`fake_generate` for the prompts of a plain-format model folder (`Question: ...\\nAnswer:`)."""
    by_q = fake_generate(known, calls)
    monkeypatch.setattr("meow.modeling.generation.generate",
                        lambda lm, prompts, *a, **k: by_q(lm, [p.replace("Question: ", "Q: ").removesuffix(
                            "\nAnswer:") for p in prompts], *a, **k))
