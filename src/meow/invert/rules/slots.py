"""Slots: the spans of an answer that carry its facts, each with a kind and a tier (`SlotFinder.find`).

The patterns (quoted titles, dates, names, places ...) and the lexicon lookups that find them; see
`meow.invert.rules` for how the tiers are used."""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from meow.invert import lexicon as L

TIER = {
    **dict.fromkeys(["title", "award", "date", "place_pair", "genre", "person", "city", "country", "region",
                     "nationality", "language", "profession", "gender", "decade", "year", "number", "month",
                     "weekday", "field"], 1),
    **dict.fromkeys(["proper", "field_adj", "contrast", "theme", "style", "setting", "colour", "season", "count"], 2),
    "negation": 3,
    "fact": 1,  # the record's own `fact` field, where no slot found covers it (RuleEngine.fact_slot)
}
LOWERCASE_KINDS = frozenset({"profession", "field", "field_adj", "theme", "style", "setting", "colour", "season",
                             "count", "contrast"})
MAX_TIER2 = 3  # tier-2 slots changed at once when an answer has no tier-1 slot
NEVER_GIVEN = frozenset({"contrast", "negation", "count"})
TIER2_ORDER = ["proper", "field_adj", "contrast", "theme", "style", "setting", "colour", "season", "count"]
# kinds whose value may be changed even when the question names it, if nothing else gives N variants
REUSABLE_GIVEN = frozenset({"nationality", "genre", "language", "gender", "field"})

WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_UPPER = "A-ZÀ-ÖØ-Þ"
_NAME_TOKEN = rf"(?:[{_UPPER}][^\W\d_]*(?:-[^\W\d_]+|['’][{_UPPER}][^\W\d_]+)*|[{_UPPER}]\.(?:[{_UPPER}]\.)*)"
_NAME_CONNECT = r"(?:de|da|del|della|di|du|van|von|der|den|bin|ibn|al|el|la|le|y|dos|das)"
_NAME_SEQ = re.compile(rf"{_NAME_TOKEN}(?:\s+(?:{_NAME_CONNECT}\s+)*{_NAME_TOKEN})*")
_TITLE_CONNECT = r"(?:of|for|in|the|and|on|&|to|at|de|du|la|le)"
_AWARD_SEQ = re.compile(rf"{_NAME_TOKEN}(?:\s+(?:{_TITLE_CONNECT}\s+)*{_NAME_TOKEN})*")
_QUOTED = [
    re.compile(r'"([^"\n]{2,150})"'),
    re.compile(r"“([^”\n]{2,150})”"),
    re.compile(r"(?<![A-Za-z0-9])'([A-Z0-9][^'\n]*?(?:'[a-z][^'\n]*?)*)'(?![A-Za-z])"),
]
_MONTH = "(?:" + "|".join(L.MONTHS) + ")"
_ORD = r"(?:st|nd|rd|th)"
_DATES = [
    re.compile(rf"\b\d{{1,2}}{_ORD}? of {_MONTH},? \d{{4}}\b"),
    re.compile(rf"\b{_MONTH} \d{{1,2}}{_ORD}?,? \d{{4}}\b"),
    re.compile(rf"\b\d{{1,2}}{_ORD}? {_MONTH},? \d{{4}}\b"),
    re.compile(r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{4}\b"),
    re.compile(r"\b\d{4}-\d{2}-\d{2}\b"),
    re.compile(rf"\b{_MONTH},? \d{{4}}\b"),
    re.compile(rf"\b\d{{1,2}}{_ORD}? of {_MONTH}\b"),
    re.compile(rf"\b{_MONTH} \d{{1,2}}{_ORD}\b"),
]
_DECADE = re.compile(r"\b(?:1[0-9]|20)[0-9]0s\b")
_YEAR = re.compile(r"\b(?:1[0-9]{3}|20[0-9]{2})\b")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)?(?![\w])")
GENRE_SLOT = re.compile(r"\b(?:the|a|an|his|her|their|its|of|in)\s+((?:[\w'+-]+\s+){0,2}?[\w'+-]+)\s+genre\b", re.I)
GENRE_SKIP = frozenset({"literary", "chosen", "particular", "same", "entire", "whole", "favorite", "favourite",
                         "preferred", "specific", "this", "that", "new", "own", "broader", "wider", "overall",
                         "main", "primary", "principal", "chief", "major", "dominant", "usual", "signature",
                         "respective", "beloved", "popular", "celebrated", "favoured", "favored", "core"})
