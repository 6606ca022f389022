"""Generate the fictitious-authors benchmark: TOFU's splits and fields, plus each answer's key fact.

Determinism: every author, famous author and country draws from its own `random.Random` stream,
seeded from a string (Python seeds strings through SHA-512, never `hash()`), so the same arguments
give byte-identical files in any process, and the first N authors do not depend on anything drawn
after them. Facts are drawn for every one of the first 15 attributes whatever `qa_per_author` is; it only
picks how many records each author gets. Questions 16-20 (EXTRA_AUTHOR_ATTRIBUTES, for TOFU's 20 per author)
come from a second stream per author, drawn only when asked for, so smaller files are unchanged by them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from random import Random
from typing import Any

from meow.benchmark import pools
from meow.benchmark.attributes import (
    ALL_AUTHOR_ATTRIBUTES,
    AUTHOR_ATTRIBUTES,
    EXTRA_AUTHOR_ATTRIBUTES,
    REAL_AUTHOR_ATTRIBUTES,
    WORLD_ATTRIBUTES,
    Attribute,
    Profile,
)
from meow.errors import MeowError
from meow.io import read_json, write_json, write_jsonl

VERSION = 1
FORMAT = "meow-benchmark"
PERCENTS = (1, 5, 10)
N_PERTURBED = 5            # forget / retain, as in TOFU
N_PERTURBED_BACKGROUND = 3  # real_authors_perturbed / world_facts_perturbed, as in TOFU
MANIFEST = "benchmark.json"
_MAX_TRIES = 1000


def _rng(seed: int, stream: str, index: int) -> Random:
    return Random(f"meow.benchmark/{seed}/{stream}/{index}")


def _checks(attr: Attribute, profile: Profile, value: str) -> bool:
    """The fact occurs exactly once in every answer phrasing and never in a question."""
    fields = {**profile, "fact": value}
    return (all(t.format(**fields).count(value) == 1 for t in attr.answers)
            and not any(value in q.format(**fields) for q in attr.questions))


def _draw(rng: Random, make: Callable[[Random], str], ok: Callable[[str], bool], what: str) -> str:
    for _ in range(_MAX_TRIES):
        value = make(rng)
        if ok(value):
            return value
    raise RuntimeError(f"benchmark generator: no valid {what} after {_MAX_TRIES} draws")  # a bug, not a user error


def _true_value(rng: Random, attr: Attribute, profile: Profile, taken: set[str]) -> str:
    value = _draw(rng, lambda r: attr.make(r, profile),
                  lambda v: _checks(attr, profile, v) and not (attr.unique and v in taken), attr.name)
    if attr.unique:  # at once: also distinct from this profile's later values (first vs second book)
        taken.add(value)
    return value


def _profile(rng: Random, subject: str, make_subject: Callable[[Random], str],
             attributes: tuple[Attribute, ...], taken: set[str]) -> Profile:
    """Draw the subject and one true value per attribute; unique values are added to `taken`."""
    for _ in range(_MAX_TRIES):
        profile = {subject: _draw(rng, make_subject, lambda v: v not in taken, subject)}
        if subject == "name":
            day, month = pools.birth_date(rng)
            profile |= {"birth_day": str(day), "birth_month": month}
        for attr in attributes:
            if attr.source:
                profile[attr.name] = profile[attr.source]
                continue
            profile[attr.name] = _true_value(rng, attr, profile, taken)
        if all(_checks(a, profile, profile[a.name]) for a in attributes if a.source):
            taken.add(profile[subject])
            return profile
    raise RuntimeError(f"benchmark generator: no valid {subject} profile")


def _record(rng: Random, attr: Attribute, profile: Profile, author: str, n_perturbed: int) -> dict[str, Any]:
    """One QA pair in TOFU's fields plus `fact`, `author`, `attribute` and `paraphrased_question`.

    `perturbed_answer` = the answer's own template with `n_perturbed` other values of the same kind.
    """
    q, pq = rng.sample(attr.questions, 2)
    a, pa = rng.sample(attr.answers, 2)
    fact = profile[attr.name]

    def render(template: str, value: str) -> str:
        return template.format(**profile, fact=value)

    wrong: list[str] = []
    for _ in range(n_perturbed):
        wrong.append(_draw(rng, lambda r: attr.make(r, profile),
                           lambda v: v != fact and v not in wrong and fact not in render(a, v),
                           f"perturbed {attr.name}"))
    return {
        "question": render(q, fact),
        "answer": render(a, fact),
        "fact": fact,
        "author": author,
        "attribute": attr.name,
        "paraphrased_question": render(pq, fact),
        "paraphrased_answer": render(pa, fact),
        "perturbed_answer": [render(a, v) for v in wrong],
    }


def _author_records(seed: int, count: int, qa_per_author: int, taken: set[str], prefix: str = "") -> list[list[dict]]:
    """Records of authors 0..count-1, one list per author (all attributes drawn, first M kept)."""
    out = []
    for i in range(count):
        rng = _rng(seed, prefix + "author", i)
        profile = _profile(rng, "name", pools.person, AUTHOR_ATTRIBUTES, taken)
        records = [_record(rng, a, profile, profile["name"], N_PERTURBED) for a in AUTHOR_ATTRIBUTES]
        if qa_per_author > len(AUTHOR_ATTRIBUTES):
            extra = _rng(seed, "author-extra", i)
            for a in EXTRA_AUTHOR_ATTRIBUTES:
                profile[a.name] = _true_value(extra, a, profile, taken)
            records += [_record(extra, a, profile, profile["name"], N_PERTURBED) for a in EXTRA_AUTHOR_ATTRIBUTES]
        out.append(records[:qa_per_author])
    return out


def _real_authors(seed: int, count: int, taken: set[str], prefix: str = "") -> list[dict]:
    """One fact per invented "famous" author, cycling through masterwork, birthplace, genre, ..."""
    out = []
    for k in range(count):
        rng = _rng(seed, prefix + "real_author", k)
        profile = _profile(rng, "name", pools.person, (*AUTHOR_ATTRIBUTES, REAL_AUTHOR_ATTRIBUTES[0]), taken)
        attr = REAL_AUTHOR_ATTRIBUTES[k % len(REAL_AUTHOR_ATTRIBUTES)]
        out.append(_record(rng, attr, profile, "real_authors", N_PERTURBED_BACKGROUND))
    return out


def _world_facts(seed: int, count: int, taken: set[str], prefix: str = "") -> list[dict]:
    """Facts about invented countries: every attribute of country 0, then of country 1, ..."""
    out = []
    for c in range(math.ceil(count / len(WORLD_ATTRIBUTES))):
        rng = _rng(seed, prefix + "country", c)
        profile = _profile(rng, "country", pools.country, WORLD_ATTRIBUTES, taken)
        out += [_record(rng, a, profile, "world_facts", N_PERTURBED_BACKGROUND) for a in WORLD_ATTRIBUTES]
    return out[:count]


def forget_sizes(authors: int) -> dict[int, int]:
    """{percent: authors} for each TOFU percentage that is a whole, non-zero number of authors."""
    return {p: authors * p // 100 for p in PERCENTS if authors * p % 100 == 0 and authors * p >= 100}


def _check_arguments(authors: int, qa_per_author: int, seed: int, background: int) -> None:
    for name, value in (("authors", authors), ("qa-per-author", qa_per_author), ("seed", seed),
                        ("background", background)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise MeowError(f"--{name}: expected a whole number >= 0, got {value!r}")
    if not forget_sizes(authors):
        raise MeowError(f"--authors {authors}: no forget split (1%, 5%, 10% of the authors) is a whole number "
                        "of authors; use a multiple of 10 (forget10), 20 (also forget05) or 100 (also forget01)")
    if not 1 <= qa_per_author <= len(ALL_AUTHOR_ATTRIBUTES):
        raise MeowError(f"--qa-per-author {qa_per_author}: expected 1 to {len(ALL_AUTHOR_ATTRIBUTES)} "
                        "(one question per attribute)")


def generate(authors: int = 40, qa_per_author: int = 10, seed: int = 0, background: int = 20) -> dict[str, list[dict]]:
    """All splits in memory, in file order: full, forgetXX, retainYY, forgetXX_perturbed, retain_perturbed,
    holdoutXX, real_authors_perturbed, world_facts_perturbed.

    forgetXX = the last XX% of authors; retainYY = full minus forgetXX; holdoutXX = as many extra authors,
    never in full; retain_perturbed = the first K authors, K = the largest forget split's author count.
    `full` ends with the background records, so every model trained on it (or on a retain split) knows them.
    """
    _check_arguments(authors, qa_per_author, seed, background)
    sizes = forget_sizes(authors)
    n_holdout = max(sizes.values())
    taken: set[str] = set()
    by_author = _author_records(seed, authors + n_holdout, qa_per_author, taken)
    main, extra = by_author[:authors], by_author[authors:]
    real, world = _real_authors(seed, background, taken), _world_facts(seed, background, taken)

    def flat(groups: list[list[dict]]) -> list[dict]:
        return [dict(r, perturbed_answer=list(r["perturbed_answer"])) for g in groups for r in g]

    bg = [*real, *world]
    splits = {"full": flat([*main, bg])}
    for p, k in sizes.items():
        splits[f"forget{p:02d}"] = flat(main[authors - k:])
    for p, k in sizes.items():
        splits[f"retain{100 - p:02d}"] = flat([*main[:authors - k], bg])
    for p, k in sizes.items():
        splits[f"forget{p:02d}_perturbed"] = flat(main[authors - k:])
    splits["retain_perturbed"] = flat(main[:n_holdout])
    for p, k in sizes.items():
        splits[f"holdout{p:02d}"] = flat(extra[:k])
    if background:
        splits["real_authors_perturbed"] = flat([real])
        splits["world_facts_perturbed"] = flat([world])
    return splits


def pretrain_corpus(authors: int = 200, background: int = 200, seed: int = 0, bench_authors: int = 40,
                    bench_background: int = 20) -> list[dict]:
    """A pre-training corpus from the same generator: `authors` other fictitious authors (every attribute) and
    `background` x 2 other famous-author and world facts, drawn from their own random streams ("pretrain/...") with
    every name and unique value of the benchmark (`generate(bench_authors, ..., bench_background)`) excluded, so no
    benchmark fact is in it. Same arguments => the same records."""
    taken: set[str] = set()
    n_holdout = max(forget_sizes(bench_authors).values()) if forget_sizes(bench_authors) else 0
    _author_records(seed, bench_authors + n_holdout, len(AUTHOR_ATTRIBUTES), taken)  # fills `taken` only
    _real_authors(seed, bench_background, taken)
    _world_facts(seed, bench_background, taken)
    people = _author_records(seed, authors, len(AUTHOR_ATTRIBUTES), taken, prefix="pretrain/")
    real = _real_authors(seed, background, taken, prefix="pretrain/")
    world = _world_facts(seed, background, taken, prefix="pretrain/")
    return [r for group in people for r in group] + real + world


def _arguments(authors: int, qa_per_author: int, seed: int, background: int) -> dict[str, int]:
    return {"authors": authors, "qa_per_author": qa_per_author, "seed": seed, "background": background}


def _old_manifest(path: Path, arguments: dict, force: bool) -> dict | None:
    """The manifest already in the folder, if any; refuses a different benchmark unless `force`."""
    if not path.is_file():
        return None
    try:
        old = read_json(path)
    except (ValueError, OSError):
        old = None
    if not isinstance(old, dict) or old.get("format") != FORMAT:
        if force:
            return None
        raise MeowError(f"{path}: exists and is not a meow benchmark manifest; choose another folder or pass --force")
    made = {**(old.get("arguments") or {}), "version": old.get("version")}
    asked = {**arguments, "version": VERSION}
    if made != asked and not force:
        diff = sorted(k for k in set(made) | set(asked) if made.get(k) != asked.get(k))
        there = ", ".join(f"{k}={made.get(k)}" for k in diff)
        now = ", ".join(f"{k}={asked.get(k)}" for k in diff)
        raise MeowError(f"{path.parent}: holds a benchmark made with other arguments ({there}; asked: {now}); "
                        "choose another folder or pass --force to replace it")
    return old


def make_benchmark(out_dir: str | Path, authors: int = 40, qa_per_author: int = 10, seed: int = 0,
                   background: int = 20, force: bool = False) -> dict:
    """Write every split as `OUT_DIR/<split>.json` (JSON Lines) and `OUT_DIR/benchmark.json`; return the latter.

    Same arguments => byte-identical files. A folder holding a benchmark made with other arguments is
    refused unless `force`; then the old manifest's splits that the new one lacks are removed.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise MeowError(f"{out}: exists and is not a folder")
    arguments = _arguments(authors, qa_per_author, seed, background)
    old = _old_manifest(out / MANIFEST, arguments, force)
    splits = generate(authors, qa_per_author, seed, background)
    for name, rows in splits.items():
        write_jsonl(out / f"{name}.json", rows)
    stale = set((old or {}).get("splits") or {}) - set(splits)
    for name in sorted(n for n in stale if re.fullmatch(r"[a-z0-9_]+", str(n))):  # only our own split names
        (out / f"{name}.json").unlink(missing_ok=True)
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "arguments": arguments,
        "holdout_authors": max(forget_sizes(authors).values()),
        "attributes": [a.name for a in ALL_AUTHOR_ATTRIBUTES[:qa_per_author]],
        "background": {"real_authors": [a.name for a in REAL_AUTHOR_ATTRIBUTES],
                       "world_facts": [a.name for a in WORLD_ATTRIBUTES]},
        "splits": {name: len(rows) for name, rows in splits.items()},
    }
    write_json(out / MANIFEST, manifest)
    return manifest
