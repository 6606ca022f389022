"""Plain, slow references that the batched code is checked against (importable from any test: `import reference`)."""

from __future__ import annotations

import torch


@torch.no_grad()
def greedy(lm, prompt: str, max_new: int) -> str:
    """Greedy decoding of one prompt, no padding: append the argmax token until EOS or `max_new` tokens."""
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


# A local lm-eval multiple-choice task over a JSON Lines file of {"question", "choices", "label"} rows
# (`.format(name=..., data=...)`), for the eval-nlu tests.
MC_YAML = """task: {name}
dataset_path: json
dataset_kwargs:
  data_files:
    test: {data}
test_split: test
output_type: multiple_choice
doc_to_text: "Question: {{{{question}}}}\\nAnswer:"
doc_to_choice: "{{{{choices}}}}"
doc_to_target: label
metric_list:
  - metric: acc
    aggregation: mean
    higher_is_better: true
  - metric: acc_norm
    aggregation: mean
    higher_is_better: true
"""
