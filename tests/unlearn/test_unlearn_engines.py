"""FSDP (torch's FSDP2 `fully_shard` and FSDP1, through accelerate's FSDP plugin) and DeepSpeed ZeRO-2 / ZeRO-3 on
2 CPU processes over gloo give the model one process gives, with the same effective batch: 2 rows per process x 2
processes vs 4 x 1, grad-accum 2 in both (npo: 3 x 2 vs 6 x 1, its 6 rows being one global batch: accelerate pads
an uneven last batch with repeated rows, so row counts are chosen to divide evenly).

Each engine is launched once (`launching.launch`: one `accelerate launch` running several meow commands).

Tolerance: every run trains in float64 (`--dtype float64`), since equality is the claim, and weights must agree
within 1e-9 absolute. What differs is summation order (gloo all-reduce / reduce-scatter of two half-batch gradients
vs one batched sum). In float32 that alone moved weights by up to 2.4e-5 under torch's plain kernels
(ATEN_CPU_CAPABILITY=default): AdamW divides each update by sqrt(v), so an entry whose gradient is within rounding
of zero can move by up to lr per step whatever its rounding, and no float32 bound small enough to catch a dropped
shard holds for those on every CPU. float64's unit roundoff is 2^-53 instead of 2^-24, 2^29 = 5.4e8 times smaller,
so the same amplification gives ~5e-14; 1e-9 leaves a factor of 1e4 and is still 1e6 below how far training moves
the weights (> 1e-3), so an engine that drops or doubles a shard's gradient fails.
"""

from __future__ import annotations

import json

import pytest
import yaml
from launching import CONFIGS, deepspeed_python, launch
from safetensors.torch import load_file

from meow.cli import main

STEPS = ["--max-steps", "4", "--warmup-epochs", "0", "--lr", "1e-3", "--logging-steps", "1", "--seed", "3",
         "--dtype", "float64"]
RUNS = {  # name: (options, rows per process, accumulation)
    "meow_gd": (["--method", "meow_gd", "--top-k", "2", "--select", "largest"], 2, 2),
    "meow_gd_lora": (["--method", "meow_gd", "--top-k", "2", "--select", "largest", "--lora-r", "4"], 2, 2),
    "meow_gd_merged": (["--method", "meow_gd", "--top-k", "2", "--select", "largest", "--lora-r", "4", "--merge"],
                       2, 2),
    "npo": (["--method", "npo"], 3, 1),
    "npo_lora": (["--method", "npo", "--lora-r", "4"], 3, 1),
}
BOUND = 1e-9  # see the module docstring: float64 summation order, amplified as float32's is, with a 1e4 margin
# DeepSpeed's ZeRO optimizer keeps float32 master weights and reduces and steps in float32 whatever the model's
# dtype, so its runs are compared with the float64 single run at a float32 level. Per step an entry leaves the
# float64 path by at most |w| U32 (rounding the float32 master copy; |w| < 1.4 in the tiny model) plus lr times
# the relative error of AdamW's m / sqrt(v), which is that of the gradient: 2 gamma(n) (tests/tolerances.py) for
# its float32 sums of n <= 10^3 terms, 1.2e-4. Over K = 4 steps at lr 1e-3: 4 (1.4 x 6e-8 + 1e-3 x 1.2e-4) =
# 8e-7 (measured: 8.3e-7); DEEPSPEED_BOUND = 1e-5 gives that a factor 12 and stays 100x below how far training
# moves the weights (> 1e-3). What it does NOT cover, and no float32 bound can on every CPU: an entry whose
# gradient is within its float32 rounding of zero, where AdamW's first update lr g / (|g| + eps) can flip sign
# (2 lr apart). The test assumes the tiny model has none in these 4 steps. It runs only where deepspeed is installed.
DEEPSPEED_BOUND = 1e-5


