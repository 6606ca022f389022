"""The one Trainer subclass: it routes batches to `method.loss(model, batch, ctx)`; callbacks for data, logs, eval.

Being a plain transformers `Trainer`, it runs under `accelerate launch` / `torchrun` (DDP, DeepSpeed, FSDP).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from transformers import Trainer, TrainerCallback

from meow.io import append_jsonl
from meow.unlearn.methods import GROUPS, Context, Method


class UnlearnTrainer(Trainer):
    """`compute_loss` = the method's loss; the Trainer divides it by the gradient-accumulation steps."""

    loss_is_scaled_for_ga = False

    def __init__(self, *args: Any, method: Method, ctx: Context, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.method, self.ctx = method, ctx

    def get_batch_samples(self, epoch_iterator: Any, num_batches: int, device: Any) -> tuple[list, Any]:
        """With `--loss-reduction token`: each micro-batch learns the global token counts of its accumulated batch."""
        batches, n_items = super().get_batch_samples(epoch_iterator, num_batches, device)
        if self.ctx.reduction == "token" and batches:
            set_token_denominators(batches, self.method.token_kinds, self.accelerator.num_processes,
                                   lambda t: self.accelerator.reduce(t.to(self.accelerator.device), "sum"))
        return batches, n_items

    def compute_loss(self, model: Any, inputs: dict[str, Any], return_outputs: bool = False,
                     num_items_in_batch: Any = None) -> Any:
        loss = self.method.loss(model, inputs, self.ctx)
        return (loss, {}) if return_outputs else loss


def set_token_denominators(batches: list[dict[str, Any]], kinds: tuple[str, ...], processes: int,
                           reduce_sum: Callable[[Any], Any] = lambda t: t) -> None:
    """batch["tokens"][group][kind] = N / (processes x micro-batches), N = that mask's token count over all the
    micro-batches of this optimizer step on every process (`reduce_sum` sums over processes).

    The Trainer divides each micro-batch loss by the number of micro-batches and DDP averages gradients over
    processes, so sum(local tokens) / denominator yields the gradient of sum(all tokens) / N: one token mean
    over the whole accumulated, distributed batch, exactly as one process with one big batch.
    """
    import torch

    from meow.unlearn.losses import token_mask

    groups = [g for g in GROUPS if g in batches[0]]
    keys = [(g, k) for g in groups for k in kinds]
    local = torch.tensor([[float(token_mask(b[g], k).sum()) for g, k in keys] for b in batches]).sum(0)
    total = reduce_sum(local).cpu()
    per_batch = processes * len(batches)
    for b in batches:
        b["tokens"] = {}
        for (g, k), n in zip(keys, total.tolist()):
            b["tokens"].setdefault(g, {})[k] = max(n, 1.0) / per_batch


class EpochCallback(TrainerCallback):
    """Tells the data set which epoch it is, so the retain rows paired with forget rows move on each epoch."""

    def __init__(self, dataset: Any):
        self.dataset = dataset

    def on_epoch_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.dataset.set_epoch(round(state.epoch or 0))


class JsonlLogCallback(TrainerCallback):
    """Every Trainer log line (loss, learning rate, grad norm) as one JSON line in `path`, main process only."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        if state.is_world_process_zero and logs:
            append_jsonl(self.path, {"step": state.global_step, "epoch": state.epoch, **logs})


class EvalCallback(TrainerCallback):
    """Evaluate every N steps or at each epoch end; log to `log_path`; save the best model by one metric.

    `evaluate(model) -> {metric: value}` runs on every process (DDP replicas agree); only the main one writes.
    """

    def __init__(self, evaluate: Callable[[Any], dict[str, Any]], every: str | int, log_path: str | Path,
                 best: tuple[str, bool] | None = None, save_best: Callable[[Any], None] | None = None):
        self.evaluate, self.every, self.log_path = evaluate, every, Path(log_path)
        self.best, self.save_best = best, save_best
        self.best_value: float | None = None
        self.best_step: int | None = None
        self.history: list[dict[str, Any]] = []

    def on_step_end(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
        if isinstance(self.every, int) and state.global_step % self.every == 0:
            self.run(state, model)

    def on_epoch_end(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
        if self.every == "epoch":
            self.run(state, model)

    def run(self, state: Any, model: Any) -> None:
        metrics = self.evaluate(model)
        row = {"step": state.global_step, "epoch": state.epoch, "eval": metrics}
        self.history.append(row)
        if state.is_world_process_zero:
            append_jsonl(self.log_path, row)
        if self.best is None:
            return
        name, higher = self.best
        value = metrics.get(name)
        if value is None:
            return
        if self.best_value is None or (value > self.best_value if higher else value < self.best_value):
            self.best_value, self.best_step = value, state.global_step
            if state.is_world_process_zero and self.save_best is not None:
                self.save_best(model)
