"""Quiet training output: one progress bar per Trainer run, its log lines in a file (shown with `--verbose`).

The transformers Trainer prints a tqdm bar and, every `logging_steps`, a dict of loss / learning rate / grad norm.
`quiet_trainer(trainer, ...)` removes its `ProgressCallback` and `PrinterCallback` and adds `TrainerBar`, which
drives one bar over the optimizer steps, appends every log dict to a JSON Lines file and prints the dicts only when
verbose (`set_verbose(True)`, which the `--verbose` flag of `meow demo / train / unlearn / attack` calls).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from transformers import PrinterCallback, ProgressCallback, TrainerCallback

from meow.io import append_jsonl

VERBOSE_ENV = "MEOW_VERBOSE"  # the CLI's --verbose sets it, so child processes (torchrun) inherit it


def set_verbose(on: bool) -> None:
    """Show every Trainer log dict (and let inner stages print their own bars)."""
    os.environ[VERBOSE_ENV] = "1" if on else "0"


def verbose() -> bool:
    return os.environ.get(VERBOSE_ENV, "") not in ("", "0")


class TrainerBar(TrainerCallback):
    """One tqdm bar over `state.max_steps`, the last loss in its postfix; log dicts to `log_path` (if given) and,
    when verbose, above the bar. Main process only."""

    def __init__(self, desc: str = "training", log_path: str | Path | None = None, show: bool = True,
                 print_logs: bool | None = None):
        self.desc, self.log_path, self.show = desc, Path(log_path) if log_path else None, show
        self.print_logs = verbose() if print_logs is None else print_logs
        self.bar: Any = None

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if state.is_world_process_zero and self.show:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=state.max_steps, desc=self.desc, unit="step", leave=False, dynamic_ncols=True)

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.bar is not None:
            self.bar.update(state.global_step - self.bar.n)

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        if not state.is_world_process_zero or not logs:
            return
        if self.log_path is not None:
            append_jsonl(self.log_path, {"step": state.global_step, "epoch": state.epoch, **logs})
        if self.bar is not None and "loss" in logs:
            self.bar.set_postfix(loss=f"{logs['loss']:.4g}", refresh=False)
        if self.print_logs:
            text = str({k: (round(v, 4) if isinstance(v, float) else v) for k, v in logs.items()})
            (self.bar.write if self.bar is not None else print)(text)

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def quiet_trainer(trainer: Any, desc: str = "training", log_path: str | Path | None = None, show: bool = True,
                  print_logs: bool | None = None) -> TrainerBar:
    """Replace the Trainer's own bar and log printing by one `TrainerBar`; returns it."""
    trainer.remove_callback(PrinterCallback)
    trainer.remove_callback(ProgressCallback)
    bar = TrainerBar(desc, log_path, show, print_logs)
    trainer.add_callback(bar)
    return bar
