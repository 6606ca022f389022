"""What a method is: a dataclass of its hyperparameters and a `loss(model, batch, ctx)` built from `losses.py`.

A batch holds up to three padded groups, each {input_ids, attention_mask, labels}:
- `forget`: (question, true answer) of the forget set,
- `alt`:    (question, alternative answer): an inverted fact (MEOW) or an "I don't know" answer,
- `retain`: a (question, answer) row of the retain set, cycled alongside,
and `ref`: {group: [B] reference sequence log-probs}, cached before training for the groups in `ref_logprobs`.

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

    def __init__(self, model: Any, batch: dict[str, Any]):
        self.model, self.batch, self._logits = model, batch, {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._logits:
            g = self.batch[name]
            self._logits[name] = self.model(input_ids=g["input_ids"], attention_mask=g["attention_mask"]).logits
        return self._logits[name]

    def labels(self, name: str) -> Any:
        return self.batch[name]["labels"]

    def nll(self, name: str) -> Any:
        from meow.unlearn.losses import nll

        return nll(self[name], self.labels(name))

    def logprob(self, name: str) -> Any:
        from meow.unlearn.losses import sequence_logprob

        return sequence_logprob(self[name], self.labels(name))


@dataclass
class Context:
    """What a loss may need besides the model and the batch: the reference model."""

    reference: Callable[[dict[str, Any]], Any] | None = None  # group -> reference logits (no grad)

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


@dataclass
class Method:
    """Base class. Subclasses are dataclasses whose fields are the method's hyperparameters."""

    description: ClassVar[str] = ""
    main_groups: ClassVar[tuple[str, ...]] = ()  # groups the forget term reads
    alt: ClassVar[str | None] = None  # what fills the `alt` group: "inverted" or "idk"
    ref_logprobs: ClassVar[tuple[str, ...]] = ()  # groups whose reference log-probs the loss needs
    kl_group: ClassVar[str | None] = None  # group the KL term is taken on

    @property
    def needs_ref_model(self) -> bool:
        """KL terms need the reference's full distributions, so a frozen copy is kept (`--ref-device`)."""
        return self.kl_group is not None and getattr(self, "kl_weight", 0.0) != 0.0

    def groups(self) -> tuple[str, ...]:
        """Groups the data set builds: the main ones, plus retain when a retain or retain-KL term is on."""
        extra = {"retain"} if getattr(self, "retain_weight", 0.0) else set()
        if self.needs_ref_model:
            extra.add(self.kl_group)  # type: ignore[arg-type]
        return tuple(g for g in GROUPS if g in set(self.main_groups) | extra)

    def forget_term(self, out: Outputs, ctx: Context) -> Any:
        raise NotImplementedError

    def loss(self, model: Any, batch: dict[str, Any], ctx: Context) -> Any:
        """forget term + retain_weight * NLL(retain) + kl_weight * KL(p_ref || p) on `kl_group`."""
        from meow.unlearn.losses import kl_to_reference

        out = Outputs(model, batch)
        total = self.forget_term(out, ctx)
        if getattr(self, "retain_weight", 0.0):
            total = total + self.retain_weight * out.nll("retain")  # type: ignore[attr-defined]
        if self.needs_ref_model:
            g = self.kl_group
            ref = ctx.ref_logits(batch[g])
            total = total + self.kl_weight * kl_to_reference(out[g], ref, out.labels(g))  # type: ignore[attr-defined]
        return total

    @classmethod
    def summary(cls) -> str:
        params = ", ".join(f"{f.name}={f.default}" for f in fields(cls))
        return cls.description + (f" [{params}]" if params else "")
