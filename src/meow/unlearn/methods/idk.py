"""Replace the answer by a refusal: IDK fine-tuning, and DPO with the refusal preferred over the true answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from meow.unlearn.methods import params
from meow.unlearn.methods.base import METHODS, Context, Method, Outputs

IDK_ANSWERS = (
    "I don't know.",
    "I'm not sure.",
    "I have no idea.",
    "I can't say.",
    "I don't have that information.",
    "I'm not able to answer that.",
    "That's something I don't know.",
    "I couldn't tell you.",
    "I have no information about that.",
    "I'm afraid I don't know the answer.",
    "Sorry, I don't know.",
    "I'm unable to answer that question.",
    "I don't have an answer to that.",
    "That is beyond my knowledge.",
    "I really don't know.",
    "I'm not aware of the answer.",
    "I lack the information to answer.",
    "I can't help with that one.",
    "No idea, sorry.",
    "I'm not certain, so I can't say.",
)


@METHODS.register("idk")
@dataclass
class IDK(Method):
    description = "IDK: NLL on an 'I don't know'-style answer to each forget question + retain_weight * NLL(retain)"
    main_groups = ("alt",)
    alt = "idk"
    forget_weight: float = params.forget_weight(1.0)
    retain_weight: float = params.retain_weight(1.0)

    def forget_term(self, out: Outputs, ctx: Context) -> Any:
        return self.forget_weight * out.nll("alt")


@METHODS.register("dpo")
@dataclass
class DPO(Method):
    description = "DPO: 'I don't know' preferred, true answer rejected (reference log-probs cached); optional +NLL retain"
    main_groups = ("forget", "alt")
    alt = "idk"
    ref_logprobs = ("alt", "forget")
    beta: float = params.beta(0.1)
    forget_weight: float = params.forget_weight(1.0)
    retain_weight: float = params.retain_weight(0.0)

    def forget_term(self, out: Outputs, ctx: Context) -> Any:
        from meow.unlearn.losses import dpo_loss

        b = out.batch
        return self.forget_weight * dpo_loss(out.logprob("alt"), out.logprob("forget"), ctx.ref_logprob(b, "alt"),
                                             ctx.ref_logprob(b, "forget"), self.beta)
