"""Negative preference optimisation (NPO) and its reference-free variant SimNPO."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from meow.unlearn.methods import params
from meow.unlearn.methods.base import METHODS, Context, Method, Outputs


@METHODS.register("npo")
@dataclass
class NPO(Method):
    description = "NPO: -(2/beta) log sigmoid(-beta (log p - log p_ref)) on the forget set (reference log-probs cached)"
    main_groups = ("forget",)
    ref_logprobs = ("forget",)
    beta: float = params.beta(0.1)
    forget_weight: float = params.forget_weight(1.0)

    def forget_term(self, out: Outputs, ctx: Context) -> Any:
        from meow.unlearn.losses import npo_loss

        return self.forget_weight * npo_loss(out.logprob("forget"), ctx.ref_logprob(out.batch, "forget"), self.beta)


@METHODS.register("npo_gd")
@dataclass
class NPOGD(NPO):
    description = "NPO + retain_weight * NLL(retain) (NPO-RT)"
    retain_weight: float = params.retain_weight(1.0)


@METHODS.register("npo_kl")
@dataclass
class NPOKL(NPO):
    description = "NPO + kl_weight * KL(starting model || model) on the retain set"
    kl_group = "retain"
    kl_weight: float = params.kl_weight(1.0)


@METHODS.register("simnpo")
@dataclass
class SimNPO(Method):
    description = "SimNPO: -(2/beta) log sigmoid(-(beta/|y|) log p - delta), no reference; + retain_weight * NLL(retain)"
    main_groups = ("forget",)
    beta: float = params.beta(2.5)
    delta: float = params.delta(0.0)
    forget_weight: float = params.forget_weight(1.0)
    retain_weight: float = params.retain_weight(1.0)

    def forget_term(self, out: Outputs, ctx: Context) -> Any:
        from meow.unlearn.losses import answer_lengths, simnpo_loss

        lengths = answer_lengths(out.labels("forget"))
        return self.forget_weight * simnpo_loss(out.logprob("forget"), lengths, self.beta, self.delta)
