"""Token-reweighted gradient ascent: WGA and SatImp (open-unlearning `src/trainer/unlearn/wga.py`, `satimp.py`).

Both minimise mean_t w_t log p(y_t | ...) over forget answer tokens with a detached weight w_t of the token's own
probability, plus retain_weight * NLL(retain). Defaults are open-unlearning's `configs/trainer/WGA.yaml` and
`SatImp.yaml` (their gamma = forget_weight, alpha = retain_weight). open-unlearning takes the token mean over the
batch: `--loss-reduction token` (as in configs/open-unlearning/) reproduces it; the default per-row mean weighs
every question once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from meow.unlearn.methods import params
from meow.unlearn.methods.base import METHODS, Context, Method, Outputs


@METHODS.register("wga")
@dataclass
class WGA(Method):
    description = "WGA: mean_t p_t^beta log p_t on the forget set (weighted gradient ascent) + retain_weight * NLL(retain)"
    main_groups = ("forget",)
    beta: float = params.number(1.0, "WGA: exponent of the token-probability weight p^beta", ge=0)
    forget_weight: float = params.forget_weight(1.0)
    retain_weight: float = params.retain_weight(1.0)

    def forget_term(self, out: Outputs, ctx: Context) -> Any:
        from meow.unlearn.losses import wga_loss

        return self.forget_weight * out.reduce("forget", wga_loss, out["forget"], out.labels("forget"), self.beta)


@METHODS.register("satimp")
@dataclass
class SatImp(Method):
    description = "SatImp: mean_t p_t^beta1 (1-p_t)^beta2 log p_t on the forget set + retain_weight * NLL(retain)"
    main_groups = ("forget",)
    beta1: float = params.number(5.0, "SatImp: exponent of p (saturation weight)", ge=0)
    beta2: float = params.number(1.0, "SatImp: exponent of 1 - p (importance weight)", ge=0)
    forget_weight: float = params.forget_weight(0.1)
    retain_weight: float = params.retain_weight(1.0)

    def forget_term(self, out: Outputs, ctx: Context) -> Any:
        from meow.unlearn.losses import satimp_loss

        return self.forget_weight * out.reduce("forget", satimp_loss, out["forget"], out.labels("forget"),
                                               self.beta1, self.beta2)
