"""The known-facts benchmark: unlearning what a pretrained model knows (RWKU-style, on a bank written for meow)."""

from meow.benchmark.known_facts import benchmark as _benchmark  # noqa: F401  (registers `known-facts`)
from meow.benchmark.known_facts.bank import KINDS, Fact, load_bank
from meow.benchmark.known_facts.make import PROBE_KINDS, assign_roles, is_known_facts, make_known_facts
from meow.benchmark.known_facts.probe import probe, states_any

__all__ = ["KINDS", "PROBE_KINDS", "Fact", "assign_roles", "is_known_facts", "load_bank", "make_known_facts", "probe",
           "states_any"]
