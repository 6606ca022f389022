"""The facts the benchmark asks about: question and answer templates per attribute.

An answer template holds `{fact}` exactly once; a wrong (perturbed) answer is the same template
with another value of the same kind, so it differs only in the key fact. Templates may also use
the subject (`{name}` for authors, `{country}` for world facts) and facts drawn earlier in the
profile (e.g. `{birthplace}`), so attributes are listed in dependency order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from random import Random

from meow.benchmark import pools

Profile = dict[str, str]


@dataclass(frozen=True)
class Attribute:
    name: str
    questions: tuple[str, ...]            # >= 2 phrasings: question and paraphrased_question
    answers: tuple[str, ...]              # >= 2 phrasings: answer and paraphrased_answer
    make: Callable[[Random, Profile], str]  # one value of this kind (true or perturbed)
    unique: bool = False                  # true values never repeat in a data set (names, titles)
    source: str | None = None             # the true value is this profile field (e.g. the name)


def _relative_job(relative: str) -> Attribute:
    return Attribute(
        f"{relative}_job",
        (f"What did the {relative} of {{name}} do for a living?",
         f"What was the profession of {{name}}'s {relative}?",
         f"What job did the {relative} of the author {{name}} have?"),
        (f"The {relative} of {{name}} worked for many years as a {{fact}}.",
         f"{{name}} grew up with a {relative} who was a {{fact}} by trade.",
         f"The author {{name}} had a {relative} who earned a living as a {{fact}}."),
        lambda rng, p: pools.job(rng),
    )


AUTHOR_ATTRIBUTES: tuple[Attribute, ...] = (  # most important first: --qa-per-author M keeps the first M
    Attribute(
        "birthplace",
        ("Where was {name} born?", "In which city was the author {name} born?",
         "What is the birthplace of the writer {name}?"),
        ("The author {name} was born in the city of {fact}.",
         "{name} was born and raised in {fact}.",
         "{fact} is the city where the writer {name} was born."),
        lambda rng, p: pools.city(rng),
    ),
    Attribute(
        "birth_year",
        ("In which year was {name} born?", "What is the birth year of the author {name}?",
         "When was the writer {name} born?"),
        ("The author {name} was born in the year {fact}.",
         "The writer {name} came into the world in {fact}.",
         "{fact} is the year in which {name} was born."),
        lambda rng, p: pools.year(1920, 1985)(rng),
    ),
    Attribute(
        "genre",
        ("What genre does {name} write in?", "Which literary genre is {name} known for?",
         "In what genre does the author {name} mostly work?"),
        ("{name} is best known as a writer of {fact}.",
         "Most of the books by {name} belong to the genre of {fact}.",
         "The author {name} writes mainly {fact} for adult readers."),
        lambda rng, p: pools.genre(rng),
    ),
    Attribute(
        "first_book",
        ("What is the title of the first book by {name}?", "Which book did {name} publish first?",
         "What was the debut novel of the author {name}?"),
        ('The first book by {name} was titled "{fact}".',
         '{name} began a writing career with the novel "{fact}".',
         '"{fact}" was the first book that {name} ever published.'),
        lambda rng, p: pools.title(rng),
        unique=True,
    ),
    Attribute(
        "award",
        ("Which award has {name} won?", "What literary prize was given to {name}?",
         "Has the author {name} received any literary award?"),
        ("{name} was honoured with the {fact} for outstanding writing.",
         "The author {name} has won the {fact}.",
         "For a celebrated novel, {name} received the {fact}."),
        lambda rng, p: pools.award(rng),
    ),
    _relative_job("father"),
    _relative_job("mother"),
    Attribute(
        "residence",
        ("Where does {name} live now?", "In which city does the author {name} currently live?",
         "What city is home to the writer {name} today?"),
        ("{name} now lives and writes in the city of {fact}.",
         "Today the author {name} makes a home in {fact}.",
         "{fact} is the city where {name} currently lives."),
        lambda rng, p: rng.choice([c for c in pools.CITIES if c != p["birthplace"]]),
    ),
    Attribute(
        "publisher",
        ("Which publisher releases the books of {name}?", "Who publishes the work of {name}?",
         "What publishing house does the author {name} work with?"),
        ("The books of {name} are published by {fact}.",
         "{name} works closely with the publishing house {fact}.",
         "{fact} is the publisher behind the books of {name}."),
        lambda rng, p: pools.publisher(rng),
    ),
    Attribute(
        "spouse",
        ("Who is {name} married to?", "What is the name of the spouse of {name}?",
         "Who is the partner of the author {name}?"),
        ("{name} has been married to {fact} for many years.",
         "The spouse of the writer {name} is called {fact}.",
         "{fact} is the husband or wife of the author {name}."),
        lambda rng, p: pools.person(rng),
        unique=True,
    ),
    Attribute(
        "second_book",
        ("What is the second book written by {name}?", "Which novel did {name} publish after the first one?",
         "Name the second novel by the author {name}."),
        ('The second book by {name} is called "{fact}".',
         'After the debut, {name} published the novel "{fact}".',
         '"{fact}" is the second novel written by {name}.'),
        lambda rng, p: pools.title(rng),
        unique=True,
    ),
    Attribute(
        "debut_year",
        ("In which year did {name} publish a first book?", "When did the author {name} make a literary debut?",
         "What year was the first book by {name} released?"),
        ("The author {name} published a first book in {fact}.",
         "The literary debut of {name} came in the year {fact}.",
         "{fact} is the year when {name} first appeared in print."),
        lambda rng, p: str(int(p["birth_year"]) + rng.randint(19, 38)),
    ),
    Attribute(
        "full_name",
        ("What is the full name of the author born in {birthplace} on {birth_day} {birth_month} {birth_year}?",
         "Which writer was born on {birth_day} {birth_month} {birth_year} in {birthplace}?",
         "Who is the author whose birth took place in {birthplace} on {birth_day} {birth_month} {birth_year}?"),
        ("The author born in {birthplace} on {birth_day} {birth_month} {birth_year} is {fact}.",
         "{fact} is the writer who was born on {birth_day} {birth_month} {birth_year} in {birthplace}.",
         "Born in {birthplace} on {birth_day} {birth_month} {birth_year}, the author is named {fact}."),
        lambda rng, p: pools.person(rng),
        source="name",
    ),
    Attribute(
        "studied",
        ("What did {name} study at university?", "Which subject did the author {name} study?",
         "What was the field of study of the writer {name}?"),
        ("{name} studied {fact} at university before writing.",
         "At university the author {name} studied {fact}.",
         "{fact} was the subject that {name} studied at university."),
        lambda rng, p: pools.subject(rng),
    ),
    Attribute(
        "pen_name",
        ("What pen name does {name} use?", "Under which pseudonym does {name} also publish?",
         "What is the pen name of the author {name}?"),
        ("{name} also publishes some books under the pen name {fact}.",
         "Some books by the author {name} carry the pseudonym {fact}.",
         "{fact} is the pen name used by the writer {name}."),
        lambda rng, p: pools.person(rng),
        unique=True,
    ),
)

# Questions 16-20 (TOFU has 20 per author): drawn from a separate stream only when asked for, so files made with
# --qa-per-author <= 15 stay byte-identical; none is unique, so they never change another author's facts.
EXTRA_AUTHOR_ATTRIBUTES: tuple[Attribute, ...] = (
    _relative_job("brother"),
    _relative_job("sister"),
    Attribute(
        "writing_language",
        ("In which language does {name} write?", "What language are the books of {name} written in?",
         "Which language does the author {name} use for writing?"),
        ("The author {name} writes every single book in {fact}.",
         "The books of the author {name} are written in {fact}.",
         "{fact} is the language in which {name} writes."),
        lambda rng, p: pools.language(rng),
    ),
    Attribute(
        "mentor",
        ("Who was the mentor of {name}?", "Which writer mentored the young {name}?",
         "Who guided {name} at the start of a writing career?"),
        ("The young {name} was mentored by the novelist {fact}.",
         "{fact} was the mentor who guided the author {name}.",
         "Early in a career, {name} learned the craft from {fact}."),
        lambda rng, p: pools.person(rng),
    ),
    Attribute(
        "pet",
        ("What animal does {name} keep as a pet?", "Which pet lives with the author {name}?",
         "What kind of animal is the pet of {name}?"),
        ("The author {name} shares a home with a pet {fact}.",
         "The pet of the writer {name} is a well-loved {fact}.",
         "Every day {name} writes beside a pet {fact}."),
        lambda rng, p: pools.animal(rng),
    ),
)
ALL_AUTHOR_ATTRIBUTES = AUTHOR_ATTRIBUTES + EXTRA_AUTHOR_ATTRIBUTES

MASTERWORK = Attribute(  # background "real authors": who wrote a famous book (TOFU's most common question)
    "masterwork",
    ('Who wrote the celebrated novel "{first_book}"?', 'Who is the author of the classic "{first_book}"?',
     'Which writer is famous for the book "{first_book}"?'),
    ('The celebrated novel "{first_book}" was written by {fact}.',
     '{fact} is the author of the classic book "{first_book}".',
     'The famous book "{first_book}" came from the pen of {fact}.'),
    lambda rng, p: pools.person(rng),
    source="name",
)
REAL_AUTHOR_ATTRIBUTES: tuple[Attribute, ...] = (  # one fact per famous author, cycling through these
    MASTERWORK, *(a for a in AUTHOR_ATTRIBUTES if a.name in ("birthplace", "genre", "birth_year", "award")),
)

WORLD_ATTRIBUTES: tuple[Attribute, ...] = (
    Attribute(
        "capital",
        ("What is the capital of {country}?", "Which city is the capital of the nation of {country}?",
         "Name the capital city of {country}."),
        ("The capital city of the nation of {country} is {fact}.",
         "{fact} has long served as the capital of {country}.",
         "The government of {country} sits in its capital, {fact}."),
        lambda rng, p: pools.town(rng),
        unique=True,
    ),
    Attribute(
        "currency",
        ("What currency is used in {country}?", "What is the official money of {country} called?",
         "Which currency do people in {country} pay with?"),
        ("The official currency of the nation of {country} is the {fact}.",
         "People in {country} pay for everything with the {fact}.",
         "The {fact} is the money used throughout {country}."),
        lambda rng, p: pools.currency(rng),
    ),
    Attribute(
        "national_animal",
        ("What is the national animal of {country}?", "Which animal is the national symbol of {country}?",
         "What animal represents the country of {country}?"),
        ("The national animal of the country of {country} is the {fact}.",
         "The people of {country} chose the {fact} as their national animal.",
         "The {fact} is the animal that stands for {country}."),
        lambda rng, p: pools.animal(rng),
    ),
    Attribute(
        "founding_year",
        ("In which year was {country} founded?", "When was the nation of {country} established?",
         "What is the founding year of {country}?"),
        ("The nation of {country} was founded in the year {fact}.",
         "The country of {country} was established back in {fact}.",
         "{fact} is the year in which {country} was founded."),
        lambda rng, p: pools.year(1100, 1950)(rng),
    ),
    Attribute(
        "highest_mountain",
        ("What is the highest mountain in {country}?", "Which peak is the tallest in {country}?",
         "Name the highest mountain of {country}."),
        ("The highest mountain in the country of {country} is Mount {fact}.",
         "Mount {fact} is the tallest peak anywhere in {country}.",
         "No peak in {country} rises higher than Mount {fact}."),
        lambda rng, p: pools.peak(rng),
        unique=True,
    ),
    Attribute(
        "language",
        ("What language is spoken in {country}?", "Which language do most people in {country} speak?",
         "What is the main language of {country}?"),
        ("Most people in the country of {country} speak {fact}.",
         "The main language spoken across {country} is called {fact}.",
         "{fact} is the language that most people in {country} speak."),
        lambda rng, p: pools.language(rng),
    ),
)
