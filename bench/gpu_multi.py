"""`gpu_check.py --gpus N`: unlearning sharded over N GPUs with FSDP and DeepSpeed ZeRO-3, peak memory per device.

    python bench/gpu_check.py --gpus 2 --out gpu_multi.json           # N GPUs, Llama-3.2-1B shape, bf16
    python bench/gpu_check.py --gpus 2 --tiny --out gpu_multi.json    # CPU: tiny shapes, FSDP2 over gloo

Builds the random Llama-3.2-1B-shaped model and the benchmark as `gpu_check` does, then for each engine
(`fsdp`: configs/accelerate/fsdp.yaml, FSDP1 with sync_module_states, on GPUs; fsdp_cpu.yaml, FSDP2, on CPU;
`zero3`: deepspeed_zero3.yaml; skipped, with the reason in the JSON, when deepspeed is not importable) and each
run (meow_gd full, meow_gd LoRA, NPO with cached reference log-probs) one
`accelerate launch --config_file CONFIG --num_processes N bench/gpu_multi.py --worker OUT ARGS...`: each process
runs `meow unlearn ARGS` and writes its peak memory (`torch.cuda.max_memory_allocated` on its GPU; on CPU its peak
RSS) to OUT/peak_rank{R}.json. The JSON has, per engine and run, every device's peak, the seconds, the loss and
`meow plan`'s estimate per device for the same setup (meow.plan), so the plan is checked on GPUs too.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CONFIGS = ROOT / "configs" / "accelerate"
RUNS = {"meow_gd_full": ["--method", "meow_gd", "--select", "random", "--top-k", "2"],
        "meow_gd_lora": ["--method", "meow_gd", "--select", "random", "--top-k", "2", "--lora-r", "16",
                         "--lora-alpha", "32"],
        "npo_cached": ["--method", "npo", "--ref-mode", "cached"]}
PLAN_ENGINE = {"fsdp": "fsdp", "zero3": "zero3"}


def engine_config(engine: str, gpu: bool) -> Path:
    if engine == "zero3":
        return CONFIGS / "deepspeed_zero3.yaml"
    return CONFIGS / ("fsdp.yaml" if gpu else "fsdp_cpu.yaml")


def launch_command(engine: str, gpus: int, gpu: bool, out: Path, unlearn_args: list[str],
                   python: str = sys.executable) -> list[str]:
    """The `accelerate launch` line of one run: N processes, the engine's config, this file as the worker."""
    return [python, "-m", "accelerate.commands.launch", "--config_file", str(engine_config(engine, gpu)),
            "--num_processes", str(gpus), str(Path(__file__).resolve()), "--worker", str(out), *unlearn_args]


def unavailable(engine: str) -> str | None:
    """Why `engine` cannot run here (None: it can)."""
    if engine == "zero3":
        import importlib.util

        if importlib.util.find_spec("deepspeed") is None:
            return "deepspeed is not installed (pip install deepspeed)"
    return None


def worker(out: Path, argv: list[str]) -> int:
    """One launched process: `meow unlearn argv`, then this process's peak memory into out/peak_rank{R}.json."""
    import torch

    from meow.cli import main

    code = main(["unlearn", *argv])
    rank = int(os.environ.get("RANK", "0"))
    if torch.cuda.is_available():
        peak, measure = torch.cuda.max_memory_allocated(), "torch.cuda.max_memory_allocated"
    else:
        peak, measure = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, "peak RSS"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"peak_rank{rank}.json").write_text(json.dumps({"rank": rank, "peak_bytes": peak, "measure": measure}))
    return code


def planned(model_dir: Path, name: str, engine: str, gpus: int, batch_size: int, max_length: int,
            precision: str) -> dict[str, Any]:
    from meow.plan import Setup, load_arch, plan

    method = RUNS[name][1]
    lora = int(RUNS[name][RUNS[name].index("--lora-r") + 1]) if "--lora-r" in RUNS[name] else 0
    setup = Setup(method=method, lora_r=lora, engine=PLAN_ENGINE[engine], gpus=gpus, batch_size=batch_size,
                  max_length=max_length, precision=precision)
    return plan(load_arch(str(model_dir)), setup).as_dict()


