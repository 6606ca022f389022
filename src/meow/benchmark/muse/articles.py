"""One invented news article: its facts, its text (sentence templates) and the questions MUSE's KnowMem asks.

Facts come from the same value pools as the fictitious-authors benchmark (`meow.benchmark.pools`): an invented
person and town, a real city, an award, years, a date and numbers. Each sentence has three phrasings; every
question's answer is one fact, stated once in the article.
"""

from __future__ import annotations

from random import Random

from meow.benchmark import pools

Facts = dict[str, str]

PROJECTS = ("library", "bridge", "music school", "ferry line", "community garden", "museum", "sports hall",
            "clinic", "bakery school", "observatory", "harbour wall", "bus station", "theatre", "market hall",
            "bicycle path", "water tower", "youth centre", "botanical garden", "railway station", "concert hall")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

SENTENCES: tuple[tuple[str, ...], ...] = (
    ("{town}, {day} {month} {year}. {name}, a {job} from {city}, won the {award} on {weekday}.",
     "{town}, {day} {month} {year}. The {award} went to {name}, a {job} who grew up in {city}, on {weekday}.",
     "{town}, {day} {month} {year}. On {weekday} {name}, a {job} born in {city}, received the {award}."),
    ("The prize is worth {amount} crowns and was handed over in front of {guests} guests.",
     "In front of {guests} guests, {name} accepted the prize of {amount} crowns.",
     "The award brings {amount} crowns, and {guests} guests watched the ceremony."),
    ("{name} first came to {town} in {arrival} and opened a small workshop near the old harbour.",
     "Since arriving in {town} in {arrival}, {name} has run a small workshop near the old harbour.",
     "It was in {arrival} that {name} moved to {town} and opened a workshop by the harbour."),
    ("The money will pay for a new {project} in the east of the town.",
     "According to the organisers, the money goes to a new {project} for the town.",
     "{name} plans to spend the money on a new {project} for the people of {town}."),
    ("Officials expect the {project} to open in {opening}, with room for {seats} visitors.",
     "The {project} should be ready in {opening} and will hold {seats} visitors.",
     "Work on the {project} ends in {opening}; it is planned for {seats} visitors."),
)

QUESTIONS: tuple[tuple[str, str], ...] = (  # (question, fact key): most important first
    ("Which award did {name} win in {year}?", "award"),
    ("What is the profession of {name}?", "job"),
    ("In which city did {name} grow up?", "city"),
    ("How many guests watched {name} receive the {award}?", "guests"),
    ("In which year did {name} first come to {town}?", "arrival"),
    ("What will the prize money of {name} pay for?", "project"),
    ("How many crowns is the {award} of {name} worth?", "amount"),
    ("When is the new {project} in {town} expected to open?", "opening"),
)


def draw_facts(rng: Random, taken: set[str]) -> Facts:
    """One article's facts; names, towns and awards never repeat across the benchmark (`taken`)."""

    def fresh(make) -> str:
        for _ in range(1000):
            value = make(rng)
            if value not in taken:
                taken.add(value)
                return value
        raise RuntimeError("muse benchmark generator: value pool exhausted")  # a bug, not a user error

    day, month = pools.birth_date(rng)
    year = rng.randint(1995, 2023)
    facts = {
        "name": fresh(pools.person), "town": fresh(pools.town), "award": fresh(pools.award),
        "job": pools.job(rng), "city": pools.city(rng), "day": str(day), "month": month, "year": str(year),
        "weekday": rng.choice(WEEKDAYS), "amount": str(rng.randint(2, 90) * 1000),
        "guests": str(rng.randint(30, 900)), "arrival": str(year - rng.randint(3, 30)),
        "project": rng.choice(PROJECTS), "opening": f"{rng.choice(pools.MONTHS)} {year + rng.randint(1, 4)}",
        "seats": str(rng.randint(2, 60) * 10),
    }
    return facts


def article_sentences(rng: Random, facts: Facts) -> list[str]:
    return [rng.choice(options).format(**facts) for options in SENTENCES]


def article_questions(facts: Facts, n: int) -> list[dict[str, str]]:
    """The first n KnowMem questions about the article, each answered by one fact."""
    return [{"question": q.format(**facts), "answer": facts[key]} for q, key in QUESTIONS[:n]]
