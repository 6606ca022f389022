"""Which CPU kernels computed the numbers, and pinning them to one level that every x86-64 CPU with AVX2 has.

Two CPUs give different last digits for the same float32 program when their libraries pick different code paths:

    torch (ATen)  per-ISA kernels (softmax, exp, reductions, ...): DEFAULT, AVX2, AVX512; ATEN_CPU_CAPABILITY
    MKL           sgemm / linear layers (torch 2.13 CPU's BLAS, `torch.__config__.show()`): MKL_CBWR
    oneDNN        convolutions, bf16 / int8 matmul: ONEDNN_MAX_CPU_ISA
    threads       how reductions are split: `meow demo --threads` (2 by default, on any machine)

torch reads ATEN_CPU_CAPABILITY once, lazily: at the first operator it dispatches (or the first
`torch.backends.cpu.get_cpu_capability()`), not at `import torch`; MKL and oneDNN read theirs at their first call.
So `pinned()` sets them at the start of the `meow` command, before any tensor exists. When a caller already ran
torch in this process (a notebook, a test), the level is already fixed: `meow` re-executes itself when it is the
process's entry point, and otherwise records in environment.json the level that really ran.
"""

from __future__ import annotations

import contextlib
import logging
import os
import platform
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

LEVEL = "avx2"  # the lowest level with vector kernels on every x86-64 CPU made since 2015 (Intel Haswell, AMD Zen)
PINS = {"ATEN_CPU_CAPABILITY": LEVEL, "MKL_CBWR": "AVX2", "ONEDNN_MAX_CPU_ISA": "AVX2"}
COMMANDS = ("demo", "sweep")  # the commands that pin by default
NATIVE_FLAG = "--native-kernels"
NATIVE_HELP = ("use this CPU's own kernels (torch's native level, e.g. avx512) instead of the common AVX2 level: "
               "faster on some CPUs, but the last digits then depend on the CPU (see environment.json)")
_REEXEC = "MEOW_KERNELS_REEXEC"  # set in a re-executed process, so it happens at most once
_KERNEL_FLAGS = ("avx", "amx", "fma", "f16c")  # /proc/cpuinfo flags that pick code paths in torch, MKL, oneDNN
log = logging.getLogger(__name__)


def wants_pin(argv: list[str]) -> bool:
    """Does this `meow` command line pin the kernels: `meow demo|sweep` without --native-kernels."""
    command = next((a for a in argv if not a.startswith("-")), None)
    return command in COMMANDS and NATIVE_FLAG not in argv


def add_flag(parser: Any) -> None:
    """--native-kernels on a command that pins (meow.kernels.COMMANDS); cli.main reads it before parsing."""
    parser.add_argument(NATIVE_FLAG, action="store_true", help=NATIVE_HELP)


@contextlib.contextmanager
def pinned(pin: bool, environ: Any = None) -> Iterator[dict[str, str]]:
    """Set PINS in the environment for the duration (a variable the user set stays as set); restored after, so an
    in-process caller's environment is as it was. Yields what was set by us."""
    environ = os.environ if environ is None else environ
    ours = {k: v for k, v in PINS.items() if pin and k not in environ}
    environ.update(ours)
    try:
        yield ours
    finally:
        for k in ours:
            environ.pop(k, None)


def in_effect() -> str:
    """torch's kernel level in this process, lower case ('avx2', 'avx512', 'default'); fixes it if not yet fixed."""
    import torch

    return str(torch.backends.cpu.get_cpu_capability()).lower()


def ensure(pin: bool, argv: list[str] | None) -> None:
    """After `pinned`: if torch already runs at another level (torch was used before `meow` started), re-execute
    the command once (argv None: we are the process's entry point), else warn; environment.json says which ran."""
    if not pin or in_effect() == expected_level():
        return
    if argv is None and not os.environ.get(_REEXEC):
        os.environ[_REEXEC] = "1"
        os.execv(sys.executable, [sys.executable, "-m", "meow", *sys.argv[1:]])
    log.warning("torch already runs its %s kernels in this process; the pinned level %s applies to new processes "
                "only (environment.json records %s)", in_effect(), expected_level(), in_effect())