# auxiliaries a "not" can follow without rewording (have/has/had only before a participle)
_NEGATABLE = re.compile(r"\b(?:is|are|was|were|can|could|will|would|should|(?:has|have|had)(?=\s+(?:not|been|\w+ed|\w+en)\b))\b")
_LANGUAGE_CONTEXT = re.compile(r"\b(languages?|translated|translations?|written in|speaks?|spoken|tongue|bilingual|"
                               r"multilingual|fluent)\b", re.I)
_PLACE_PREP = re.compile(r"(?:\b(?:in|from|near|across|outside|around|moved to|lives in|hails from)\s+)$")
SENT_START = re.compile(r"(?:^|[.!?]\s+|\n\s*)$")
ARTICLE = re.compile(r"\b([Aa]n?)\s+$")
PARENT_PROFESSION = re.compile(r"\b(?:was|is|were|as)\s+an?\s+([A-Za-z-]+(?:\s+[A-Za-z-]+){0,2})")


@dataclass(frozen=True)
class Slot:
    start: int
    end: int
    kind: str
    text: str

    @property
    def tier(self) -> int:
        return TIER[self.kind]


def norm(text: str) -> str:
    """Lower-case words joined by single spaces (punctuation dropped): the comparison key for values."""
    return " ".join(w.lower() for w in WORD.findall(text))


def _phrase_regex(phrases: Iterable[str], flags: int = 0) -> re.Pattern | None:
    items = sorted({p for p in phrases if p}, key=len, reverse=True)
    if not items:
        return None
    body = "|".join(re.escape(p) for p in items)
    return re.compile(rf"(?<![\w-])(?:{body})(?![\w-]|\+)", flags)


_RE_NATIONALITY = _phrase_regex(L.NATIONALITIES)
_RE_LANGUAGE = _phrase_regex(L.LANGUAGES)
_RE_PROFESSION = _phrase_regex(L.PROFESSIONS, re.I)
_RE_GENRE = _phrase_regex(L.GENRES, re.I)
_RE_GENDER = re.compile(r"(?<![\w-])(?:LGBTQ\+?|LGBT|" + "|".join(
    re.escape(g) for g in sorted(L.GENDERS, key=len, reverse=True) if not g.startswith("LGBTQ")) + r")(?![\w-])")
_RE_MONTH = _phrase_regex(L.MONTHS)
_RE_WEEKDAY = _phrase_regex(L.WEEKDAYS)
_LEXICAL = [  # (kind, regex) for lower-case words of fixed kinds
    ("field", _phrase_regex(L.FIELDS)),
    ("field_adj", _phrase_regex(L.FIELD_ADJECTIVES)),
    ("contrast", _phrase_regex(L.CONTRASTS)),
    ("theme", _phrase_regex(L.THEMES)),
    ("style", _phrase_regex(L.STYLES)),
    ("setting", _phrase_regex(L.SETTINGS)),
    ("colour", _phrase_regex(L.COLOURS)),
    ("season", _phrase_regex(L.SEASONS)),
    ("count", _phrase_regex(L.NUMBER_WORDS, re.I)),
]
_LOWER_LEXICON = {w.lower() for w in (*L.PROFESSIONS, *L.GENRES, *L.FIELDS, *L.THEMES, *L.STYLES)}
_COUNTRIES = set(L.COUNTRIES)
_REGIONS = set(L.REGIONS)
_KNOWN_PLACES = set(L.CITIES) | _COUNTRIES | _REGIONS


