"""NPO with reference log-probs cached before training vs keeping the reference model: peak memory and step time.

    python bench/bench_npo_memory.py [--hidden 384] [--layers 6] [--steps 12] [--batch-size 4] [--out DIR]

Builds a fictitious-authors forget set and a randomly initialised Llama of the given shape (weights do not matter
for memory or speed), then runs `meow unlearn --method npo` twice, each in a fresh Python process, on the same data:
`--ref-mode cached` (log p_ref of each forget answer computed once, no second model) and `--ref-mode model`
(a frozen copy of the model scores every batch). Peak memory is the process's maximum RSS (resource.getrusage:
torch allocations are invisible to tracemalloc), or torch.cuda.max_memory_allocated on a GPU. Step time is the
median wall time of an optimizer step, the first one excluded; runs alternate between the modes (--repeats) and
the fastest of each counts, so a busy machine hurts both alike. Prints, e.g.

    npo_memory: cached/ref-model peak RSS ratio 0.81, step time ratio 0.74

and returns (and with --out writes) every number and option.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

NAME = "npo_memory"
MODES = ("cached", "model")


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="bench_npo_memory", description=__doc__.splitlines()[0])
    p.add_argument("--hidden", type=int, default=384, help="model width")
    p.add_argument("--layers", type=int, default=6, help="transformer blocks")
    p.add_argument("--vocab", type=int, default=2000, help="BPE vocabulary size")
    p.add_argument("--authors", type=int, default=20, help="fictitious authors (6 questions each, 10%% forgotten)")
    p.add_argument("--steps", type=int, default=12, help="optimizer steps per run")
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--threads", type=int, default=2, help="torch CPU threads in each run")
    p.add_argument("--repeats", type=int, default=2, help="runs per mode, interleaved; the fastest counts")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="folder for bench_npo_memory.json")
    p.add_argument("--worker", choices=MODES, default=None, help=argparse.SUPPRESS)
    p.add_argument("--model", default=None, help=argparse.SUPPRESS)
    p.add_argument("--data", default=None, help=argparse.SUPPRESS)
    p.add_argument("--result", default=None, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def setup(work: Path, args: argparse.Namespace) -> tuple[Path, Path]:
    """Forget records and a random model (tokenizer trained on the data) saved as a meow model folder."""
    from meow.benchmark import make_benchmark
    from meow.data import load_records
    from meow.modeling import LM, PromptFormat, save_lm
    from meow.modeling.lm import prepare_tokenizer
    from meow.modeling.tiny import TinyConfig, build_tiny_model, record_texts, train_tokenizer

    make_benchmark(work / "data", authors=args.authors, qa_per_author=6, seed=args.seed, background=6)
    records = load_records(work / "data", "full")
    tok = prepare_tokenizer(train_tokenizer(record_texts(records), args.vocab))
    shape = TinyConfig(hidden_size=args.hidden, layers=args.layers, heads=max(1, args.hidden // 64),
                       intermediate_size=4 * args.hidden, vocab_size=args.vocab)
    save_lm(LM(build_tiny_model(tok, shape, args.seed), tok, PromptFormat("plain")), work / "model",
            {"made_by": "bench_npo_memory (random weights)"})
    forget = next(p for p in (work / "data").iterdir() if p.name.startswith("forget") and "perturbed" not in p.name)
    return work / "model", forget


def worker(args: argparse.Namespace) -> None:
    """One unlearning run in this (fresh) process; writes peak memory and step times to --result."""
    import resource

    import torch
    from transformers import TrainerCallback

    from meow.unlearn.config import resolve_configs
    from meow.unlearn.run import unlearn

    torch.set_num_threads(args.threads)
    times: list[float] = []

    class StepTimer(TrainerCallback):
        def on_step_begin(self, *a: Any, **k: Any) -> None:
            self.t = time.perf_counter()

        def on_step_end(self, *a: Any, **k: Any) -> None:
            times.append(time.perf_counter() - self.t)

    cfg, method = resolve_configs(None, {"method": "npo", "ref_mode": args.worker, "max_steps": args.steps,
                                         "batch_size": args.batch_size, "grad_accum": 1, "warmup_epochs": 0,
                                         "seed": args.seed, "logging_steps": args.steps})
    out = Path(args.result).with_suffix("")
    summary = unlearn(args.model, args.data, str(out), cfg, method, force=True, callbacks=[StepTimer()])
    cuda = torch.cuda.is_available()
    result = {
        "mode": args.worker,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # Linux: KiB
        "peak_cuda_mb": torch.cuda.max_memory_allocated() / 2**20 if cuda else None,
        "step_seconds_median": statistics.median(times[1:] or times),
        "steps": len(times),
        "reference_seconds": summary["reference_seconds"],
        "parameters": sum(p.numel() for p in __import__("safetensors.torch", fromlist=["x"]).load_file(
            str(Path(args.model) / "model.safetensors")).values()),
    }
    Path(args.result).write_text(json.dumps(result))


def run_mode(mode: str, model: Path, data: Path, work: Path, args: argparse.Namespace, i: int = 0) -> dict[str, Any]:
    result = work / f"run_{mode}_{i}.json"
    cmd = [sys.executable, __file__, "--worker", mode, "--model", str(model), "--data", str(data),
           "--result", str(result), "--steps", str(args.steps), "--batch-size", str(args.batch_size),
           "--threads", str(args.threads), "--seed", str(args.seed)]
    env = {**os.environ, "TOKENIZERS_PARALLELISM": "false", "TRANSFORMERS_VERBOSITY": "error"}
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{mode} run failed:\n{proc.stderr[-3000:]}")
    return json.loads(result.read_text())


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse(argv)
    if args.worker:
        worker(args)
        return {}
    with tempfile.TemporaryDirectory(prefix="bench_npo_") as tmp:
        work = Path(tmp)
        model, data = setup(work, args)
        tries = [run_mode(mode, model, data, work, args, i) for i in range(args.repeats) for mode in MODES]
    runs = {mode: min((r for r in tries if r["mode"] == mode), key=lambda r: r["step_seconds_median"])
            for mode in MODES}
    c, m = runs["cached"], runs["model"]
    on_gpu = c["peak_cuda_mb"] is not None
    memory = "peak_cuda_mb" if on_gpu else "peak_rss_mb"
    out = {
        "name": NAME,
        "memory_ratio": c[memory] / m[memory],
        "step_time_ratio": c["step_seconds_median"] / m["step_seconds_median"],
        "memory_measure": "torch.cuda.max_memory_allocated" if on_gpu else "max RSS (getrusage)",
        "runs": runs,
        "options": {k: v for k, v in vars(args).items() if k not in ("worker", "model", "data", "result")},
    }
    for mode, r in runs.items():
        print(f"  {mode:>6}: peak {r[memory]:8.1f} MiB, {1000 * r['step_seconds_median']:7.1f} ms/step, "
              f"reference caching {r['reference_seconds']:.2f} s ({r['parameters'] / 1e6:.1f}M parameters)")
    what = "peak GPU memory" if on_gpu else "peak RSS"
    print(f"{NAME}: cached/ref-model {what} ratio {out['memory_ratio']:.2f}, "
          f"step time ratio {out['step_time_ratio']:.2f}")
    if args.out:
        from meow.io import write_json

        write_json(Path(args.out) / "bench_npo_memory.json", out)
    return out


if __name__ == "__main__":
    main()
