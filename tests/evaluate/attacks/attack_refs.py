"""Plain references for the attack tests: one-row greedy decoding by hand and a regex key-fact check."""

from __future__ import annotations

import re

import torch


@torch.no_grad()
def ref_generate(lm, prompt: str, max_new: int) -> str:
    """Append the argmax token until EOS or `max_new` tokens (one row, key/value cache, no padding)."""
    ids = lm.tokenizer(prompt, add_special_tokens=not lm.fmt.prompt_has_special_tokens)["input_ids"]
    out = lm.model(torch.tensor([ids]), use_cache=True)
    new: list[int] = []
    while len(new) < max_new:
        nxt = int(out.logits[0, -1].argmax())
        if nxt == lm.tokenizer.eos_token_id:
            break
        new.append(nxt)
        out = lm.model(torch.tensor([[nxt]]), past_key_values=out.past_key_values, use_cache=True)
    return lm.tokenizer.decode(new, skip_special_tokens=True).strip()


def ref_states(text: str, fact: str) -> bool:
    """The fact, case-folded, as a run of whole words of the text."""
    text, fact = " ".join(text.lower().split()), " ".join(fact.lower().split())
    return re.search(r"(?<!\w)" + re.escape(fact) + r"(?!\w)", text) is not None


def ref_mean(values: list) -> float:
    values = [float(v) for v in values]
    return sum(values) / len(values)
