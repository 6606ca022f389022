"""Start `meow` under a launcher from a test (importable from any test: `from launching import launch`).

`launch(runs, config=...)`: one `accelerate launch --config_file CONFIG` (or `torchrun` without a config) of N
processes that runs every meow command line in `runs` one after the other in the same processes
(`tests/meow_runs.py`): a launch costs several seconds of imports on a small machine, a tiny run well under one.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs" / "accelerate"
RUNNER = Path(__file__).resolve().parent / "meow_runs.py"


def launch(runs: list[list[str]], config: str | Path | None = None, nproc: int = 2, python: str = sys.executable,
           timeout: int = 600) -> subprocess.CompletedProcess:
    """Run the meow argument lists `runs` in `nproc` launched processes; fail the test (stderr tail) on error."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false",
           "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    if config is None:
        head = [python, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(nproc)]
    else:
        head = [python, "-m", "accelerate.commands.launch", "--config_file", str(config), "--num_processes",
                str(nproc), "--main_process_port", str(free_port())]
    proc = subprocess.run([*head, str(RUNNER), json.dumps(runs)], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)  # cwd: the DeepSpeed configs name their JSON file relatively
    errors = [line for line in proc.stderr.splitlines() if "Error" in line or "error:" in line][:20]
    assert proc.returncode == 0, "\n".join([*errors, "...", proc.stderr[-3000:]])
    return proc


def free_port() -> int:
    """A TCP port nobody listens on now (the OS picks it), so that parallel launches do not collide."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def deepspeed_python() -> str:
    """A Python that has deepspeed: this one, or $MEOW_DEEPSPEED_PYTHON (a venv of its own); else skip."""
    if importlib.util.find_spec("deepspeed") is not None:
        return sys.executable
    other = os.environ.get("MEOW_DEEPSPEED_PYTHON")
    if other and Path(other).is_file():
        return other
    pytest.skip("deepspeed is not installed (pip install deepspeed, or set MEOW_DEEPSPEED_PYTHON to a Python that "
                "has it)")
