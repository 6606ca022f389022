"""`rules` inverter: offline, deterministic fact inversion by replacing key-fact spans.

For each answer it finds *slots*: spans that carry its content, each with a kind (a quoted title, a
date, a person's name, a "City, Country" place, a genre, a profession, a nationality ...). Slots whose
text already appears in the question are the question's own subject and are left alone. Each inverted
answer is the original sentence with the slots replaced by other values of the same kind, so the form
is kept and the facts change.

Replacement values come first from the other records of the corpus (the same kind of slot found in
other answers, skipping values of records about the same person), then from small generic lexicons
(`lexicon.py`); dates, years and numbers are shifted. Choices are seeded by (seed, record, slot), so a
run is reproducible, and a replacement never equals the span it replaces.

Slots come in three tiers; an answer changes all its tier-1 slots (names, places, dates, numbers,
titles, awards, genres, professions, fields, nationalities, languages, genders), or if it has none up to
three tier-2 slots (other proper nouns, field adjectives, evaluative words, themes, styles, settings,
counts; how-often words only when nothing else is there), or if it has none a tier-3 one (negation:
"is" <-> "is not"). When that gives fewer than N distinct answers, the next tier and then kinds the
question itself names (a nationality, a genre ...) are changed too.
"""

from __future__ import annotations

import bisect
import itertools
import random
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any, ClassVar

from meow.invert import lexicon as L
from meow.invert.base import INVERTERS, Reply, Request
from meow.invert.validate import validate
from meow.io import stable_hash

TIER = {
    **dict.fromkeys(["title", "award", "date", "place_pair", "genre", "person", "city", "country", "region",
                     "nationality", "language", "profession", "gender", "decade", "year", "number", "month",
                     "weekday", "field"], 1),
    **dict.fromkeys(["proper", "field_adj", "contrast", "theme", "style", "setting", "colour", "season", "count"], 2),
    "negation": 3,
}
LOWERCASE_KINDS = frozenset({"profession", "field", "field_adj", "theme", "style", "setting", "colour", "season",
                             "count", "contrast"})
MAX_TIER2 = 3  # tier-2 slots changed at once when an answer has no tier-1 slot
NEVER_GIVEN = frozenset({"contrast", "negation", "count"})
TIER2_ORDER = ["proper", "field_adj", "contrast", "theme", "style", "setting", "colour", "season", "count"]
# kinds whose value may be changed even when the question names it, if nothing else gives N variants
REUSABLE_GIVEN = frozenset({"nationality", "genre", "language", "gender", "field"})

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
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
_GENRE_SLOT = re.compile(r"\b(?:the|a|an|his|her|their|its|of|in)\s+((?:[\w'+-]+\s+){0,2}?[\w'+-]+)\s+genre\b", re.I)
_GENRE_SKIP = frozenset({"literary", "chosen", "particular", "same", "entire", "whole", "favorite", "favourite",
                         "preferred", "specific", "this", "that", "new", "own", "broader", "wider", "overall",
                         "main", "primary", "principal", "chief", "major", "dominant", "usual", "signature",
                         "respective", "beloved", "popular", "celebrated", "favoured", "favored", "core"})
# auxiliaries a "not" can follow without rewording (have/has/had only before a participle)
_NEGATABLE = re.compile(r"\b(?:is|are|was|were|can|could|will|would|should|(?:has|have|had)(?=\s+(?:not|been|\w+ed|\w+en)\b))\b")
_LANGUAGE_CONTEXT = re.compile(r"\b(languages?|translated|translations?|written in|speaks?|spoken|tongue|bilingual|"
                               r"multilingual|fluent)\b", re.I)
_PLACE_PREP = re.compile(r"(?:\b(?:in|from|near|across|outside|around|moved to|lives in|hails from)\s+)$")
_SENT_START = re.compile(r"(?:^|[.!?]\s+|\n\s*)$")
_ARTICLE = re.compile(r"\b([Aa]n?)\s+$")
_PROF_MINE = re.compile(r"\b(?:was|is|were|as)\s+an?\s+([A-Za-z-]+(?:\s+[A-Za-z-]+){0,2})")


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
    return " ".join(w.lower() for w in _WORD.findall(text))


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


