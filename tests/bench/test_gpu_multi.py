"""bench/gpu_multi.py (`gpu_check.py --gpus N`) without GPUs: the launch line it builds, the engines it skips and
why, one worker's peak-memory record, and the plan it compares with. The launched CPU run itself
(`gpu_check.py --tiny --gpus 2`, FSDP2 over gloo, about a minute) is left to the GPU check and docs/distributed.md;
tests/unlearn/test_unlearn_engines.py launches the same configs."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture(scope="module")
def gpu_multi():
    sys.path.insert(0, str(BENCH))
    try:
        import gpu_multi
    finally:
        sys.path.remove(str(BENCH))
    return gpu_multi


def test_launch_command(gpu_multi, tmp_path):
    cmd = gpu_multi.launch_command("fsdp", 4, True, tmp_path, ["--model", "m"], python="py")
    assert cmd[:7] == ["py", "-m", "accelerate.commands.launch", "--config_file",
                       str(gpu_multi.CONFIGS / "fsdp.yaml"), "--num_processes", "4"]
    assert cmd[7:] == [str(BENCH / "gpu_multi.py"), "--worker", str(tmp_path), "--model", "m"]
    assert gpu_multi.launch_command("fsdp", 2, False, tmp_path, [])[4].endswith("fsdp_cpu.yaml")  # CPU: FSDP2
    assert gpu_multi.launch_command("zero3", 2, True, tmp_path, [])[4].endswith("deepspeed_zero3.yaml")
    for engine in ("fsdp", "zero3"):
        for gpu in (True, False):
            assert gpu_multi.engine_config(engine, gpu).is_file()
    has_ds = importlib.util.find_spec("deepspeed") is not None
    assert (gpu_multi.unavailable("zero3") is None) == has_ds and gpu_multi.unavailable("fsdp") is None


def test_worker_records_its_peak_and_the_plan_matches_the_setup(gpu_multi, tiny_model_dir, tiny_bench_dir, tmp_path,
                                                                monkeypatch):
    """One process as a launched worker would run it (its rank from RANK; WORLD_SIZE 1 here)."""
    monkeypatch.setenv("RANK", "0")
    argv = ["--model", str(tiny_model_dir), "--forget", str(tiny_bench_dir / "forget10_perturbed.json"), "--retain",
            str(tiny_bench_dir / "retain90.json"), *gpu_multi.RUNS["npo_cached"], "--max-steps", "1",
            "--out", str(tmp_path / "model")]
    assert gpu_multi.worker(tmp_path / "peaks", argv) == 0
    record = json.loads((tmp_path / "peaks" / "peak_rank0.json").read_text())
    assert record["rank"] == 0 and record["peak_bytes"] > 0 and record["measure"] == "peak RSS"
    assert json.loads((tmp_path / "model" / "unlearn_summary.json").read_text())["steps"] == 1
    plan = gpu_multi.planned(tiny_model_dir, "meow_gd_lora", "zero3", 4, 4, 64, "fp32")
    from meow.plan import Setup, load_arch
    from meow.plan import plan as make_plan

    direct = make_plan(load_arch(str(tiny_model_dir)), Setup(method="meow_gd", lora_r=16, engine="zero3", gpus=4,
                                                            batch_size=4, max_length=64))
    assert plan == direct.as_dict() and plan["trainable"] < plan["params"]
