"""`meow plan`: print (or write as JSON) the memory per device of an unlearning setup."""

from __future__ import annotations

import argparse
import json
from typing import Any

from meow import options as O
from meow.plan.arch import PRESETS
from meow.plan.memory import ENGINES

ROWS = ("parameters", "gradients", "optimizer", "reference", "activations")


def add_commands(sub: Any) -> None:
    p = sub.add_parser("plan", help="memory per device of an unlearning setup (from the model config)",
                       description="Parameter, gradient, optimizer-state, reference-model and activation memory per "
                       "device for one unlearning setup, computed from the model's config.json (no weights loaded). "
                       "Formulas: meow.plan.memory.")
    src = p.add_mutually_exclusive_group(required=True)
    O.model(src, "model folder or its config.json (local; no hub)", required=False)
    src.add_argument("--arch", choices=sorted(PRESETS), help="a built-in config preset")
    p.add_argument("--method", default="meow_gd", help="unlearning method (see `meow methods`)")
    p.add_argument("--lora", "--lora-r", type=int, default=0, metavar="R", dest="lora",
                   help="LoRA rank (0 = full fine-tuning)")
    p.add_argument("--engine", default="single", choices=ENGINES, help="single device, DDP, FSDP, ZeRO-2 / ZeRO-3")
    p.add_argument("--gpus", type=int, default=None, help="devices (default 1; 2 for ddp / fsdp / zero)")
    p.add_argument("--batch-size", type=int, default=4, help="rows per device per step, each row group")
    p.add_argument("--max-length", type=int, default=512, help="tokens per row")
    O.dtype(p)  # auto: the config's dtype, else float32
    p.add_argument("--precision", default="fp32", choices=("fp32", "bf16", "fp16"), help="autocast precision")
    p.add_argument("--gradient-checkpointing", action="store_true")
    p.add_argument("--ref-mode", default="cached", choices=("cached", "model"), help="NPO / DPO reference")
    p.add_argument("--ref-device", default="same", help="where a kept reference model lives (same | cpu)")
    p.add_argument("--json", action="store_true", help="print the plan as JSON")
    O.progress(p)  # nothing to show: accepted like every command's
    p.set_defaults(func=run_plan)


def config_dtype(model: str | None) -> str:
    """--dtype auto: the dtype a model folder's config.json declares (`dtype` / `torch_dtype`), else float32."""
    from pathlib import Path

    path = Path(model) if model else None
    if path is not None and path.is_dir():
        path = path / "config.json"
    if path is None or not path.is_file():
        return "float32"
    cfg = json.loads(path.read_text(encoding="utf-8"))
    return str(cfg.get("dtype") or cfg.get("torch_dtype") or "float32")


def gib(n: float) -> str:
    return f"{n / 2**30:.2f} GiB" if n >= 2**30 else f"{n / 2**20:.1f} MiB"


def run_plan(args: argparse.Namespace) -> int:
    from meow.plan.arch import load_arch
    from meow.plan.memory import Setup, plan

    arch = load_arch(args.model, args.arch)
    dtype = args.dtype if args.dtype != "auto" else config_dtype(args.model)
    gpus = args.gpus or (1 if args.engine == "single" else 2)
    setup = Setup(method=args.method, lora_r=args.lora, engine=args.engine, gpus=gpus, batch_size=args.batch_size,
                  max_length=args.max_length, dtype=dtype, precision=args.precision,
                  gradient_checkpointing=args.gradient_checkpointing, ref_mode=args.ref_mode,
                  ref_device=args.ref_device)
    result = plan(arch, setup)
    if args.json:
        print(json.dumps({"model": args.model or args.arch, "setup": vars(setup), **result.as_dict()}, indent=1))
        return 0
    print(f"{args.model or args.arch}: {result.params / 1e6:,.1f}M parameters, {result.trainable / 1e6:,.2f}M trained; "
          f"{args.method}{f' LoRA r={args.lora}' if args.lora else ''}, {args.engine} x {gpus}, batch "
          f"{args.batch_size} x {args.max_length} tokens x {len(result.groups)} group(s) ({', '.join(result.groups)})")
    for name in ROWS:
        print(f"  {name:<12} {gib(getattr(result, name)):>12}")
    print(f"  {'total':<12} {gib(result.total):>12}  per device")
    for note in result.notes:
        print(f"  {note}")
    return 0
