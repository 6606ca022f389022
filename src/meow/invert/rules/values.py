"""Replacement values that are generated rather than borrowed: shifted dates, years and numbers, invented titles
and names, and the lexicon pools per slot kind."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from functools import partial

from meow.invert import lexicon as L


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
