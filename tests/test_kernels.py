"""meow.kernels: which commands pin, what is set and restored, the CPU record, and the level torch really runs."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from meow import kernels

SRC = str(Path(__file__).resolve().parents[1] / "src")
CPUINFO = """processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 25
model\t\t: 1
model name\t: AMD EPYC 7B13
stepping\t: 1
flags\t\t: fpu sse2 avx f16c fma avx2 bmi2 sha_ni

processor\t: 1
vendor_id\t: AuthenticAMD
"""


def test_demo_and_sweep_pin_unless_native_kernels():
    assert kernels.wants_pin(["demo", "--authors", "3"]) and kernels.wants_pin(["sweep", "--method", "ga"])
    assert not kernels.wants_pin(["demo", "--native-kernels"])
    assert not kernels.wants_pin(["eval", "--model", "m"]) and not kernels.wants_pin([])


def test_pinned_sets_what_is_unset_and_restores():
    env = {"MKL_CBWR": "COMPATIBLE"}  # the user's own choice is kept
    with kernels.pinned(True, env) as ours:
        assert env == {"MKL_CBWR": "COMPATIBLE", "ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"}
        assert set(ours) == {"ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA"}
    assert env == {"MKL_CBWR": "COMPATIBLE"}
    with kernels.pinned(False, env):
        assert env == {"MKL_CBWR": "COMPATIBLE"}


def test_cpu_record_names_vendor_family_model_and_kernel_flags(tmp_path):
    (tmp_path / "cpuinfo").write_text(CPUINFO)
    c = kernels.cpu(tmp_path / "cpuinfo")
    assert (c["vendor"], c["family"], c["model"], c["stepping"], c["model_name"]) == (
        "AuthenticAMD", 25, 1, 1, "AMD EPYC 7B13")
    assert c["flags"] == ["avx", "avx2", "f16c", "fma"]  # only flags that pick kernels, sorted


def _level_after(args: list[str], env: dict[str, str]) -> str:
    """torch's level in a fresh process after `meow ARGS` ran (and failed on its bad input, after pinning)."""
    code = (f"import sys; sys.path.insert(0, {SRC!r}); from meow.cli import main; rc = main({args!r}); "
            "import torch; print(rc, str(torch.backends.cpu.get_cpu_capability()).lower())")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    rc, level = out.stdout.split()
    assert rc == "2", out.stderr  # the unknown method: a one-line error, after the kernels were fixed
    return level


@pytest.mark.parametrize("native", [False, True])
def test_the_level_torch_runs_is_the_pinned_one(native, tmp_path):
    sweep = ["sweep", "--method", "no-such-method", "--model", "m", "--forget", "f", "--out", str(tmp_path / "o"),
             "--retain-eval", "r", *(["--native-kernels"] if native else [])]
    env = {k: v for k, v in os.environ.items() if k not in kernels.PINS}
    by_hand = os.environ.get("ATEN_CPU_CAPABILITY")  # e.g. scripts/check_any_machine.sh's `default`: kept
    if by_hand:
        env["ATEN_CPU_CAPABILITY"] = by_hand
    order = ["default", "avx2", "avx512"]
    want = by_hand.lower() if by_hand else kernels.native_level() if native else kernels.LEVEL
    want = order[min(order.index(want), order.index(kernels.native_level()))]  # torch never goes above the CPU
    assert _level_after(sweep, env) == want


def test_environment_record_has_cpu_and_kernels():
    env = kernels.environment()
    assert env["cpu"]["flags"] == kernels.cpu()["flags"] and env["kernels"]["torch_level"] == kernels.in_effect()
    assert set(env["kernels"]["variables"]) == set(kernels.PINS) and env["kernels"]["blas"] in ("mkl", "openblas",
                                                                                                 "other")
    json.dumps(env)  # written as JSON
