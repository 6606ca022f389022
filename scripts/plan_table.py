"""The README's 7B memory table, computed by `meow plan` (meow.plan): `python scripts/plan_table.py [--arch NAME]`.

Rows per device at batch 4 x 512 tokens (TOFU's batch per device and its ~500-token limit), GiB."""

from __future__ import annotations

import argparse

from meow.plan import Setup, load_arch, plan

BF16 = {"dtype": "bfloat16", "precision": "bf16", "gradient_checkpointing": True}
FP32 = {"dtype": "float32", "precision": "bf16", "gradient_checkpointing": True}
ROWS = [  # (label, flags shown, Setup fields)
    ("meow_gd, LoRA r=16", "--lora-r 16 --dtype bfloat16 --precision bf16 --gradient-checkpointing true",
     {"method": "meow_gd", "lora_r": 16, **BF16}),
    ("meow_gd, full, bf16 weights", "--dtype bfloat16 --precision bf16 --gradient-checkpointing true",
     {"method": "meow_gd", **BF16}),
    ("meow_gd, full, fp32 master weights", "--precision bf16 --gradient-checkpointing true",
     {"method": "meow_gd", **FP32}),
    ("same, FSDP on 8 GPUs", "+ `fsdp.yaml`", {"method": "meow_gd", "engine": "fsdp", "gpus": 8, **FP32}),
    ("same, ZeRO-3 on 8 GPUs", "+ `deepspeed_zero3.yaml`", {"method": "meow_gd", "engine": "zero3", "gpus": 8, **FP32}),
    ("npo, cached reference, FSDP on 8", "--precision bf16 --gradient-checkpointing true",
     {"method": "npo", "engine": "fsdp", "gpus": 8, **FP32}),
    ("npo, kept reference, FSDP on 8", "+ `--ref-mode model`",
     {"method": "npo", "ref_mode": "model", "engine": "fsdp", "gpus": 8, **FP32}),
    ("rmu (3 down_proj trained), bf16", "--dtype bfloat16 --precision bf16 --gradient-checkpointing true",
     {"method": "rmu", **BF16}),
]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--arch", default="llama-2-7b")
    arch = load_arch(arch=p.parse_args().arch)
    print("| run | flags | weights | gradients | AdamW | reference | activations | per device |")
    print("|---|---|---|---|---|---|---|---|")
    for label, flags, fields in ROWS:
        r = plan(arch, Setup(batch_size=4, max_length=512, **fields))
        cells = [r.parameters, r.gradients, r.optimizer, r.reference, r.activations, r.total]
        print(f"| {label} | `{flags}` | " if not flags.startswith("+") else f"| {label} | {flags} | ", end="")
        print(" | ".join(f"{c / 2**30:.1f}" for c in cells[:-1]) + f" | **{cells[-1] / 2**30:.1f} GiB** |")


if __name__ == "__main__":
    main()
