"""Two CPU processes over gloo (`torchrun -m meow unlearn`) give the same model as one process with the same
effective batch: 2 per device x 2 processes vs 4 x 1, grad-accum 2 in both.

Why they agree: every loss is a mean over rows of per-row values, DDP averages the two half-batch gradients, the
seeded sampler hands process p the p-th half of each global batch, and retain rows are paired by row index.

Both runs train in float64 (`--dtype float64`), since equality is the claim. What remains is summation order (gloo
all-reduce of two half-batch gradients vs one batched matmul; padding to other lengths). In float32 that order
alone moved weights by up to 1.1e-5 on an AVX2 machine (AdamW divides each update by sqrt(v), so an entry whose
gradient nearly cancels turns a rounding difference into a sizeable relative one). The same computation in
float64 has unit roundoff 2^-53 instead of 2^-24, 2^29 = 5.4e8 times smaller, so the same amplification gives
~2e-14 (measured: 6.4e-15 on an AVX-512 machine): the weight bound below, 1e-9, leaves a factor of 1e4 for it to
be worse on another CPU, and is still 1e5 times below how far the 4 steps move the weights (> 1e-4, checked).
Needs float64 losses (meow.unlearn.losses keeps float64 logits in float64).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch
from safetensors.torch import load_file

from meow.cli import main

COMMON = ["--method", "meow_gd", "--top-k", "2", "--select", "largest", "--max-steps", "4", "--grad-accum", "2",
          "--warmup-epochs", "0", "--lr", "1e-3", "--logging-steps", "1", "--seed", "3", "--dtype", "float64"]
F64 = 1e-9  # see the module docstring: float64 summation order, amplified as float32's was, with a 1e4 margin
LOGGED = 2 * 2.0 ** -23  # the train log rounds each float64 loss to float32: equal losses straddling a rounding
# boundary come out 1 ulp (2^-23 relative, at most) apart; 2 ulp allows one more for the mean over logging steps


def losses(out) -> list[float]:
    rows = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
    return [r["loss"] for r in rows if "loss" in r]


def test_two_processes_match_one(tiny_model_dir, unlearn_files, tmp_path):
    args = ["unlearn", "--model", str(tiny_model_dir), "--forget", str(unlearn_files["forget"]),
            "--retain", str(unlearn_files["retain"]), *COMMON]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "meow", *args, "--out", str(tmp_path / "ddp"), "--batch-size", "2"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert main([*args, "--out", str(tmp_path / "single"), "--batch-size", "4"]) == 0

    ddp = json.loads((tmp_path / "ddp" / "unlearn_summary.json").read_text())
    single = json.loads((tmp_path / "single" / "unlearn_summary.json").read_text())
    assert (ddp["world_size"], single["world_size"]) == (2, 1)
    assert ddp["steps"] == single["steps"] == 4 and ddp["rows"] == single["rows"] == 12  # 12 rows / 4 = 3 batches
    assert losses(tmp_path / "ddp") == pytest.approx(losses(tmp_path / "single"), rel=LOGGED)
    a, b = load_file(tmp_path / "ddp" / "model.safetensors"), load_file(tmp_path / "single" / "model.safetensors")
    start = load_file(tiny_model_dir / "model.safetensors")
    assert a["model.embed_tokens.weight"].dtype == torch.float64
    assert max(float((a[k] - b[k]).abs().max()) for k in a) < F64
    assert max(float((a[k] - start[k].double()).abs().max()) for k in a) > 1e-4  # and training did move the weights


def test_token_mean_two_processes_match_one(tiny_model_dir, unlearn_files, tmp_path):
    """--loss-reduction token under the reference schedule: rows of unequal length split over 2 processes and 2
    accumulation steps still give one token mean over the accumulated batch (global token counts), as one process
    does. The last step of each epoch has a single micro-batch (6 questions, 4 per step): its count is its own."""
    args = ["unlearn", "--model", str(tiny_model_dir), "--forget", str(unlearn_files["forget"]),
            "--retain", str(unlearn_files["retain"]), *COMMON[:6], "--max-steps", "3", "--grad-accum", "2",
            "--warmup-epochs", "0", "--lr", "1e-3", "--logging-steps", "1", "--seed", "3",
            "--schedule", "reference", "--loss-reduction", "token", "--dtype", "float64"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "meow", *args, "--out", str(tmp_path / "ddp"), "--batch-size", "1"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert main([*args, "--out", str(tmp_path / "single"), "--batch-size", "2"]) == 0
    ddp = json.loads((tmp_path / "ddp" / "unlearn_summary.json").read_text())
    assert ddp["world_size"] == 2 and ddp["steps"] == 3 and ddp["items"] == 6
    assert losses(tmp_path / "ddp") == pytest.approx(losses(tmp_path / "single"), rel=LOGGED)
    a, b = load_file(tmp_path / "ddp" / "model.safetensors"), load_file(tmp_path / "single" / "model.safetensors")
    assert max(float((a[k] - b[k]).abs().max()) for k in a) < F64