def _overlaps(a: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    """Does span `a` overlap one of `taken` (disjoint spans sorted by start)? Binary search: log time."""
    i = bisect.bisect_left(taken, (a[1], -1))  # spans starting before a's end come before i
    return i > 0 and taken[i - 1][1] > a[0]


def ends_with(rx: re.Pattern[str], text: str, end: int, window: int = 120) -> re.Match[str] | None:
    """`rx` (anchored with $) matching `text[:end]` at its end; looks only at the last `window` characters, so a
    check at every position of a long answer stays linear (`^` still means the real start of the text)."""
    return rx.search(text, max(0, end - window), end)


class SlotFinder:
    """Finds slots in a text. Corpus knowledge (common lower-case words, mined genres and professions,
    names seen elsewhere) makes it better; it works without."""

    def __init__(self, common_words: set[str] | None = None, genres: Iterable[str] = (),
                 professions: Iterable[str] = (), person_tokens: set[str] | None = None,
                 places: set[str] | None = None):
        self.common = (common_words or set()) | L.STOPWORDS | L.NEGATIONS
        self.person_tokens = person_tokens or set()
        self.places = {p for p in places or () if not set(p.split()) & self.person_tokens}
        self.genres = {norm(g) for g in genres}
        extra_genres = [g for g in genres if norm(g) not in {norm(x) for x in L.GENRES}]
        multi = [g for g in extra_genres if " " in g]
        single = [g for g in extra_genres if " " not in g]
        self.re_genre_multi = _phrase_regex(multi)
        self.re_genre_single = _phrase_regex(single)
        self.re_profession_extra = _phrase_regex([p for p in professions if p.lower() not in L.PROFESSIONS], re.I)
        self.known_lower = {p.lower() for p in professions}

    # ---- the detectors, in priority order -------------------------------------------------------------

    def find(self, text: str) -> list[Slot]:
        slots: list[Slot] = []
        taken: list[tuple[int, int]] = []

        def add(start: int, end: int, kind: str) -> None:
            while end > start and text[end - 1] in ",.;:!? ":
                end -= 1
            while start < end and text[start] == " ":
                start += 1
            if end > start and not _overlaps((start, end), taken):
                slots.append(Slot(start, end, kind, text[start:end]))
                bisect.insort(taken, (start, end))

        for kind, start, end in self._detect(text):
            add(start, end, kind)
        return sorted(slots, key=lambda s: s.start)

    def _detect(self, text: str):
        for rx in _QUOTED:
            for m in rx.finditer(text):
                inner = m.group(1)
                if not inner[:1].isupper() and not inner[:1].isdigit():
                    continue
                kind = "award" if set(inner.split()) & L.AWARD_WORDS else "title"
                yield kind, m.start(1), m.end(1)
        for rx in _DATES:
            for m in rx.finditer(text):
                yield "date", m.start(), m.end()
        for m in _AWARD_SEQ.finditer(text):
            span = self._trim_award(text, m.start(), m.end())
            if span:
                yield "award", *span
        for m in GENRE_SLOT.finditer(text):
            words = m.group(1).split()
            while words and words[0].lower() in GENRE_SKIP | L.STOPWORDS:
                words = words[1:]
            if words:
                start = m.end(1) - len(" ".join(words))
                yield "genre", start, m.end(1)
        for rx in (self.re_genre_multi, _RE_GENRE):
            if rx:
                for m in rx.finditer(text):
                    yield "genre", m.start(), m.end()
        if self.re_genre_single:
            for m in self.re_genre_single.finditer(text):
                nxt = WORD.match(text, m.end() + 1)
                if nxt and nxt.group().lower() in L.GENRE_NOUNS and text[m.end():m.end() + 1] == " ":
                    yield "genre", m.start(), m.end()
        yield from self._places(text)
        yield from self._persons(text)
        for sent in re.finditer(r"[^.!?]+[.!?]?", text):
            if _LANGUAGE_CONTEXT.search(sent.group()):
                for m in _RE_LANGUAGE.finditer(sent.group()):
                    yield "language", sent.start() + m.start(), sent.start() + m.end()
        for m in _RE_NATIONALITY.finditer(text):
            yield "nationality", m.start(), m.end()
        for rx in (self.re_profession_extra, _RE_PROFESSION):
            if rx:
                for m in rx.finditer(text):
                    yield "profession", m.start(), m.end()
        for m in _RE_GENDER.finditer(text):
            if m.group() in ("LGBTQ", "LGBTQ+", "LGBT") or m.group().islower():
                yield "gender", m.start(), m.end()
        for rx, kind in ((_DECADE, "decade"), (_YEAR, "year"), (_NUMBER, "number"), (_RE_MONTH, "month"),
                         (_RE_WEEKDAY, "weekday")):
            for m in rx.finditer(text):
                yield kind, m.start(), m.end()
        for kind, rx in _LEXICAL:
            for m in rx.finditer(text):
                if kind == "count" and m.group().lower() == "one":
                    continue
                yield kind, m.start(), m.end()
        yield from self._propers(text)
        for m in _NEGATABLE.finditer(text):
            yield "negation", m.start(), m.end()

    def _propers(self, text: str):
        """Single capitalised words inside a sentence that no other detector claimed (`... is Yoromere.`)."""
        for m in re.finditer(r"(?<![\w'’-])[A-Z][a-z]{2,}(?![\w-])", text):
            word = m.group()
            if (ends_with(SENT_START, text, m.start()) or word.lower() in self.common or word in self.person_tokens
                    or word.lower() in L.SENTENCE_STARTERS):
                continue
            yield "proper", m.start(), m.end()

    def _trim_award(self, text: str, start: int, end: int) -> tuple[int, int] | None:
        words = text[start:end].split()
        if not set(words) & L.AWARD_WORDS:
            return None
        while words and (words[-1].lower() in L.STOPWORDS):
            words.pop()
        while words and words[0].lower() in self.common and words[0] not in L.AWARD_WORDS:
            start += len(words[0]) + 1
            words.pop(0)
            while text[start] == " ":
                start += 1
        if not words or not set(words) & L.AWARD_WORDS or len(words) < 2:
            return None
        return start, start + len(" ".join(words))

    def _cap_sequences(self, text: str):
        """Capitalised word runs; at a sentence start, leading common words are dropped (`Author Basil X`)."""
        for m in _NAME_SEQ.finditer(text):
            tokens = [(m.start() + t.start(), m.start() + t.end()) for t in re.finditer(r"\S+", m.group())]
            if ends_with(SENT_START, text, m.start()):
                while tokens and self._starter(text[tokens[0][0]:tokens[0][1]]):
                    tokens.pop(0)
            if tokens:
                yield tokens[0][0], tokens[-1][1]

    def _starter(self, word: str) -> bool:
        low = word.lower()
        return low in self.common or low in L.SENTENCE_STARTERS or low.endswith(("ing", "ly"))

    def _places(self, text: str):
        seqs = list(self._cap_sequences(text))
        for (s1, e1), (s2, e2) in itertools.pairwise(seqs):
            second = text[s2:e2]
            if text[e1:s2] == ", " and (second in _COUNTRIES or second in _REGIONS):
                yield "place_pair", s1, e2
        for s, e in seqs:
            value = text[s:e]
            if value in L.CITIES:
                yield "city", s, e
            elif value in _COUNTRIES:
                yield "country", s, e
            elif value in _REGIONS:
                yield "region", s, e
            elif value in self.places or (ends_with(_PLACE_PREP, text, s) and not ends_with(SENT_START, text, s)
                  and value.split()[0] not in L.FIRST_NAMES and not set(value.split()) & self.person_tokens
                  and norm(value) not in self.genres
                  and not _RE_NATIONALITY.fullmatch(value) and not _RE_LANGUAGE.fullmatch(value)
                  and value not in L.MONTHS and not _RE_GENDER.fullmatch(value)):
                yield "city", s, e

    def _persons(self, text: str):
        for s, e in self._cap_sequences(text):
            value = text[s:e]
            words = value.split()
            if len(words) < 2 and words[0] not in self.person_tokens:
                continue
            if _RE_NATIONALITY.fullmatch(value) or value in _KNOWN_PLACES or set(words) & L.AWARD_WORDS:
                continue
            if any(w in L.MONTHS for w in words) or value.lower() in _LOWER_LEXICON | self.known_lower:
                continue
            yield "person", s, e
