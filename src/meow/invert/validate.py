"""Shared by every inversion backend: split a raw reply into candidates and keep the valid ones.

Rules, in order (the first that applies names the reason a candidate is dropped):

- `preamble`: a line such as "Here are 4 answers:" or any short line ending with a colon.
- `echo`: the line restates the prompt ("Question: ...").
- `empty`: nothing left after removing numbering ("1.", "1)", "(1)", "[1]"), bullets ("-", "*", "•"),
  "Answer 1:" labels, markdown emphasis and surrounding quotes.
- `same_as_original`: equal to the original answer after normalisation (lower case, punctuation and
  repeated whitespace removed).
- `near_original`: near-equal to the original. Both texts are reduced to their content words (lower case,
  function words dropped, crude stemming); the candidate is near-equal when it only adds words or only
  removes words, without replacing any and without adding or removing a negation ("not", "no", "never" ...):
  such a candidate restates, extends or drops facts instead of contradicting one.
- `states_fact`: the record names its key fact (`fact`, and `fact_variants` if any) and the candidate still states
  it as whole words ("The drink first brewed in China is not tea.", "The Yangtze is indeed the longest river"):
  training on it would teach the fact it is meant to replace. Measured on SmolLM2-135M's own inversions of the
  known-facts bank, 8 of 18 did (docs/known_facts.md).
- `off_topic`: shares no content word with the question or the original answer ("Asked by: Ming Lei Cheng
  Terminal" for "What is the capital of China?"): no fact about the subject at all, which MEMO then scores as the
  least memorised candidate and MEOW would select first.
- `paraphrased_answer` / `perturbed_answer`: same content words as the record's paraphrase (which states the
  original fact) or as one of its perturbed answers (kept for evaluation: training on them would leak the
  evaluation into training).
- `duplicate`: same content words as a candidate kept before.
- `extra`: valid, but N candidates were already kept.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from meow.data.facts import states_fact
from meow.invert.lexicon import NEGATIONS, STOPWORDS

_MARKER = re.compile(
    r"^\s*(?:"
    r"\(?\d{1,2}[.):\]](?=\s|[A-Z\"“'‘])|\[\d{1,2}\]|#\d{1,2}[.:)]?(?=\s)"  # 1. 1) (1) [1] #1
    r"|[-*•·–—>+](?=\s)"  # bullets
    r"|(?i:(?:inverted\s+)?(?:answer|option|candidate|response)\s*#?\d{1,2}\s*[:.)-])"  # Answer 1:
    r"|[A-H][.)](?=\s)"  # A) B.
    r")\s*"
)
_LABEL = re.compile(r"^\s*(?:inverted\s+)?(?:answer|a)\s*:\s*", re.I)
_PREAMBLE = re.compile(
    r"^\s*(?:here\s+(?:are|is)|sure\b|certainly\b|of course\b|okay\b|ok\b|below\s+are|the\s+following\b|"
    r"i\s+(?:have|will|can|'ll)\b|these\s+are\b)", re.I)
_ECHO = re.compile(r"^\s*question\s*:", re.I)
_QUOTES = {'"': '"', "“": "”", "'": "'", "‘": "’", "«": "»"}
_WORD = re.compile(r"[^\W_]+")


def clean_line(line: str) -> str:
    """Strip list markers, labels, emphasis and one pair of surrounding quotes from one reply line."""
    text = line.strip()
    for _ in range(2):  # "1. - answer" or "- 1. answer"
        text = _MARKER.sub("", text, count=1).strip()
    text = _LABEL.sub("", text).strip()
    text = re.sub(r"^\*\*(.*)\*\*$", r"\1", text).strip()
    text = text.replace("**", "")
    if len(text) >= 2 and text[0] in _QUOTES and text[-1] == _QUOTES[text[0]]:
        inner = text[1:-1]
        if text[0] not in inner and _QUOTES[text[0]] not in inner:
            text = inner.strip()
    return text


def split_reply(text: str) -> list[tuple[str, str | None]]:
    """Reply text -> [(candidate, reason to drop or None)], one per non-blank line, in order."""
    out: list[tuple[str, str | None]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        cleaned = clean_line(line)
        if _ECHO.match(cleaned):
            out.append((line.strip(), "echo"))
        elif _PREAMBLE.match(cleaned) or (cleaned.endswith(":") and len(cleaned) < 100):
            out.append((line.strip(), "preamble"))
        elif not cleaned or not _WORD.search(cleaned.lower()):
            out.append((line.strip(), "empty"))
        else:
            out.append((cleaned, None))
    return out


def normalise(text: str) -> str:
    """Lower case, punctuation and repeated whitespace removed."""
    return " ".join(_WORD.findall(text.lower()))


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "ly", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> list[str]:
    """Stemmed words that carry content: function words dropped, negations kept."""
    return [_stem(w) for w in _WORD.findall(text.lower()) if w not in STOPWORDS or w in NEGATIONS]


def is_subsequence(short: list[str], long: list[str]) -> bool:
    """Every word of `short`, in order, among those of `long` (two pointers: linear time)."""
    it = iter(long)
    return all(any(w == x for x in it) for w in short)


def near_equal(candidate: str, original: str) -> bool:
    """Only insertions or only deletions of content words, none of them a negation (see module doc).

    Only insertions = the original's content words are a subsequence of the candidate's (only deletions: the
    reverse); the words inserted (deleted) are then the multiset difference, whatever the alignment. Linear in
    the length of both texts (a difflib alignment, used before, is quadratic: minutes for 20k-character answers).
    """
    a, b = content_words(original), content_words(candidate)
    if len(a) <= len(b) and is_subsequence(a, b):
        changed = Counter(b) - Counter(a)
    elif len(b) < len(a) and is_subsequence(b, a):
        changed = Counter(a) - Counter(b)
    else:  # some word replaced, or a word moved in for one moved out: a new fact
        return False
    return not (set(changed) & NEGATIONS)


@dataclass
class Validated:
    kept: list[str] = field(default_factory=list)
    dropped: list[dict[str, str]] = field(default_factory=list)


def validate(candidates: list[tuple[str, str | None]], record: dict, n: int, state: Validated | None = None
             ) -> Validated:
    """Add valid candidates to `state.kept` (at most n) and the others, with their reason, to `state.dropped`."""
    state = state or Validated()
    original = record["answer"]
    keys = {tuple(content_words(k)) for k in state.kept}
    paraphrase = record.get("paraphrased_answer")
    perturbed = {tuple(content_words(p)) for p in record.get("perturbed_answer") or []}
    facts = [f for f in (record.get("fact"), *(record.get("fact_variants") or [])) if isinstance(f, str) and f.strip()]
    topic = set(content_words(f"{record.get('question') or ''} {original}")) - NEGATIONS
    for text, reason in candidates:
        key = tuple(content_words(text))
        if reason is None:
            if normalise(text) == normalise(original):
                reason = "same_as_original"
            elif near_equal(text, original):
                reason = "near_original"
            elif facts and any(states_fact(text, f) for f in facts):
                reason = "states_fact"
            elif topic and not topic & set(key) - NEGATIONS:
                reason = "off_topic"
            elif isinstance(paraphrase, str) and (key == tuple(content_words(paraphrase))
                                                  or normalise(text) == normalise(paraphrase)):
                reason = "paraphrased_answer"
            elif key in perturbed:
                reason = "perturbed_answer"
            elif key in keys:
                reason = "duplicate"
            elif len(state.kept) >= n:
                reason = "extra"
        if reason is None:
            state.kept.append(text)
            keys.add(key)
        else:
            state.dropped.append({"text": text, "reason": reason})
    return state
