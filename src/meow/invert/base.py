"""The inverter protocol and registry, and the instruction used by LLM backends (docs/method.md section 2).

A backend only turns requests into raw text (LLM backends) or into candidate lists (`rules`); splitting
replies, validation, caching, re-asking and the summary are shared (`meow.invert.api`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from meow.registry import Registry

# The reference run's instruction (MEOW, data/invert.py): system message + "Question: q Answer: a".
SYSTEM_PROMPT = ("Please generate {n} answers based on the Question and Answer that do not factually match the "
                 "Answer. Please respond with each answer on a separate line, without adding any numbers or "
                 "extraneous markers.")
USER_PROMPT = "Question: {question} Answer: {answer}"


# Passages (an empty question): the same instruction, for a whole text and all of its facts.
PASSAGE_SYSTEM_PROMPT = ("Please rewrite the Passage {n} times so that its facts (names, places, dates, numbers, "
                         "events) do not match the original, keeping its style and length. Please respond with each "
                         "rewritten passage on a single separate line, without adding any numbers or extraneous "
                         "markers.")
PASSAGE_USER_PROMPT = "Passage: {passage}"


def passage_messages(passage: str, n: int) -> list[dict[str, str]]:
    """Chat messages asking for n inverted versions of a passage (line breaks folded: one reply line each)."""
    return [{"role": "system", "content": PASSAGE_SYSTEM_PROMPT.format(n=n)},
            {"role": "user", "content": PASSAGE_USER_PROMPT.format(passage=" ".join(passage.split()))}]


def messages(question: str, answer: str, n: int) -> list[dict[str, str]]:
    """Chat messages asking for n inverted answers (an empty question: a passage, `passage_messages`)."""
    if not question:
        return passage_messages(answer, n)
    return [{"role": "system", "content": SYSTEM_PROMPT.format(n=n)},
            {"role": "user", "content": USER_PROMPT.format(question=question, answer=answer)}]


@dataclass(frozen=True)
class Request:
    """One ask for inverted answers of record `index` (attempt > 0: asked again for missing ones)."""

    index: int
    question: str
    answer: str
    n: int
    attempt: int = 0
    key: str = ""

    @property
    def messages(self) -> list[dict[str, str]]:
        return messages(self.question, self.answer, self.n)


@dataclass
class Reply:
    """A backend's answer to one request: raw `text` to be split (LLMs) or ready `candidates` (rules)."""

    text: str | None = None
    candidates: list[str] | None = None
    note: str | None = None
    dropped: list[dict[str, str]] = field(default_factory=list)  # candidates a backend already rejected
    details: dict[str, Any] = field(default_factory=dict)  # backend-specific, kept in the record's `invert`


class Inverter(Protocol):
    name: ClassVar[str]
    cacheable: ClassVar[bool]  # raw replies are cached and re-asking is allowed (LLM backends)

    def identity(self) -> dict[str, Any]:
        """What, besides the prompt, determines a reply (model, sampling options): part of the cache key."""
        ...

    def prepare(self, records: list[dict]) -> None:
        """Look at the whole corpus once before any request (rules mines values from it)."""
        ...

    def run(self, requests: list[Request]) -> Iterator[tuple[Request, Reply]]:
        """Yield a reply per request, in any order, as soon as each is ready."""
        ...


INVERTERS: Registry[type] = Registry("inversion backend")
