"""Gradient ascent on the forget set, alone or with a retain term (GD) or a KL term (GA+KL)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from meow.unlearn.methods import params
from meow.unlearn.methods.base import METHODS, Context, Method, Outputs


@METHODS.register("ga")
@dataclass
class GradientAscent(Method):
    description = "gradient ascent: -NLL on the forget set"
    main_groups = ("forget",)
    forget_weight: float = params.forget_weight(1.0)

    def forget_term(self, out: Outputs, ctx: Context) -> Any:
        """-forget_weight * NLL(forget), in the batch's reduction (open-unlearning GradAscent: -outputs.loss)."""
        return -self.forget_weight * out.nll("forget")


@METHODS.register("gd")
@dataclass
class GradientDifference(GradientAscent):
    description = "gradient difference: -NLL(forget) + retain_weight * NLL(retain)"
    retain_weight: float = params.retain_weight(1.0)


@METHODS.register("ga_kl")
@dataclass
class GradientAscentKL(GradientAscent):
    description = "gradient ascent + kl_weight * KL(starting model || model) on the retain set"
    kl_group = "retain"
    kl_weight: float = params.kl_weight(1.0)
