"""RUN/environment.json: what the numbers were measured on (meow.kernels.environment: library versions, threads,
the CPU's vendor / family / model and kernel flags, the kernel levels in effect, GPU)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from meow.io import write_json


def write_environment(run: Path) -> dict[str, Any]:
    from meow.kernels import environment

    env = environment()
    write_json(run / "environment.json", env)
    return env
