"""RUN/environment.json: what the numbers were measured on (library versions, thread count, CPU / GPU identity)."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

from meow.io import write_json


def cpu_model() -> str | None:
    """/proc/cpuinfo's first 'model name' (Linux), else None."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def environment() -> dict[str, Any]:
    """What a result depends on besides the options: library versions, threads, CPU and GPU."""
    import numpy
    import torch

    from meow.io import package_versions

    gpu = None
    if torch.cuda.is_available():
        gpu = {"name": torch.cuda.get_device_name(0), "count": torch.cuda.device_count(),
               "cuda": torch.version.cuda}
    return {"versions": {**package_versions(), "numpy": numpy.__version__}, "torch_threads": torch.get_num_threads(),
            "torch_interop_threads": torch.get_num_interop_threads(), "cpu_count": os.cpu_count(),
            "platform": platform.platform(), "machine": platform.machine(), "processor": platform.processor(),
            "cpu_model": cpu_model(), "gpu": gpu, "deterministic_algorithms": torch.are_deterministic_algorithms_enabled(),
            "env": {k: os.environ[k] for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "CUBLAS_WORKSPACE_CONFIG")
                    if k in os.environ}}


def write_environment(run: Path) -> dict[str, Any]:
    env = environment()
    write_json(run / "environment.json", env)
    return env