def expected_level() -> str:
    """The level torch picks under the current environment: ATEN_CPU_CAPABILITY, capped by what the CPU has."""
    want = os.environ.get("ATEN_CPU_CAPABILITY", "").lower()
    have = native_level()
    order = ["default", "avx2", "avx512"]
    if want not in order:
        return have
    return order[min(order.index(want), order.index(have))]


def native_level() -> str:
    """The level torch would pick on this CPU unpinned (x86-64; other machines: 'default')."""
    flags = set(cpu()["flags"])
    if {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= flags:
        return "avx512"
    return "avx2" if {"avx2", "fma"} <= flags else "default"


def cpu(cpuinfo: Path = Path("/proc/cpuinfo")) -> dict[str, Any]:
    """The CPU's identity from /proc/cpuinfo (Linux; elsewhere what `platform` says): vendor, family, model,
    stepping, the model name and the flags that pick kernels (avx*, amx*, fma, f16c)."""
    fields: dict[str, str] = {}
    try:
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if not line.strip():
                break  # the first processor's block is enough
            name, _, value = line.partition(":")
            fields.setdefault(name.strip(), value.strip())
    except OSError:
        pass
    flags = sorted(f for f in fields.get("flags", "").split() if f.startswith(_KERNEL_FLAGS))

    def num(key: str) -> int | None:
        return int(fields[key]) if fields.get(key, "").isdigit() else None

    return {"vendor": fields.get("vendor_id"), "family": num("cpu family"), "model": num("model"),
            "stepping": num("stepping"), "model_name": fields.get("model name") or platform.processor() or None,
            "machine": platform.machine(), "flags": flags}


def record() -> dict[str, Any]:
    """environment.json's "kernels": the level torch ran, the CPU's own level, whether it was pinned (by `meow`
    or by hand: ATEN_CPU_CAPABILITY set), each pinning variable, and the BLAS torch was built with."""
    import torch

    blas = next((b for b in ("mkl", "openblas") if f"BLAS_INFO={b}" in torch.__config__.show()), "other")
    return {"torch_level": in_effect(), "native_level": native_level(),
            "mode": "pinned" if os.environ.get("ATEN_CPU_CAPABILITY") else "native",
            "variables": {k: os.environ.get(k) for k in PINS}, "blas": blas,
            "onednn": torch.backends.mkldnn.is_available()}


def environment() -> dict[str, Any]:
    """What a result depends on besides the options: library versions, threads, the CPU and its kernels, GPU."""
    import numpy
    import torch

    from meow.io import package_versions

    gpu = None
    if torch.cuda.is_available():
        gpu = {"name": torch.cuda.get_device_name(0), "count": torch.cuda.device_count(),
               "cuda": torch.version.cuda}
    return {"versions": {**package_versions(), "numpy": numpy.__version__}, "torch_threads": torch.get_num_threads(),
            "torch_interop_threads": torch.get_num_interop_threads(), "cpu_count": os.cpu_count(),
            "platform": platform.platform(), "cpu": cpu(), "kernels": record(), "gpu": gpu,
            "deterministic_algorithms": torch.are_deterministic_algorithms_enabled(),
            "env": {k: os.environ[k] for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "CUBLAS_WORKSPACE_CONFIG")
                    if k in os.environ}}


def ci_line() -> str:
    """One line for CI logs: CPU identity, its kernel flags, torch's level in effect."""
    c, used = cpu(), in_effect()
    return (f"cpu: {c['model_name']} ({c['vendor']} family {c['family']} model {c['model']}); kernel flags: "
            f"{' '.join(c['flags']) or 'none'}; torch kernels: {used} (native {native_level()})")


if __name__ == "__main__":  # `python -m meow.kernels`: the CI line
    print(ci_line())
