"""Batched generation: left padding, each row stops at EOS. The one place evaluation generates text."""

from __future__ import annotations

import torch

from meow.modeling.encoding import collate
from meow.modeling.lm import LM
from meow.modeling.scoring import length_sorted_batches


@torch.no_grad()
def generate(lm: LM, prompts: list[str], max_new_tokens: int = 200, batch_size: int = 64,
             temperature: float = 0.0, seed: int = 0) -> list[str]:
    """Greedy (temperature 0) or sampled continuations of each prompt; returns only the new text, stripped."""
    tok, model = lm.tokenizer, lm.model
    special = not lm.fmt.prompt_has_special_tokens
    encs = [{"input_ids": tok(p, add_special_tokens=special)["input_ids"]} for p in prompts]
    out: list[str] = [""] * len(prompts)
    if temperature > 0:
        torch.manual_seed(seed)
    sample = {"do_sample": True, "temperature": temperature, "top_p": 1.0, "top_k": 0} if temperature > 0 else {
        "do_sample": False, "temperature": None, "top_p": None, "top_k": None}
    for idx in length_sorted_batches([len(e["input_ids"]) for e in encs], batch_size):
        batch = collate([encs[i] for i in idx], tok.pad_token_id, left=True)
        batch = {k: v.to(lm.device) for k, v in batch.items()}
        gen = model.generate(**batch, max_new_tokens=max_new_tokens, pad_token_id=tok.pad_token_id,
                             eos_token_id=tok.eos_token_id, **sample)
        new = gen[:, batch["input_ids"].shape[1]:]
        for row, i in enumerate(idx):
            out[i] = tok.decode(new[row], skip_special_tokens=True).strip()
    return out


def generate_answers(lm: LM, questions: list[str], max_new_tokens: int = 200, batch_size: int = 64) -> list[str]:
    """Greedy answers to questions in the model's prompt format."""
    return generate(lm, lm.prompts(questions), max_new_tokens, batch_size)
