"""Unlearning by a target distribution: UNDIAL (self-distillation on adjusted logits) and CE-U.

UNDIAL follows open-unlearning `src/trainer/unlearn/undial.py` / `utils.py::compute_undial_loss` (paper: Dong et al.
2025, "UNDIAL: Self-Distillation with Adjusted Logits for Robust Unlearning in LLMs"); defaults from its
`configs/trainer/UNDIAL.yaml`: beta 10, gamma (forget_weight) 1, alpha (retain_weight) 0, lr 1e-4.
CE-U follows open-unlearning `src/trainer/unlearn/ceu.py` (Yang et al. 2025, arXiv:2503.01224); `configs/trainer/
CEU.yaml`: ignore_first_n_answer_tokens 1, no retain term.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from meow.errors import MeowError
from meow.unlearn.methods import params
from meow.unlearn.methods.base import METHODS, Context, Method, Outputs


@METHODS.register("undial")
@dataclass
class UNDIAL(Method):
    description = ("UNDIAL: CE(model, softmax(frozen start model's logits - beta at the true token)) on the forget "
                   "set + retain_weight * NLL(retain)")
    main_groups = ("forget",)
    uses_reference = True
    beta: float = params.number(10.0, "UNDIAL: logit reduction of the true token in the teacher", ge=0)
    positions: str = field(default="answer", metadata={
        "help": "UNDIAL: average over answer tokens (answer) or, as open-unlearning's code, every position (all)",
        "choices": ("answer", "all")})
    forget_weight: float = params.forget_weight(1.0)
    retain_weight: float = params.retain_weight(0.0)

    @property
    def token_kinds(self) -> tuple[str, ...]:
        return (*super().token_kinds, "all")

    def validate(self) -> None:
        if self.positions not in ("answer", "all"):
            raise MeowError(f"undial: positions must be answer or all, got {self.positions!r}")

    def forget_term(self, out: Outputs, ctx: Context) -> Any:
        from meow.unlearn.losses import undial_loss

        teacher = ctx.ref_logits(out.batch["forget"])
        kind = "all" if self.positions == "all" else "shifted"
        return self.forget_weight * out.reduce("forget", undial_loss, out["forget"], teacher, out.labels("forget"),
                                               self.beta, positions=self.positions, kind=kind)


@METHODS.register("ceu")
@dataclass
class CEU(Method):
    description = "CE-U: CE(model, own detached distribution without the true token), first answer token skipped"
    main_groups = ("forget",)
    ignore_first_tokens: int = field(default=1, metadata={
        "help": "CE-U: answer tokens at the start of each row left out of the loss", "ge": 0})
    forget_weight: float = params.forget_weight(1.0)
    retain_weight: float = params.retain_weight(0.0)

    @property
    def token_kinds(self) -> tuple[str, ...]:
        return (*super().token_kinds, f"skip{self.ignore_first_tokens}")

    def forget_term(self, out: Outputs, ctx: Context) -> Any:
        from meow.unlearn.losses import ceu_loss

        n = self.ignore_first_tokens
        return self.forget_weight * out.reduce("forget", ceu_loss, out["forget"], out.labels("forget"), n,
                                               kind=f"skip{n}")
