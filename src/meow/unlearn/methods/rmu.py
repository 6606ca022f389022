"""RMU, representation misdirection (Li et al. 2024, "The WMDP Benchmark", centerforaisafety/wmdp
`rmu/unlearn.py`; open-unlearning `src/trainer/unlearn/rmu.py`, which borrows it).

    loss = forget_weight * MSE(h_L(forget), c)  +  retain_weight * MSE(h_L(retain), h_L^frozen(retain))

h_L is the output of the one module matching `layer` (a regex over module names, fully matched), c = u/||u|| *
steering_coeff with u ~ U[0,1)^d drawn once (seeded), and the squared error is averaged over the hidden
dimension, then over the positions of each row in `activation_mask`, then over rows (open-unlearning's
`compute_activation_loss`). Only parameters whose names fully match one of the `trainable` regexes are trained.

Defaults: layer 7 and the mlp.down_proj weights of layers 5, 6, 7 (WMDP's `--layer_id 7 --layer_ids 5,6,7
--param_ids 6`, open-unlearning's `configs/experiment/unlearn/wmdp/default.yaml`); steering_coeff 2 and alpha 1
(open-unlearning's `configs/trainer/RMU.yaml`; WMDP's README uses 6.5 and 1200 for Zephyr-7B). On TOFU,
open-unlearning trains every parameter (`trainable: [".*"]`, configs/open-unlearning/rmu_tofu.yaml).
activation_mask "labels" (answer tokens; every token on raw-text rows) is open-unlearning's; "attention" takes
every non-pad token, as WMDP's unmasked MSE over unpadded text does.

Memory: the frozen model is needed only up to layer L, so the reference is a frozen copy of the model with the
later decoder layers and the output layer dropped, and its forward stops at layer L (`bench/bench_rmu_reference.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from meow.errors import MeowError
from meow.unlearn.methods import params
from meow.unlearn.methods.base import METHODS, Context, Method, Outputs

WMDP_TRAINABLE = [r"model\.layers\.(5|6|7)\.mlp\.down_proj\.weight"]
MASKS = ("labels", "attention")


class _Stop(Exception):
    """Raised by a forward hook once the wanted activation is captured: the rest of the forward is skipped."""


def find_module(model: Any, pattern: str) -> tuple[str, Any]:
    """The single (name, module) whose name fully matches `pattern`."""
    hits = [(n, m) for n, m in model.named_modules() if re.fullmatch(pattern, n)]
    if len(hits) != 1:
        names = [n for n, _ in model.named_modules() if re.fullmatch(r".*layers?\.\d+|.*\.h\.\d+", n)][:4]
        found = ", ".join(n for n, _ in hits[:4]) if hits else "none"
        raise MeowError(f"rmu: --layer {pattern!r} must match exactly one module name, matched {found} "
                        f"(layer modules look like: {', '.join(names)})")
    return hits[0]


def capture(model: Any, module: Any, group: dict[str, Any], stop: bool = False) -> Any:
    """The output of `module` (first element when it returns a tuple) in a forward pass of `model` on `group`."""
    seen: list[Any] = []

    def hook(_m: Any, _inp: Any, output: Any) -> None:
        seen.append(output[0] if isinstance(output, tuple) else output)
        if stop:
            raise _Stop

    handle = module.register_forward_hook(hook)
    try:
        model(input_ids=group["input_ids"], attention_mask=group["attention_mask"])
    except _Stop:
        pass
    finally:
        handle.remove()
    return seen[0]


def frozen_prefix(model: Any, name: str) -> tuple[Any, Any]:
    """A frozen copy of `model` holding the decoder layers up to the one named `name`; (copy, its module)."""
    import copy

    import torch

    ref = copy.deepcopy(model).eval().requires_grad_(False)
    parent_name, _, index = name.rpartition(".")
    parent = ref.get_submodule(parent_name) if parent_name else ref
    if isinstance(parent, torch.nn.ModuleList) and index.isdigit():
        for j in range(int(index) + 1, len(parent)):
            parent[j] = torch.nn.Module()  # never called: the forward stops at layer `index`
    if isinstance(getattr(ref, "lm_head", None), torch.nn.Module):
        ref.lm_head = torch.nn.Module()  # nor is the output layer (tied weights stay with the embedding)
    return ref, ref.get_submodule(name)


@METHODS.register("rmu")
@dataclass
class RMU(Method):
    description = ("RMU: forget activations at one layer pushed to a random vector (MSE), retain activations held "
                   "to the frozen model's; only --trainable parameters train")
    main_groups = ("forget",)
    layer: str = field(default=r"model\.layers\.7", metadata={
        "help": "RMU: regex (full match) naming the one module whose output is steered"})
    trainable: list[str] = field(default_factory=lambda: list(WMDP_TRAINABLE), metadata={
        "help": "RMU: regexes (full match) of the parameter names to train; '.*' = all"})
    steering_coeff: float = params.number(2.0, "RMU: norm of the random target vector", gt=0)
    activation_mask: str = field(default="labels", metadata={
        "help": "RMU: positions averaged: labels (answer tokens; all on text) | attention (all non-pad)",
        "choices": MASKS})
    forget_weight: float = params.forget_weight(1.0)
    retain_weight: float = params.number(1.0, "weight of the retain term (0 = off); RMU: alpha of the activation "
                                         "MSE", ge=0)

    def validate(self) -> None:
        if self.activation_mask not in MASKS:
            raise MeowError(f"rmu: activation_mask must be one of {', '.join(MASKS)}, got {self.activation_mask!r}")
        for pattern in (self.layer, *self.trainable):
            try:
                re.compile(pattern)
            except re.error as e:
                raise MeowError(f"rmu: {pattern!r} is not a valid regular expression ({e})") from None

    def setup(self, model: Any, ctx: Context, seed: int) -> None:
        from peft import PeftModel

        self.validate()
        if isinstance(model, PeftModel):
            raise MeowError("rmu: LoRA is not supported; choose the trained parameters with --trainable")
        name, self._module = find_module(model, self.layer)
        hits = 0
        for pname, p in model.named_parameters():
            p.requires_grad_(any(re.fullmatch(t, pname) for t in self.trainable))
            hits += p.requires_grad
        if not hits:
            some = ", ".join(n for n, _ in list(model.named_parameters())[:3])
            raise MeowError(f"rmu: --trainable {','.join(self.trainable)} matches no parameter (names look like: "
                            f"{some})")
        self._seed, self._control = seed, None
        if self.retain_weight:
            device = next(model.parameters()).device
            ref, ref_module = frozen_prefix(model, name)
            ref.to(device)
            self._frozen = lambda g: capture(ref, ref_module, g, stop=True)

    def mask(self, group: dict[str, Any]) -> Any:
        from meow.unlearn.losses import token_mask

        return token_mask(group, self.activation_mask)

    def control(self, act: Any) -> Any:
        from meow.unlearn.losses import control_vector

        if self._control is None:
            self._control = control_vector(act.size(-1), self.steering_coeff, self._seed)
        return self._control.to(act.device, act.dtype).expand_as(act)

    def loss(self, model: Any, batch: dict[str, Any], ctx: Context) -> Any:
        from meow.unlearn.losses import activation_mse

        if not hasattr(self, "_module"):
            raise RuntimeError("rmu: setup(model, ctx, seed) must run before the loss")
        out, kind = Outputs(model, batch, ctx.reduction), self.activation_mask
        f = batch["forget"]
        act = capture(model, self._module, f)
        total = self.forget_weight * out.reduce("forget", activation_mse, act, self.control(act), self.mask(f),
                                                kind=kind)
        if self.retain_weight:
            r = batch["retain"]
            act_r = capture(model, self._module, r)
            with __import__("torch").no_grad():
                ref_r = self._frozen(r)
            total = total + self.retain_weight * out.reduce("retain", activation_mse, act_r, ref_r, self.mask(r),
                                                            kind=kind)
        return total
