"""MEOW: plain next-token loss on each forget question paired with its selected inverted facts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from meow.unlearn.methods import params
from meow.unlearn.methods.base import METHODS, Context, Method, Outputs


@METHODS.register("meow")
@dataclass
class Meow(Method):
    description = "MEOW: NLL on the selected inverted facts (q, inverted_i), no gradient ascent, no reference"
    main_groups = ("alt",)
    alt = "inverted"
    forget_weight: float = params.forget_weight(1.0)

    def forget_term(self, out: Outputs, ctx: Context) -> Any:
        return self.forget_weight * out.nll("alt")


@METHODS.register("meow_gd")
@dataclass
class MeowGD(Meow):
    description = "MEOW + retain: forget_weight * NLL(inverted) + retain_weight * NLL(retain)"
    forget_weight: float = params.forget_weight(0.9)
    retain_weight: float = params.retain_weight(0.1)


@METHODS.register("meow_kl")
@dataclass
class MeowKL(Meow):
    description = "MEOW + KL: NLL(inverted) + kl_weight * KL(starting model || model) on the same inputs"
    kl_group = "alt"
    kl_weight: float = params.kl_weight(1.0)
