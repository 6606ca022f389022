"""What a method is: a dataclass of its hyperparameters and a `loss(model, batch, ctx)` built from `losses.py`.

A batch holds up to three padded groups, each {input_ids, attention_mask, labels}:
- `forget`: (question, true answer) of the forget set,
- `alt`:    (question, alternative answer): an inverted fact (MEOW) or an "I don't know" answer,
- `retain`: a (question, answer) row of the retain set, cycled alongside,
and `ref`: {group: [B] reference sequence log-probs}, cached before training for the groups in `ref_logprobs`;
with `--loss-reduction token`, `tokens`: {group: {mask kind: denominator}} set by the trainer (see losses.py).

Optional terms follow from the fields a method has: `retain_weight` adds retain_weight * NLL(retain),
`kl_weight` adds kl_weight * KL(p_ref || p) on the group named by `kl_group`.

Losses are imported inside functions: listing methods (`meow methods`, `meow --help`) must not import torch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from meow.registry import Registry

METHODS: Registry[type[Method]] = Registry("unlearning method")
GROUPS = ("forget", "alt", "retain")


class Outputs:
    """Logits of each group of a batch, computed on first use: one forward per group per step."""

    def __init__(self, model: Any, batch: dict[str, Any], reduction: str = "row"):
        self.model, self.batch, self.reduction, self._logits = model, batch, reduction, {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._logits:
            g = self.batch[name]
            self._logits[name] = self.model(input_ids=g["input_ids"], attention_mask=g["attention_mask"]).logits
        return self._logits[name]

    def labels(self, name: str) -> Any:
        return self.batch[name]["labels"]

    def denom(self, name: str, kind: str = "shifted") -> Any:
        """Token-mean denominator of a group (None: this batch's own count). kind: shifted (labels[:, 1:]),
        labels (unshifted), attention (non-pad tokens)."""
        return self.batch.get("tokens", {}).get(name, {}).get(kind)

    def reduce(self, name: str, loss_fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """loss_fn(..., reduction=, denom=) with this batch's reduction and the group's denominator."""
        return loss_fn(*args, reduction=self.reduction, denom=self.denom(name, kwargs.pop("kind", "shifted")),
                       **kwargs)

    def nll(self, name: str) -> Any:
        from meow.unlearn.losses import nll

        return self.reduce(name, nll, self[name], self.labels(name))

    def logprob(self, name: str) -> Any:
        from meow.unlearn.losses import sequence_logprob

        return sequence_logprob(self[name], self.labels(name))


@dataclass
class Context:
    """What a loss may need besides the model and the batch: the reference model."""

    reference: Callable[[dict[str, Any]], Any] | None = None  # group -> reference logits (no grad)
    reduction: str = "row"  # token-level losses: "row" (per-row means) or "token" (Hugging Face token mean)

    def ref_logits(self, group: dict[str, Any]) -> Any:
        if self.reference is None:
            raise RuntimeError("this method needs a reference model, but none was set up")
        return self.reference(group)

    def ref_logprob(self, batch: dict[str, Any], name: str) -> Any:
        """[B] reference log p(y|x) of a group: cached in the batch, else computed by the reference model."""
        from meow.unlearn.losses import sequence_logprob

        cached = batch.get("ref", {}).get(name)
        if cached is not None:
            return cached
        return sequence_logprob(self.ref_logits(batch[name]), batch[name]["labels"])


def field_default(f: Any) -> Any:
    """A dataclass field's default, also when it comes from a default_factory."""
    from dataclasses import MISSING

    return f.default_factory() if f.default is MISSING and f.default_factory is not MISSING else f.default


@dataclass
class Method:
    """Base class. Subclasses are dataclasses whose fields are the method's hyperparameters."""

    description: ClassVar[str] = ""
    main_groups: ClassVar[tuple[str, ...]] = ()  # groups the forget term reads
    alt: ClassVar[str | None] = None  # what fills the `alt` group: "inverted" or "idk"
    ref_logprobs: ClassVar[tuple[str, ...]] = ()  # groups whose reference log-probs the loss needs
    kl_group: ClassVar[str | None] = None  # group the KL term is taken on
    uses_reference: ClassVar[bool] = False  # the forget term reads reference logits (e.g. UNDIAL's teacher)

    @property
    def needs_ref_model(self) -> bool:
        """KL terms need the reference's full distributions, so a frozen copy is kept (`--ref-device`)."""
        return self.uses_reference or (self.kl_group is not None and getattr(self, "kl_weight", 0.0) != 0.0)

    @property
    def token_kinds(self) -> tuple[str, ...]:
        """Masks whose global token counts `--loss-reduction token` needs (see losses.token_mask)."""
        return ("shifted", "labels", "attention")

    def validate(self) -> None:
        """Raise MeowError for hyperparameters that cannot work; runs before any model is loaded."""

    def setup(self, model: Any, ctx: Context, seed: int) -> None:
        """Before training: a method may freeze parameters or prepare its own reference (RMU)."""

    def callbacks(self) -> list[Any]:
        """transformers TrainerCallbacks the method needs (PDU's dual-variable warm-up)."""
        return []

    def groups(self) -> tuple[str, ...]:
        """Groups the data set builds: the main ones, plus retain when a retain or retain-KL term is on."""
        extra = {"retain"} if getattr(self, "retain_weight", 0.0) else set()
        if self.kl_group is not None and getattr(self, "kl_weight", 0.0):
            extra.add(self.kl_group)
        return tuple(g for g in GROUPS if g in set(self.main_groups) | extra)

    def forget_term(self, out: Outputs, ctx: Context) -> Any:
        raise NotImplementedError

    def loss(self, model: Any, batch: dict[str, Any], ctx: Context) -> Any:
        """forget term + retain_weight * NLL(retain) + kl_weight * KL(p_ref || p) on `kl_group`."""
        from meow.unlearn.losses import kl_to_reference

        out = Outputs(model, batch, ctx.reduction)
        total = self.forget_term(out, ctx)
        if getattr(self, "retain_weight", 0.0):
            total = total + self.retain_weight * out.nll("retain")  # type: ignore[attr-defined]
        if self.kl_group is not None and getattr(self, "kl_weight", 0.0):
            g = self.kl_group
            ref = ctx.ref_logits(batch[g])
            total = total + self.kl_weight * out.reduce(g, kl_to_reference, out[g], ref, out.labels(g))  # type: ignore
        return total

    @classmethod
    def summary(cls) -> str:
        params = ", ".join(f"{f.name}={field_default(f)}" for f in fields(cls))
        return cls.description + (f" [{params}]" if params else "")
