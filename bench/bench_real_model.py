"""A real model's costs, side by side in one run: scoring throughput, training step full vs LoRA, peak memory,
float32 vs bfloat16.

    python bench/bench_real_model.py --model .fixtures/models/smollm2-135m-instruct [--steps 3] [--out DIR]

Each measurement runs in a fresh child process (spawned), so its peak memory is its own: on CPU the child's peak
resident set size (`ru_maxrss`, the model included), on a GPU `torch.cuda.max_memory_allocated`. Times are CPU
seconds of the child (steadier than wall time on a shared machine; both are kept). Measured:

- `score_batched` / `score_single`: `meow.modeling.score` of every (question, answer) pair of the built-in
  common-knowledge records (`bench_memo.REAL_RECORDS`, answers and inverted answers) in one batch vs one pair at a
  time: scored tokens per CPU second;
- `train_full` / `train_lora`: `--steps` AdamW steps (after one warm-up step) on a batch of 8 rows x 64 tokens
  (loss on every token): seconds per step; LoRA rank 8 on meow's default target modules (`meow.modeling.lora`);
- each in float32 and bfloat16 weights.

Prints one line per measurement and the ratios (batched/single scoring, full/LoRA step, float32/bfloat16).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
NAME = "real_model"


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="bench_real_model", description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True, help="model folder (e.g. from `meow model get`)")
    p.add_argument("--steps", type=int, default=3, help="timed optimizer steps per training measurement")
    p.add_argument("--rows", type=int, default=8, help="training rows per step")
    p.add_argument("--length", type=int, default=64, help="tokens per training row")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads in each child")
    p.add_argument("--device", default=None, help="default: cuda when available, else cpu")
    p.add_argument("--out", default=None, help="folder for bench_real_model.json")
    return p.parse_args(argv)


def _peak(device: str) -> float:
    """Peak memory in MiB: the CUDA allocator's on a GPU, the process's resident set size on CPU."""
    import torch

    if device.startswith("cuda"):
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _load(model: str, dtype: str, device: str) -> Any:
    from meow.modeling import load_lm

    lm = load_lm(model, dtype=dtype)
    lm.model.to(device)
    return lm


def measure_score(model: str, dtype: str, device: str, batched: bool) -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    from bench_memo import REAL_RECORDS

    from meow.modeling import score

    lm = _load(model, dtype, device)
    qs = [r["question"] for r in REAL_RECORDS for _ in range(1 + len(r["inverted_answers"]))]
    ans = [a for r in REAL_RECORDS for a in [r["answer"], *r["inverted_answers"]]]
    prompts, conts = lm.prompts(qs), lm.continuations(ans)
    score(lm, prompts[:2], conts[:2])  # warm-up
    cpu, wall = time.process_time(), time.perf_counter()
    if batched:
        out = score(lm, prompts, conts, batch_size=len(prompts))
    else:
        out = [s for p, c in zip(prompts, conts) for s in score(lm, [p], [c], batch_size=1)]
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    tokens = sum(len(s.logprobs) for s in out)
    from meow.modeling.scoring import encode_pairs

    through = sum(len(e["input_ids"]) for e in encode_pairs(lm, prompts, conts))  # prompt + answer tokens
    return {"cpu_s": cpu, "wall_s": wall, "tokens": tokens, "tokens_per_cpu_s": tokens / cpu,
            "input_tokens": through, "input_tokens_per_cpu_s": through / cpu,
            "mean_nll": sum(s.mean_nll for s in out) / len(out), "peak_mib": _peak(device)}


def measure_train(model: str, dtype: str, device: str, lora: bool, steps: int, rows: int, length: int
                  ) -> dict[str, Any]:
    import torch

    lm = _load(model, dtype, device)
    net = lm.model
    if lora:
        from peft import LoraConfig, get_peft_model

        from meow.modeling.lora import lora_targets

        net = get_peft_model(net, LoraConfig(r=8, lora_alpha=16, target_modules=lora_targets(net)))
    net.train()
    params = [p for p in net.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-5)
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(0, net.config.vocab_size, (rows, length), generator=g).to(device)

    def step() -> float:
        loss = net(input_ids=ids, labels=ids).loss
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        return float(loss.detach())

    step()  # warm-up: optimizer states allocated
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(steps):
        step()
    return {"cpu_s_per_step": (time.process_time() - cpu) / steps, "wall_s_per_step": (time.perf_counter() - wall) / steps,
            "trainable": sum(p.numel() for p in params), "peak_mib": _peak(device)}


def _child(q: Any, fn: str, kwargs: dict[str, Any], threads: int) -> None:
    import torch

    torch.set_num_threads(threads)
    q.put(globals()[fn](**kwargs))


def in_child(fn: str, threads: int, **kwargs: Any) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_child, args=(q, fn, kwargs, threads))
    p.start()
    out = q.get()
    p.join()
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse(argv)
    import torch

    from meow.io import write_json

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    rows: dict[str, Any] = {}
    for dtype in ("float32", "bfloat16"):
        for batched in (True, False):
            name = f"score_{'batched' if batched else 'single'}_{dtype}"
            rows[name] = r = in_child("measure_score", args.threads, model=args.model, dtype=dtype, device=device,
                                      batched=batched)
            print(f"{name}: {r['tokens_per_cpu_s']:.0f} scored tokens per CPU s ({r['tokens']} answer tokens; "
                  f"{r['input_tokens_per_cpu_s']:.0f} tokens through the model per CPU s), peak {r['peak_mib']:.0f} MiB",
                  flush=True)
        for lora in (False, True):
            name = f"train_{'lora' if lora else 'full'}_{dtype}"
            rows[name] = r = in_child("measure_train", args.threads, model=args.model, dtype=dtype, device=device,
                                      lora=lora, steps=args.steps, rows=args.rows, length=args.length)
            print(f"{name}: {r['cpu_s_per_step']:.2f} CPU s per step ({args.rows} x {args.length} tokens, "
                  f"{r['trainable'] / 1e6:.2f}M trainable), peak {r['peak_mib']:.0f} MiB", flush=True)
    ratios = {
        f"score_batched_over_single_{d}": rows[f"score_batched_{d}"]["tokens_per_cpu_s"]
        / rows[f"score_single_{d}"]["tokens_per_cpu_s"] for d in ("float32", "bfloat16")}
    ratios.update({f"train_full_over_lora_{d}": rows[f"train_full_{d}"]["cpu_s_per_step"]
                   / rows[f"train_lora_{d}"]["cpu_s_per_step"] for d in ("float32", "bfloat16")})
    ratios.update({f"{k}_float32_over_bfloat16": rows[f"{k}_float32"]["cpu_s_per_step"]
                   / rows[f"{k}_bfloat16"]["cpu_s_per_step"] for k in ("train_full", "train_lora")})
    ratios["train_full_peak_float32_over_bfloat16"] = (rows["train_full_float32"]["peak_mib"]
                                                       / rows["train_full_bfloat16"]["peak_mib"])
    ratios["train_peak_full_over_lora_float32"] = (rows["train_full_float32"]["peak_mib"]
                                                   / rows["train_lora_float32"]["peak_mib"])
    result = {"name": NAME, "device": device, "model": args.model, "measurements": rows, "ratios": ratios,
              "options": vars(args)}
    print(f"{NAME}: scoring batched {ratios['score_batched_over_single_float32']:.1f}x one-at-a-time; train step "
          f"full {ratios['train_full_over_lora_float32']:.2f}x LoRA, float32 "
          f"{ratios['train_full_float32_over_bfloat16']:.2f}x bfloat16 (full), peak memory full "
          f"{ratios['train_peak_full_over_lora_float32']:.2f}x LoRA (float32)")
    if args.out:
        write_json(Path(args.out) / "bench_real_model.json", result)
    return result


if __name__ == "__main__":
    main()
