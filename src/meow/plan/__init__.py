"""`meow plan`: memory per device of an unlearning setup, computed from the model's config (no weights loaded)."""

from meow.plan.arch import PRESETS, Arch, arch_from_config, load_arch
from meow.plan.memory import ENGINES, Plan, Setup, plan

__all__ = ["ENGINES", "PRESETS", "Arch", "Plan", "Setup", "arch_from_config", "load_arch", "plan"]
