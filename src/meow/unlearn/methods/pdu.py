"""PDU: primal-dual unlearning with a bound on the retain loss (open-unlearning `src/trainer/unlearn/pdu.py`;
Entesari et al. 2025, "Constrained Entropic Unlearning: A Primal-Dual Framework for LLMs", arXiv:2506.05314).

    loss = forget_weight * mean_t (max_v z_t,v - mean_v z_t,v)^2  +  lambda * (NLL(retain) - retain_loss_eps)
    lambda <- max(0, lambda + dual_step_size * (NLL(retain) - retain_loss_eps))   after every loss evaluation,
                                                                                 once dual_warmup_epochs are done

lambda starts at retain_weight. As there, lambda moves at every micro-batch (so with gradient accumulation several
times per optimizer step); under DDP the retain loss is averaged over processes first so that replicas keep one
lambda. With dual_update_upon "epoch", lambda moves once per epoch instead, by the mean retain NLL over the epoch's
batches computed after it (`post_epoch_dual_param_update`). Defaults from `configs/trainer/PDU.yaml`
(retain_loss_eps has no default there either: set it a little above the starting model's retain loss).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from meow.errors import MeowError
from meow.unlearn.methods import params
from meow.unlearn.methods.base import METHODS, Context, Method, Outputs


def process_mean(value: Any) -> float:
    """A scalar averaged over the processes of a distributed run (itself when not distributed)."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        t = value.detach().clone().float()
        dist.all_reduce(t)
        return float(t) / dist.get_world_size()
    return float(value.detach())


@METHODS.register("pdu")
@dataclass
class PDU(Method):
    description = ("PDU: logit-flatness on the forget set + lambda * (NLL(retain) - retain_loss_eps), lambda by "
                   "dual ascent from retain_weight")
    main_groups = ("forget",)
    retain_loss_eps: float | None = field(default=None, metadata={
        "help": "PDU: the retain-loss bound (required; a little above the starting model's retain NLL)", "ge": 0})
    primal_dual: bool = field(default=True, metadata={"help": "PDU: update lambda by dual ascent (false: fixed)"})
    dual_step_size: float = params.number(1.0, "PDU: dual ascent step size", gt=0)
    dual_warmup_epochs: float = params.number(5.0, "PDU: epochs before lambda starts to move", ge=0)
    dual_update_upon: str = field(default="step", metadata={
        "help": "PDU: move lambda after every loss (step) or once per epoch (epoch)", "choices": ("step", "epoch")})
    forget_weight: float = params.forget_weight(1.0)
    retain_weight: float = params.number(1.0, "weight of NLL on the retain set (0 = off); PDU: initial lambda",
                                         ge=0)

    def __post_init__(self) -> None:
        self.dual = float(self.retain_weight)
        self.reduction = "row"  # set from the run's Context by setup()
        self.can_update = self.dual_warmup_epochs == 0

    def validate(self) -> None:
        if self.dual_update_upon not in ("step", "epoch"):
            raise MeowError(f"pdu: dual_update_upon must be step or epoch, got {self.dual_update_upon!r}")
        if self.retain_loss_eps is None:
            raise MeowError("pdu: set retain_loss_eps (--retain-loss-eps), the bound on the retain NLL; "
                            "choose a value a little above the starting model's retain loss")

    def setup(self, model: Any, ctx: Context, seed: int) -> None:
        self.validate()
        self.__post_init__()
        self.reduction = ctx.reduction  # the epoch update's retain NLL takes the run's reduction too

    def groups(self) -> tuple[str, ...]:
        return ("forget", "retain")

    def loss(self, model: Any, batch: dict[str, Any], ctx: Context) -> Any:
        from meow.unlearn.losses import logit_flatness_loss

        out = Outputs(model, batch, ctx.reduction)
        forget = out.reduce("forget", logit_flatness_loss, out["forget"], out.labels("forget"), kind="labels")
        slack = out.nll("retain") - float(self.retain_loss_eps or 0.0)
        total = self.forget_weight * forget + self.dual * slack
        if self.primal_dual and self.can_update and self.dual_update_upon == "step" and model.training:
            self.dual = max(0.0, self.dual + self.dual_step_size * process_mean(slack))
        return total

    def callbacks(self) -> list[Any]:
        return [dual_callback(self)]


def epoch_update(method: PDU, model: Any, loader: Any) -> None:
    """lambda <- max(0, lambda + step * (mean retain NLL over the epoch's batches - eps)), model in eval mode;
    each batch's NLL in the run's reduction (open-unlearning: `outputs.loss`, a token mean per batch)."""
    import torch

    from meow.unlearn.losses import nll

    was_training, device = model.training, next(model.parameters()).device
    model.eval()
    total, n = torch.zeros((), device=device), 0
    with torch.no_grad():
        for batch in loader:
            r = {k: v.to(device) for k, v in batch["retain"].items()}
            logits = model(input_ids=r["input_ids"], attention_mask=r["attention_mask"]).logits
            total += nll(logits, r["labels"], method.reduction)
            n += 1
    model.train(was_training)
    slack = process_mean(total / max(n, 1)) - float(method.retain_loss_eps or 0.0)
    method.dual = max(0.0, method.dual + method.dual_step_size * slack)


def dual_callback(method: PDU) -> Any:
    """Enables lambda updates once state.epoch >= dual_warmup_epochs; logs lambda as `retain_preference`."""
    from transformers import TrainerCallback

    class _Dual(TrainerCallback):
        def on_epoch_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if state.epoch >= method.dual_warmup_epochs:
                method.can_update = True
                if method.primal_dual and method.dual_update_upon == "epoch":
                    epoch_update(method, kwargs["model"], kwargs["train_dataloader"])

        def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None,
                   **kwargs: Any) -> None:
            if logs is not None and method.primal_dual:
                logs["retain_preference"] = method.dual

    return _Dual()
