"""Shared hyperparameter fields: one name, one meaning, in every method that has it."""

from dataclasses import field
from typing import Any


def number(default: float, help: str, **bounds: float) -> Any:
    """A hyperparameter with its allowed range (gt / ge / lt / le) in the field metadata, enforced by meow.config."""
    return field(default=default, metadata={"help": help, **bounds})


def forget_weight(default: float = 1.0) -> Any:
    return number(default, "weight of the forget-side term", ge=0)


def retain_weight(default: float = 1.0) -> Any:
    return number(default, "weight of NLL on the retain set (0 = off)", ge=0)


def kl_weight(default: float = 1.0) -> Any:
    return number(default, "weight of KL(reference || model)", ge=0)


def beta(default: float) -> Any:
    return number(default, "inverse temperature of the NPO / SimNPO / DPO log-sigmoid", gt=0)


def delta(default: float = 0.0) -> Any:
    return number(default, "SimNPO margin")