def unlearn_argv(name: str, files: dict, model, out, processes: int) -> list[str]:
    opts, per_process, accum = RUNS[name]
    forget = files["forget_plain"] if name == "meow_gd" else files["forget"]  # meow_gd: MEMO computed in the run
    return ["unlearn", "--model", str(model), "--forget", str(forget), "--retain", str(files["retain"]), *opts,
            *STEPS, "--grad-accum", str(accum), "--batch-size", str(per_process * 2 // processes),
            "--out", str(out / name)]


def weights(folder) -> dict:
    name = "adapter_model.safetensors" if (folder / "adapter_model.safetensors").exists() else "model.safetensors"
    return load_file(folder / name)


def max_diff(a: dict, b: dict) -> float:
    assert sorted(a) == sorted(b)
    return max(float((a[k] - b[k]).abs().max()) for k in a)


@pytest.fixture(scope="module")
def single(tiny_model_dir, unlearn_files, tmp_path_factory):
    """One process, every run of RUNS, plus eval and MEMO of the meow_gd model."""
    out = tmp_path_factory.mktemp("single")
    for name in RUNS:
        assert main(unlearn_argv(name, unlearn_files, tiny_model_dir, out, 1)) == 0
    return out


def side_runs(model, files: dict, bench, out) -> list[list[str]]:
    return [["eval", "--model", str(model), "--data", str(bench), "--out", str(out / "eval"), "--limit", "3",
             "--max-new-tokens", "8", "--no-fluency", "--no-mia"],
            ["memo", "--model", str(model), "--data", str(files["forget_plain"]), "--out", str(out / "memo.json"),
             "--max-new-tokens", "8"]]


@pytest.fixture(scope="module")
def fsdp2(tiny_model_dir, unlearn_files, tiny_bench_dir, single, tmp_path_factory):
    """FSDP2 (configs/accelerate/fsdp_cpu.yaml): every run of RUNS, then eval and MEMO of single's meow_gd model
    under the same launcher."""
    out = tmp_path_factory.mktemp("fsdp2")
    runs = [unlearn_argv(name, unlearn_files, tiny_model_dir, out, 2) for name in RUNS]
    launch([*runs, *side_runs(single / "meow_gd", unlearn_files, tiny_bench_dir, out)], CONFIGS / "fsdp_cpu.yaml")
    return out


@pytest.mark.parametrize("name", list(RUNS))
def test_fsdp2_matches_one_process(fsdp2, single, tiny_model_dir, name):
    summary = json.loads((fsdp2 / name / "unlearn_summary.json").read_text())
    assert (summary["engine"], summary["world_size"], summary["steps"]) == ("fsdp", 2, 4)
    one = json.loads((single / name / "unlearn_summary.json").read_text())
    assert (one["engine"], one["world_size"], one["rows"]) == ("single", 1, summary["rows"])
    a, b = weights(fsdp2 / name), weights(single / name)
    assert max_diff(a, b) < BOUND
    start = load_file(tiny_model_dir / "model.safetensors")
    moved = max(float((a[k] - start[k]).abs().max()) for k in start) if "lora" not in name else \
        max(float(a[k].abs().max()) for k in a if "lora_B" in k)  # LoRA B starts at zero
    assert moved > 100 * BOUND


def test_fsdp2_saves_a_plain_checkpoint(fsdp2, single, tiny_model_dir):
    """Gathered, not sharded: plain transformers loads it, with every weight of the original model (tied
    embeddings stay tied); a LoRA adapter loads with plain peft onto the base model."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    for name in ("meow_gd", "meow_gd_merged"):
        model = AutoModelForCausalLM.from_pretrained(fsdp2 / name)
        state = model.state_dict()
        assert sorted(weights(fsdp2 / name)) == sorted(load_file(tiny_model_dir / "model.safetensors"))
        ref = AutoModelForCausalLM.from_pretrained(single / name).state_dict()
        assert max(float((state[k] - ref[k]).abs().max()) for k in ref) < BOUND
    # the runs trained in float64: merge in float64 too (a float32 base would round the merge by ~|w| 2^-24)
    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float64)
    merged = PeftModel.from_pretrained(base, fsdp2 / "meow_gd_lora").merge_and_unload().state_dict()
    ref = AutoModelForCausalLM.from_pretrained(fsdp2 / "meow_gd_merged", dtype=torch.float64).state_dict()
    assert max(float((merged[k] - ref[k]).abs().max()) for k in ref) < BOUND  # the same run, saved two ways
    assert not any(isinstance(v, torch.Tensor) and v.is_meta for v in merged.values())


def test_memo_and_eval_under_the_launcher(fsdp2, single, tiny_model_dir, unlearn_files, tiny_bench_dir,
                                          tmp_path):
    """MEMO inside the FSDP run (meow_gd without scores: computed on every process before training) and `meow
    eval` / `meow memo` started by the launcher give exactly the numbers of one process (they run on the main
    process alone: meow.distributed)."""
    assert json.loads((fsdp2 / "meow_gd" / "forget_memo.json").read_text()) == \
        json.loads((single / "meow_gd" / "forget_memo.json").read_text())
    for argv in side_runs(single / "meow_gd", unlearn_files, tiny_bench_dir, tmp_path):
        assert main(argv) == 0
    assert json.loads((fsdp2 / "eval" / "summary.json").read_text()) == \
        json.loads((tmp_path / "eval" / "summary.json").read_text())
    assert json.loads((fsdp2 / "memo.json").read_text()) == json.loads((tmp_path / "memo.json").read_text())


def test_fsdp1_matches_one_process(tiny_model_dir, unlearn_files, single, tmp_path):
    """configs/accelerate/fsdp.yaml (FSDP1) with the one change CPU needs: no sync_module_states."""
    config = yaml.safe_load((CONFIGS / "fsdp.yaml").read_text())
    config["fsdp_config"]["fsdp_sync_module_states"] = False
    (tmp_path / "fsdp1.yaml").write_text(yaml.safe_dump(config))
    launch([unlearn_argv("meow_gd", unlearn_files, tiny_model_dir, tmp_path, 2)], tmp_path / "fsdp1.yaml")
    assert json.loads((tmp_path / "meow_gd" / "unlearn_summary.json").read_text())["engine"] == "fsdp"
    assert max_diff(weights(tmp_path / "meow_gd"), weights(single / "meow_gd")) < BOUND


@pytest.mark.slow
@pytest.mark.parametrize("stage", [2, 3])
def test_deepspeed_matches_one_process(tiny_model_dir, unlearn_files, single, tmp_path, stage):
    """DeepSpeed ZeRO-2 / ZeRO-3 on its CPU accelerator (gloo), when deepspeed is installed (skipped otherwise;
    its first run JIT-compiles a shared-memory op, minutes)."""
    python = deepspeed_python()
    runs = [unlearn_argv(name, unlearn_files, tiny_model_dir, tmp_path, 2) for name in ("meow_gd", "npo_lora")]
    launch(runs, CONFIGS / f"deepspeed_zero{stage}.yaml", python=python)
    for name in ("meow_gd", "npo_lora"):
        assert json.loads((tmp_path / name / "unlearn_summary.json").read_text())["engine"] == "deepspeed"
        assert max_diff(weights(tmp_path / name), weights(single / name)) < DEEPSPEED_BOUND
