"""Which processes of a launched job (`accelerate launch`, `torchrun`: WORLD_SIZE > 1) run a meow command.

`meow unlearn` and `meow train` are data parallel through the transformers Trainer (DDP, FSDP, DeepSpeed): every
process runs them. Every other command (eval, memo, invert, attack, demo, ...) is not: under a launcher it runs on
the main process alone, as one process (the launcher's variables are removed from its environment, so a Trainer
inside it, such as the relearning attack's, does not wait for the others), and the other processes return at once.
Its numbers are then those of a plain run.
"""

from __future__ import annotations

import os

PARALLEL_COMMANDS = frozenset({"unlearn", "train"})
LAUNCHER_VARIABLES = ("RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "GROUP_RANK", "ROLE_RANK",
                      "ROLE_WORLD_SIZE", "GROUP_WORLD_SIZE", "TORCHELASTIC_RUN_ID", "MASTER_ADDR", "MASTER_PORT")


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def rank() -> int:
    return int(os.environ.get("RANK", "0"))


def engine() -> str:
    """The engine a launched run trains with: deepspeed | fsdp | ddp | single (from accelerate's / torchrun's env)."""
    if os.environ.get("ACCELERATE_USE_DEEPSPEED", "").lower() == "true":
        return "deepspeed"
    if os.environ.get("ACCELERATE_USE_FSDP", "").lower() == "true":
        return "fsdp"
    return "ddp" if world_size() > 1 else "single"


def runs_here(command: str | None) -> bool:
    """Whether this process runs `command`; on the main process of a launched job, a command that is not data
    parallel first drops the launcher's environment (it then runs as a single process)."""
    if world_size() <= 1 or command in PARALLEL_COMMANDS:
        return True
    if rank() != 0:
        return False
    for name in LAUNCHER_VARIABLES:
        os.environ.pop(name, None)
    for name in ("ACCELERATE_USE_DEEPSPEED", "ACCELERATE_USE_FSDP"):
        os.environ[name] = "false"
    return True