def longest_row(model_dir: Path, files: list[Path], slack: int = 16) -> int:
    """Tokens of the longest question + answer of `files` (+ `slack` for the prompt format): the padded length a
    batch reaches, which the plan's activations use (its --max-length would be the truncation limit)."""
    from transformers import AutoTokenizer

    from meow.data import load_records

    tok = AutoTokenizer.from_pretrained(model_dir)
    rows = [r for f in files for r in load_records(f)]
    return slack + max(len(tok(f"{r['question']} {a}")["input_ids"]) for r in rows
                       for a in [r["answer"], *r.get("inverted_answers", [])])


def run_multi(gpus: int, work: Path, model_dir: Path, data: Path, inverted: Path, steps: int, batch_size: int,
              precision: str, max_length: int = 512, engines: tuple[str, ...] = ("fsdp", "zero3")) -> dict[str, Any]:
    """Every engine x run of RUNS, launched on `gpus` processes; the per-device peaks and the plan."""
    import torch

    gpu = torch.cuda.is_available()
    env = {**os.environ, "TOKENIZERS_PARALLELISM": "false",
           "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    common = ["--model", str(model_dir), "--retain", str(data / "retain90.json"), "--max-steps", str(steps),
              "--batch-size", str(batch_size), "--grad-accum", "1", "--warmup-epochs", "0", "--precision", precision,
              "--max-length", str(max_length), "--logging-steps", "1", "--seed", "0", "--force"]
    length = longest_row(model_dir, [inverted, data / "retain90.json"])
    result: dict[str, Any] = {"gpus": gpus, "plan_row_tokens": length, "device": "cuda" if gpu else "cpu", "engines": {}}
    for engine in engines:
        why = unavailable(engine)
        if why:
            result["engines"][engine] = {"skipped": why}
            print(f"  {engine}: skipped ({why})", flush=True)
            continue
        rows = result["engines"][engine] = {"config": str(engine_config(engine, gpu).relative_to(ROOT))}
        for name, opts in RUNS.items():
            out = work / f"{engine}_{name}"
            cmd = launch_command(engine, gpus, gpu, out / "peaks",
                                 [*common, "--forget", str(inverted), *opts, "--out", str(out / "model")])
            start = time.perf_counter()
            proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
            seconds = time.perf_counter() - start
            if proc.returncode:
                rows[name] = {"error": proc.stderr[-2000:], "command": cmd}
                print(f"  {engine} {name}: FAILED (see the JSON)", flush=True)
                continue
            peaks = sorted((json.loads(p.read_text()) for p in (out / "peaks").glob("peak_rank*.json")),
                           key=lambda r: r["rank"])
            summary = json.loads((out / "model" / "unlearn_summary.json").read_text())
            plan = planned(model_dir, name, engine, gpus, batch_size, min(length, max_length), precision)
            rows[name] = {"seconds": round(seconds, 1), "engine": summary["engine"], "steps": summary["steps"],
                          "train_loss": summary["train_loss"], "measure": peaks[0]["measure"] if peaks else None,
                          "peak_memory_mb_per_device": [round(p["peak_bytes"] / 2**20, 1) for p in peaks],
                          "plan_total_mb_per_device": round(plan["total"] / 2**20, 1), "plan": plan}
            print(f"  {engine:<6} {name:<14} {seconds:7.1f} s   peak per device "
                  f"{', '.join(f'{p:.0f}' for p in rows[name]['peak_memory_mb_per_device'])} MiB   plan "
                  f"{rows[name]['plan_total_mb_per_device']:.0f} MiB", flush=True)
    return result


if __name__ == "__main__" and len(sys.argv) > 2 and sys.argv[1] == "--worker":
    raise SystemExit(worker(Path(sys.argv[2]), sys.argv[3:]))