def _ends_with(rx: re.Pattern[str], text: str, end: int, window: int = 120) -> re.Match[str] | None:
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
        for m in _GENRE_SLOT.finditer(text):
            words = m.group(1).split()
            while words and words[0].lower() in _GENRE_SKIP | L.STOPWORDS:
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
                nxt = _WORD.match(text, m.end() + 1)
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
            if (_ends_with(_SENT_START, text, m.start()) or word.lower() in self.common or word in self.person_tokens
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
            if _ends_with(_SENT_START, text, m.start()):
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
            elif value in self.places or (_ends_with(_PLACE_PREP, text, s) and not _ends_with(_SENT_START, text, s)
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


# ---- replacement values ---------------------------------------------------------------------------------


def _ordinal(day: int) -> str:
    return "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _shift_year(year: int, rng: random.Random, lo: int = 1, hi: int = 25) -> int:
    while True:
        new = year + rng.choice([-1, 1]) * rng.randint(lo, hi)
        if new != year and new <= 2024:
            return new


def _date_part(match: re.Match, month: str, year: str, small: Iterator[int], numeric: bool) -> str:
    """One word of a date: the month name, the year, or a day / month number (ordinal suffix kept)."""
    tok = match.group()
    digits = re.match(r"\d+", tok)
    if tok in L.MONTHS:
        return month
    if not digits:
        return tok
    if len(tok) == 4 and tok.isdigit():
        return year
    value = next(small, 1)
    width = len(digits.group()) if numeric or tok.startswith("0") else 1
    return f"{value:0{width}d}" + (_ordinal(value) if tok != digits.group() else "")


def shifted_dates(text: str, rng: random.Random, k: int) -> list[str]:
    """k versions of a date string in the same format, each with another day, month and year."""
    numeric = bool(re.search(r"\d[/.-]\d", text))
    found_year = re.search(r"\d{4}", text)
    out: list[str] = []
    for _ in range(k * 4):
        small = iter([rng.randint(1, 12 if numeric else 28), rng.randint(1, 12)])
        year = str(_shift_year(int(found_year.group()), rng)) if found_year else ""
        part = partial(_date_part, month=rng.choice(L.MONTHS), year=year, small=small, numeric=numeric)
        new = re.sub(r"\d+(?:st|nd|rd|th)?|[A-Za-z]+", part, text)
        if new != text and new not in out:
            out.append(new)
        if len(out) >= k:
            break
    return out


def shifted_numbers(text: str, kind: str, rng: random.Random, k: int) -> list[str]:
    out: list[str] = []
    if kind == "decade":
        base = int(text[:-1])
        options = [base + 10 * d for d in (-4, -3, -2, -1, 1, 2, 3) if base + 10 * d <= 2020]
        rng.shuffle(options)
        return [f"{o}s" for o in options[:k]]
    if kind == "year":
        for _ in range(k * 6):
            y = str(_shift_year(int(text), rng))
            if y not in out:
                out.append(y)
            if len(out) >= k:
                break
        return out
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        return out
    integral = value.is_integer()
    span = max(3, int(abs(value) * 0.6))
    for _ in range(k * 8):
        new = value + rng.choice([-1, 1]) * rng.randint(1, span)
        if new <= 0 or new == value:
            continue
        s = str(int(new)) if integral else f"{new:.{len(text.split('.')[-1])}f}"
        if s not in out:
            out.append(s)
        if len(out) >= k:
            break
    return out


def generated_titles(rng: random.Random, k: int) -> list[str]:
    out: list[str] = []
    for _ in range(k * 4):
        pattern = rng.choice(L.TITLE_PATTERNS)
        noun, noun2 = rng.sample(L.TITLE_NOUNS, 2)
        title = pattern.format(adj=rng.choice(L.TITLE_ADJECTIVES), noun=noun, noun2=noun2)
        if title not in out:
            out.append(title)
        if len(out) >= k:
            break
    return out


def generated_names(rng: random.Random, k: int) -> list[str]:
    return [f"{rng.choice(L.FIRST_NAMES)} {rng.choice(L.LAST_NAMES)}" for _ in range(k)]


LEXICON_POOLS: dict[str, list[str]] = {
    "award": L.AWARDS, "genre": L.GENRES, "city": list(L.CITIES), "proper": list(L.CITIES), "country": L.COUNTRIES, "region": L.REGIONS,
    "place_pair": [f"{c}, {k}" for c, k in L.CITIES.items() if c != k], "nationality": L.NATIONALITIES,
    "language": L.LANGUAGES, "profession": L.PROFESSIONS, "gender": L.GENDERS, "month": L.MONTHS,
    "weekday": L.WEEKDAYS, "theme": L.THEMES, "style": L.STYLES, "setting": L.SETTINGS, "colour": L.COLOURS,
    "season": L.SEASONS, "count": L.NUMBER_WORDS, "field": L.FIELDS, "field_adj": L.FIELD_ADJECTIVES,
}


# ---- the corpus: mined values and who they belong to ------------------------------------------------------


@dataclass
class Corpus:
    """Slots of every record, so that values can be borrowed from records about someone else."""

    finder: SlotFinder
    answer_slots: list[list[Slot]]
    question_slots: list[list[Slot]]
    values: dict[str, dict[str, set[int]]] = field(default_factory=dict)  # kind -> value -> record ids
    cluster_of: list[set[int]] = field(default_factory=list)

    @classmethod
    def build(cls, records: list[dict]) -> Corpus:
        texts = [(r.get("question", ""), r.get("answer", "")) for r in records]
        common = _common_words(q + " " + a for q, a in texts)
        genres, professions = set(), set()
        for _, a in texts:
            for m in _GENRE_SLOT.finditer(a):
                words = [w for w in m.group(1).split() if w.lower() not in _GENRE_SKIP | L.STOPWORDS]
                if words and (len(words) > 1 or words[0][0].isupper() or len(words[0]) > 3):
                    genres.add(" ".join(words))
            professions.update(_mined_professions(a))
        first = SlotFinder(common, genres, professions)
        found = [s for q, a in texts for s in first.find(q + "\n" + a)]
        person_tokens = {w for s in found if s.kind == "person" for w in s.text.split() if len(w) > 2}
        places = {s.text for s in found if s.kind in ("city", "country", "region")}
        finder = SlotFinder(common, genres, professions, person_tokens, places)
        corpus = cls(finder, [finder.find(a) for _, a in texts], [finder.find(q) for q, _ in texts])
        corpus._index()
        return corpus

    def _index(self) -> None:
        people: list[set[str]] = []
        for i, (qs, as_) in enumerate(zip(self.question_slots, self.answer_slots)):
            for s in qs + as_:
                self.values.setdefault(s.kind, {}).setdefault(s.text, set()).add(i)
            people.append({norm(s.text) for s in qs + as_ if s.kind == "person"})
        by_person: dict[str, set[int]] = defaultdict(set)
        for i, names in enumerate(people):
            for name in names:
                by_person[name].add(i)
        self.cluster_of = [set().union({i}, *(by_person[n] for n in names)) for i, names in enumerate(people)]

    def mined(self, kind: str, record: int) -> list[str]:
        """Values of `kind` from records that share no person with `record`, in first-seen order."""
        cluster = self.cluster_of[record]
        return [v for v, ids in self.values.get(kind, {}).items() if not ids & cluster]


def _common_words(texts: Iterable[str]) -> set[str]:
    """Words that occur in lower case somewhere: a capitalised one of these is not a name."""
    words: set[str] = set()
    for t in texts:
        words.update(w for w in _WORD.findall(t) if w.islower())
    return words


def _mined_professions(text: str) -> list[str]:
    """Occupations stated of a parent ("his mother was a harpist", "father worked as a radio host")."""
    found = []
    for sent in re.split(r"(?<=[.!?;])\s+", text):
        if not set(_WORD.findall(sent.lower())) & L.FAMILY_WORDS:
            continue
        for m in _PROF_MINE.finditer(sent):
            words = []
            for w in m.group(1).split():
                if w.lower() in L.STOPWORDS or w.lower() in L.NEGATIONS:
                    break
                words.append(w)
            phrase = " ".join(words)
            known = [p for p in L.PROFESSIONS if re.search(rf"\b{re.escape(p)}\b", phrase, re.I)]
            if known:
                found.append(max(known, key=len))
            elif 0 < len(words) <= 2 and not any(w.endswith(("ly", "ed")) or w.lower() in L.NOT_PROFESSIONS
                                                 for w in words) and (phrase.islower() or phrase.istitle()):
                found.append(phrase)
    return found


# ---- building the inverted answers ------------------------------------------------------------------------


def _given(slot: Slot, question: str) -> bool:
    """True when the slot restates the question (its subject, its date): changing it changes the question."""
    if slot.kind in NEVER_GIVEN:  # flipping "successful" is the point even when the question asks about it
        return False
    q_norm = f" {norm(question)} "
    if f" {norm(slot.text)} " in q_norm:
        return True
    if slot.kind in ("date", "year", "decade"):
        return any(y in question for y in re.findall(r"\d{4}", slot.text))
    if slot.kind in ("person", "city", "country", "place_pair", "region"):
        q_caps = {w for w in _WORD.findall(question) if w[:1].isupper() and len(w) > 2}
        return any(w in q_caps for w in _WORD.findall(slot.text) if w[:1].isupper() and len(w) > 2)
    return False


def _rng(seed: int, *parts: object) -> random.Random:
    return random.Random(int(stable_hash([seed, *parts]), 16))


def _article_fix(prefix: str, replacement: str) -> str:
    m = _ends_with(_ARTICLE, prefix, len(prefix))
    if not m:
        return prefix
    first = replacement.split()[0].lower() if replacement.split() else ""
    vowel = (first[:1] in "aeiou" and not first.startswith(("uni", "use", "eu", "one", "uk"))) or first.startswith(
        ("hour", "honest", "honor", "honour", "lgbt"))
    art = "an" if vowel else "a"
    if m.group(1)[0].isupper():
        art = art.capitalize()
    return prefix[:m.start(1)] + art + prefix[m.end(1):]


def _negate(text: str, slot: Slot) -> str:
    """`has been` -> `has not been`; `is not` -> `is`."""
    after = text[slot.end:]
    m = re.match(r"\s+not\b", after)
    if m:
        rest = after[m.end():]
        rest = re.sub(r"^(\s+\w+)\s+any\b", r"\1 several", rest, count=1)
        return slot.text + rest
    return slot.text + " not" + after


def apply(text: str, replacements: dict[Slot, str]) -> str:
    """Replace slots right to left, fixing `a`/`an` and sentence-initial capitals."""
    for slot in sorted(replacements, key=lambda s: s.start, reverse=True):
        new = replacements[slot]
        prefix = text[:slot.start]
        if slot.kind == "negation":
            text = prefix + _negate(text, slot)
            continue
        new = cased(slot, new, prefix)
        text = _article_fix(prefix, new) + new + text[slot.end:]
    return text


def cased(slot: Slot, new: str, prefix: str) -> str:
    """Capitalise at a sentence start; otherwise follow the case of the replaced word (lower or Title Case)."""
    if _ends_with(_SENT_START, prefix, len(prefix)) and new[:1].islower():
        return new[0].upper() + new[1:]
    if slot.kind in LOWERCASE_KINDS and slot.text[:1].islower() and new.istitle():
        return new.lower()
    if slot.kind in LOWERCASE_KINDS and slot.text.istitle() and new.islower():  # "a Civil Engineer" style
        return new.title()
    return new


@dataclass
class RuleResult:
    candidates: list[str]
    note: str | None
    changed: list[list[tuple[str, str, str]]]  # per candidate: (kind, old, new)


class RuleEngine:
    def __init__(self, records: list[dict], seed: int = 0):
        self.records = records
        self.seed = seed
        self.corpus = Corpus.build(records)

    def slots(self, index: int, given: bool = False) -> list[Slot]:
        """The answer's slots outside the question (`given=True`: those restating it, but no names or dates)."""
        question = self.records[index].get("question", "")
        if given:
            return [s for s in self.corpus.answer_slots[index] if _given(s, question) and s.kind in REUSABLE_GIVEN]
        return [s for s in self.corpus.answer_slots[index] if not _given(s, question)]

    def invert(self, index: int, n: int) -> RuleResult:
        record = self.records[index]
        answer, question = record["answer"], record.get("question", "")
        slots = self.slots(index)
        groups = _group(slots)
        chosen = [g for g in groups if g[0].tier == 1]
        if not chosen:
            chosen = sorted((g for g in groups if g[0].tier == 2), key=lambda g: TIER2_ORDER.index(g[0].kind))
            if any(g[0].text.lower() not in L.FREQUENCY for g in chosen):
                chosen = [g for g in chosen if g[0].text.lower() not in L.FREQUENCY]
            chosen = sorted(chosen[:MAX_TIER2], key=lambda g: g[0].start)
        if not chosen:
            chosen = [g for g in groups if g[0].tier == 3][:1]
        if not chosen:
            return RuleResult([], "no key fact found: no name, place, date, number, title, genre, profession or "
                                  "other known content word outside the question", [])
        options = self._options(index, chosen, n, answer + " " + question)
        if max((len(o) for o in options), default=0) < n:  # widen: the next tier, then kinds the question names
            extra = [g for g in groups if g not in chosen and g[0].tier == chosen[0][0].tier + 1][:MAX_TIER2]
            extra += _group(self.slots(index, given=True))[:MAX_TIER2]
            chosen += extra
            options += self._options(index, extra, n, answer)
        out, changed = [], []
        for i in range(max(len(o) for o in options)):
            repl = {s: opts[i] for g, opts in zip(chosen, options) if i < len(opts) for s in g}
            text = apply(answer, repl)
            if text != answer and text not in out:
                out.append(text)
                changed.append([(g[0].kind, g[0].text, cased(g[0], opts[i], answer[:g[0].start]))
                                for g, opts in zip(chosen, options) if i < len(opts)])
            if len(out) == n:
                break
        note = None if len(out) == n else f"only {len(out)} distinct replacement(s) for: " + ", ".join(
            f"{g[0].kind} {g[0].text!r}" for g in chosen)
        return RuleResult(out, note, changed)

    def _options(self, index: int, groups: list[list[Slot]], n: int, context: str) -> list[list[str]]:
        """Replacement values per group; groups of one kind draw from one shuffled pool, round robin, so
        they never receive the same value in one candidate."""
        ctx = f" {norm(context)} "
        by_kind: dict[str, list[int]] = defaultdict(list)
        for gi, g in enumerate(groups):
            by_kind[g[0].kind].append(gi)
        options: list[list[str]] = [[] for _ in groups]
        for kind, members in by_kind.items():
            need = n * len(members)
            rng = _rng(self.seed, self.records[index].get("question", ""), self.records[index]["answer"], kind)
            if kind in ("date", "decade", "year", "number", "negation", "contrast"):
                for gi in members:
                    options[gi] = self._generated(kind, groups[gi][0].text, rng, n)
                continue
            answer = self.records[index]["answer"]
            pool = self._pool(kind, index, rng, need)
            pool = [v for v in pool if f" {norm(v)} " not in ctx and norm(v)]
            for j, gi in enumerate(members):
                fitted = (_fit(groups[gi][0], v, answer) for v in pool[j::len(members)])
                options[gi] = [v for v in fitted if v][:n]
        return options

    def _generated(self, kind: str, text: str, rng: random.Random, n: int) -> list[str]:
        if kind == "date":
            return shifted_dates(text, rng, n)
        if kind == "negation":
            return [text]
        if kind == "contrast":
            values = list(L.CONTRASTS.get(text.lower(), []))
            rng.shuffle(values)
            return values[:n]
        return shifted_numbers(text, kind, rng, n)

    def _pool(self, kind: str, index: int, rng: random.Random, need: int) -> list[str]:
        mined = self.corpus.mined(kind, index)
        if kind == "proper":  # most unknown proper nouns in biographies are places
            mined += self.corpus.mined("city", index) + self.corpus.mined("country", index)
        rng.shuffle(mined)
        lexicon = list(LEXICON_POOLS.get(kind, []))
        rng.shuffle(lexicon)
        if kind == "title":
            lexicon = generated_titles(rng, need + 4)
        elif kind == "person":
            lexicon = generated_names(rng, need + 4)
        seen: set[str] = set()
        pool = []
        for v in mined + lexicon:
            if norm(v) not in seen:
                seen.add(norm(v))
                pool.append(v)
        return pool


_GENRE_LEXICON = {norm(g) for g in L.GENRES}


def _fit(slot: Slot, value: str, text: str) -> str | None:
    """Adapt a pool value to the slot's grammar, or None when it does not fit there."""
    if slot.kind == "person" and len(value.split()) < 2:
        return None
    if slot.kind in ("country", "city") and value in L.NEEDS_THE and not text[:slot.start].endswith(("the ", "The ")):
        return None
    if slot.kind == "genre":  # "in the X genre" takes any genre; "his X," a genre noun; "X cultures" an adjective
        nxt = _WORD.match(text, slot.end + 1) if text[slot.end:slot.end + 1] == " " else None
        following = nxt.group().lower() if nxt else None
        self_standing = norm(value) in _GENRE_LEXICON or value.split()[-1].lower() in L.GENRE_NOUNS
        if following is None or following in L.STOPWORDS:
            return value if self_standing else value + " literature"
        if following not in L.GENRE_NOUNS and self_standing:
            return None
        last = value.split()[-1].lower()
        if following in L.GENRE_NOUNS and (last == following or last in ("literature", "genre")):
            return None
    return value


def _group(slots: list[Slot]) -> list[list[Slot]]:
    """Slots of one kind with the same value are replaced together (one value per candidate)."""
    groups: dict[tuple[str, str], list[Slot]] = {}
    for s in slots:
        groups.setdefault((s.kind, norm(s.text)), []).append(s)
    return list(groups.values())


@INVERTERS.register("rules")
@dataclass
class RulesInverter:
    """Offline and deterministic: key-fact spans replaced by same-kind values (module docstring)."""

    name: ClassVar[str] = "rules"
    cacheable: ClassVar[bool] = False  # cheap and deterministic: nothing to cache
    seed: int = 0
    spare: int = 3  # candidates made beyond n, in case some collide with a perturbed answer

    def identity(self) -> dict[str, Any]:
        return {"seed": self.seed}

    def prepare(self, records: list[dict]) -> None:
        self.records = records
        self.engine = RuleEngine(records, self.seed)

    def run(self, requests: list[Request]) -> Iterator[tuple[Request, Reply]]:
        for req in requests:
            res = self.engine.invert(req.index, req.n + self.spare)
            checked = validate([(c, None) for c in res.candidates], self.records[req.index], req.n)
            changes = [ch for c, ch in zip(res.candidates, res.changed) if c in checked.kept]
            note = res.note if len(checked.kept) < req.n or not res.candidates else None
            yield req, Reply(candidates=checked.kept, note=note,
                             dropped=[d for d in checked.dropped if d["reason"] != "extra"],
                             details={"changes": [[{"kind": k, "from": a, "to": b} for k, a, b in ch]
                                                  for ch in changes]})
