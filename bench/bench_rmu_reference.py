"""RMU's frozen reference: meow's copy truncated after the steered layer (forward stopped there) vs a full frozen copy
(what open-unlearning and WMDP keep): parameters held and retain-forward time, measured side by side.

    python bench/bench_rmu_reference.py [--hidden 512] [--layers 12] [--layer 7] [--batch 8] [--tokens 128]

A randomly initialised Llama of the given shape (weights do not matter for memory or speed). Both references
produce the same layer-L activations (checked); the time is the median of --repeats forwards each, alternating.
Prints, e.g.

    rmu_reference: prefix/full frozen parameters ratio 0.62, forward time ratio 0.64
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time
from typing import Any

NAME = "rmu_reference"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(prog="bench_rmu_reference", description=__doc__.splitlines()[0])
    p.add_argument("--hidden", type=int, default=512)
    p.add_argument("--layers", type=int, default=12)
    p.add_argument("--layer", type=int, default=7, help="the steered layer (WMDP's 7)")
    p.add_argument("--vocab", type=int, default=8000)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--tokens", type=int, default=128)
    p.add_argument("--repeats", type=int, default=7)
    args = p.parse_args(argv)

    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from meow.unlearn.methods.rmu import capture, find_module, frozen_prefix

    torch.manual_seed(0)
    cfg = LlamaConfig(hidden_size=args.hidden, num_hidden_layers=args.layers, num_attention_heads=8,
                      num_key_value_heads=8, intermediate_size=4 * args.hidden, vocab_size=args.vocab,
                      tie_word_embeddings=False)
    model = LlamaForCausalLM(cfg).eval()
    name, _ = find_module(model, rf"model\.layers\.{args.layer}")
    prefix, prefix_mod = frozen_prefix(model, name)
    full = copy.deepcopy(model).eval().requires_grad_(False)
    full_mod = full.get_submodule(name)
    ids = torch.randint(0, args.vocab, (args.batch, args.tokens))
    group = {"input_ids": ids, "attention_mask": torch.ones_like(ids)}

    def count(m: Any) -> int:
        return sum(t.numel() for t in m.parameters())

    times: dict[str, list[float]] = {"prefix": [], "full": []}
    with torch.no_grad():
        a, b = capture(prefix, prefix_mod, group, stop=True), capture(full, full_mod, group)
        assert torch.allclose(a, b, atol=1e-5), "the two references disagree"
        for _ in range(args.repeats):
            for key, (m, mod, stop) in {"prefix": (prefix, prefix_mod, True), "full": (full, full_mod, False)}.items():
                t = time.perf_counter()
                capture(m, mod, group, stop=stop)
                times[key].append(time.perf_counter() - t)
    out = {"params_prefix": count(prefix), "params_full": count(full),
           "seconds_prefix": statistics.median(times["prefix"]), "seconds_full": statistics.median(times["full"]),
           "options": vars(args)}
    out["params_ratio"] = out["params_prefix"] / out["params_full"]
    out["time_ratio"] = out["seconds_prefix"] / out["seconds_full"]
    print(f"{NAME}: prefix/full frozen parameters ratio {out['params_ratio']:.2f}, "
          f"forward time ratio {out['time_ratio']:.2f}")
    return out


if __name__ == "__main__":
    main()
