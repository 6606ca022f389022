"""Step 1 of MEOW: inverted facts. Backends `rules` (offline), `openai` (any OpenAI-compatible server), `hf`
(a local transformers model); parsing, validation, caching and the summary are shared (`api.py`)."""

from meow.invert import hf, openai, rules  # noqa: F401  (register the backends)
from meow.invert.api import format_summary, invert_file, invert_records, make_backend
from meow.invert.base import INVERTERS, Inverter, Reply, Request, messages
from meow.invert.validate import near_equal, split_reply, validate

__all__ = [
    "INVERTERS", "Inverter", "Reply", "Request", "format_summary", "invert_file", "invert_records", "make_backend",
    "messages", "near_equal", "split_reply", "validate",
]
