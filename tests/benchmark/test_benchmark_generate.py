"""The built-in benchmark: determinism, split arithmetic, key facts, perturbations, diversity."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from meow.benchmark import generate, make_benchmark, pools
from meow.benchmark.attributes import ALL_AUTHOR_ATTRIBUTES, AUTHOR_ATTRIBUTES
from meow.data import load_records
from meow.errors import MeowError

KEYS = ["question", "answer", "fact", "author", "attribute", "paraphrased_question", "paraphrased_answer",
        "perturbed_answer"]
BACKGROUND = ("real_authors", "world_facts")
NAME = re.compile(r"^[A-Z][a-z]+ [A-Z][a-z]+$")
YEAR = re.compile(r"^\d{4}$")
WORD = re.compile(r"^[A-Z][a-z]+$")
SAME_KIND = {  # what a value of each attribute looks like, written independently of the generator
    "birthplace": lambda v: v in pools.CITIES,
    "residence": lambda v: v in pools.CITIES,
    "birth_year": YEAR.match, "debut_year": YEAR.match, "founding_year": YEAR.match,
    "genre": lambda v: v.split(" ", 1)[0] in pools.GENRE_KINDS and v.split(" ", 1)[1] in pools.GENRE_FORMS,
    "first_book": lambda v: v[0].isupper() and 2 <= len(v.split()) <= 6,
    "second_book": lambda v: v[0].isupper() and 2 <= len(v.split()) <= 6,
    "award": lambda v: re.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+ (Prize|Award|Medal)", v),
    "publisher": lambda v: re.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+ (Press|Books|House|Editions|Publishing)", v),
    "father_job": lambda v: v in pools.JOBS, "mother_job": lambda v: v in pools.JOBS,
    "studied": lambda v: v in pools.SUBJECTS,
    "spouse": NAME.match, "full_name": NAME.match, "pen_name": NAME.match, "masterwork": NAME.match,
    "capital": WORD.match, "highest_mountain": WORD.match, "language": WORD.match,
    "currency": lambda v: v.split()[0] in pools.CURRENCY_WORDS and v.split()[1] in pools.CURRENCY_UNITS,
    "national_animal": lambda v: v in pools.ANIMALS,
    "brother_job": lambda v: v in pools.JOBS, "sister_job": lambda v: v in pools.JOBS,
    "writing_language": WORD.match, "mentor": NAME.match, "pet": lambda v: v in pools.ANIMALS,
}


@pytest.fixture(scope="module")
def splits() -> dict[str, list[dict]]:
    return generate(authors=40, qa_per_author=len(ALL_AUTHOR_ATTRIBUTES), seed=0, background=20)


def all_records(splits: dict[str, list[dict]]) -> list[dict]:
    return [r for rows in splits.values() for r in rows]


def authors_in(rows: list[dict]) -> list[str]:
    """Author names in order of first appearance (background set names left out)."""
    return list(dict.fromkeys(r["author"] for r in rows if r["author"] not in BACKGROUND))


def read_dir(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.iterdir())}


def test_same_arguments_give_byte_identical_files_across_processes(tmp_path: Path):
    make_benchmark(tmp_path / "a", authors=20, qa_per_author=4, seed=3, background=5)
    code = ("import sys; from meow.benchmark import make_benchmark; "
            "make_benchmark(sys.argv[1], authors=20, qa_per_author=4, seed=3, background=5)")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}  # a different str hash() in the child: must not matter
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "b")], check=True, env=env)
    a, b = read_dir(tmp_path / "a"), read_dir(tmp_path / "b")
    assert list(a) == list(b) and a == b
    assert "benchmark.json" in a and "full.json" in a


def test_different_seed_gives_different_facts():
    a, b = generate(20, 4, 0, 5), generate(20, 4, 1, 5)
    assert len(a["full"]) == len(b["full"])
    assert sum(x["fact"] != y["fact"] for x, y in zip(a["full"], b["full"])) > 0.9 * len(a["full"])
    assert not set(authors_in(a["full"])) & set(authors_in(b["full"]))


def test_split_names_and_sizes_for_40_authors():
    s = generate()  # defaults: 40 authors, 10 QA each, 20 background records per set
    assert list(s) == ["full", "forget05", "forget10", "retain95", "retain90", "forget05_perturbed",
                       "forget10_perturbed", "retain_perturbed", "holdout05", "holdout10",
                       "real_authors_perturbed", "world_facts_perturbed"]
    sizes = {k: len(v) for k, v in s.items()}
    assert sizes == {"full": 400 + 40, "forget05": 20, "forget10": 40, "retain95": 380 + 40, "retain90": 360 + 40,
                     "forget05_perturbed": 20, "forget10_perturbed": 40, "retain_perturbed": 40,
                     "holdout05": 20, "holdout10": 40, "real_authors_perturbed": 20, "world_facts_perturbed": 20}


def test_forget01_only_for_multiples_of_100():
    s = generate(authors=100, qa_per_author=2, seed=0, background=3)
    assert {"forget01", "retain99", "forget01_perturbed", "holdout01"} <= set(s)
    assert len(authors_in(s["forget01"])) == 1 and len(authors_in(s["forget10"])) == 10
    assert len(authors_in(s["retain_perturbed"])) == 10
    assert len(authors_in(generate(authors=10, qa_per_author=1, background=0)["forget10"])) == 1


def test_split_arithmetic(splits):
    full = splits["full"]
    order = authors_in(full)
    assert len(order) == 40
    for pct, k in (("05", 2), ("10", 4)):
        forget, retain = splits[f"forget{pct}"], splits[f"retain{100 - int(pct)}"]
        assert authors_in(forget) == order[-k:]  # the LAST authors, as in TOFU
        assert forget == splits[f"forget{pct}_perturbed"]
        keys = [json.dumps(r, sort_keys=True) for r in full]
        forget_keys = {json.dumps(r, sort_keys=True) for r in forget}
        assert len(forget_keys) == len(forget)
        assert [json.dumps(r, sort_keys=True) for r in retain] == [x for x in keys if x not in forget_keys]
        assert len(forget) + len(retain) == len(full)
        holdout = authors_in(splits[f"holdout{pct}"])
        assert len(holdout) == k and not set(holdout) & set(order)
    assert authors_in(splits["holdout05"]) == authors_in(splits["holdout10"])[:2]
    assert authors_in(splits["retain_perturbed"]) == order[:4]
    for name in BACKGROUND:  # background facts are in every training set
        rows = splits[f"{name}_perturbed"]
        assert len(rows) == 20 and all(r["author"] == name for r in rows)
        for train in ("full", "retain95", "retain90"):
            assert all(r in splits[train] for r in rows)


def test_every_record_carries_its_key_fact(splits):
    for r in all_records(splits):
        assert list(r) == KEYS
        assert r["answer"].count(r["fact"]) == 1, r
        assert r["paraphrased_answer"].count(r["fact"]) == 1, r
        assert r["fact"] not in r["question"] and r["fact"] not in r["paraphrased_question"], r
        assert r["paraphrased_answer"] != r["answer"] and r["paraphrased_question"] != r["question"]
        assert SAME_KIND[r["attribute"]](r["fact"]), r


def test_perturbed_answers_change_only_the_key_fact(splits):
    for r in all_records(splits):
        n = 3 if r["author"] in BACKGROUND else 5
        assert len(r["perturbed_answer"]) == n and len(set(r["perturbed_answer"])) == n
        prefix, suffix = r["answer"].split(r["fact"])
        for p in r["perturbed_answer"]:
            assert p != r["answer"] and r["fact"] not in p
            assert p.startswith(prefix) and p.endswith(suffix), (r["answer"], p)
            value = p[len(prefix):len(p) - len(suffix)]
            assert value and value != r["fact"] and SAME_KIND[r["attribute"]](value), (r["attribute"], value)


def test_answers_are_short_grammatical_sentences_naming_the_subject(splits):
    for r in all_records(splits):
        for text in (r["answer"], r["paraphrased_answer"], *r["perturbed_answer"]):
            assert 8 <= len(text.split()) <= 20, text
            assert text.endswith(".") and text.count(". ") == 0, text
            assert not re.search(r"\ba [aeiouAEIOU]", text), text
        if r["author"] not in BACKGROUND:
            assert r["author"] in r["answer"] and r["author"] in r["paraphrased_answer"]
            assert (r["author"] in r["question"]) == (r["attribute"] != "full_name")


def test_facts_are_diverse_and_consistent(splits):
    facts: dict[str, dict[str, str]] = defaultdict(dict)  # author -> attribute -> fact
    for r in splits["full"]:
        if r["author"] not in BACKGROUND:
            facts[r["author"]][r["attribute"]] = r["fact"]
    assert len(facts) == 40 and all(len(f) == len(ALL_AUTHOR_ATTRIBUTES) for f in facts.values())
    for attr in ALL_AUTHOR_ATTRIBUTES:
        distinct = len({f[attr.name] for f in facts.values()})
        assert distinct == 40 if attr.unique or attr.source else distinct >= 24, (attr.name, distinct)
    for name, f in facts.items():
        assert f["full_name"] == name
        assert 19 <= int(f["debut_year"]) - int(f["birth_year"]) <= 38
        assert f["residence"] != f["birthplace"] and f["first_book"] != f["second_book"]
    people = [*facts, *(f[a] for f in facts.values() for a in ("spouse", "pen_name"))]
    assert len(set(people)) == len(people) == 120
    first_words = {p.split()[0] for p in people}
    assert len(first_words) >= 80  # names are combinatorial, not drawn from a short list


def test_fewer_questions_or_more_authors_keep_the_same_facts():
    small, big = generate(40, 3, 0, 4), generate(100, 15, 0, 4)
    by_author = defaultdict(list)
    for r in big["full"]:
        by_author[r["author"]].append(r)
    expected = [r for a in authors_in(small["full"]) for r in by_author[a][:3]]
    assert [r for r in small["full"] if r["author"] not in BACKGROUND] == expected
    assert [r["attribute"] for r in expected[:3]] == [a.name for a in AUTHOR_ATTRIBUTES[:3]]


def test_twenty_questions_per_author_keep_the_first_fifteen():
    """TOFU's size (20 per author): questions 16-20 are added after, and change nothing before them."""
    fifteen, twenty = generate(20, 15, 0, 2), generate(20, 20, 0, 2)
    assert len(ALL_AUTHOR_ATTRIBUTES) == 20
    for split in fifteen:
        extra = {a.name for a in ALL_AUTHOR_ATTRIBUTES[15:]}
        assert [r for r in twenty[split] if r["author"] in BACKGROUND or r["attribute"] not in extra] == fifteen[split]
    authors = authors_in(twenty["full"])
    assert len(twenty["forget10"]) == 2 * 20 and len(authors) == 20
    for a in authors:
        mine = [r for r in twenty["full"] if r["author"] == a]
        assert [r["attribute"] for r in mine] == [x.name for x in ALL_AUTHOR_ATTRIBUTES]
        for r in mine:
            assert r["fact"] in r["answer"] and len(r["perturbed_answer"]) == 5 and r["answer"] not in r["perturbed_answer"]


@pytest.mark.parametrize("kwargs, message", [
    ({"authors": 7}, "no forget split"),
    ({"authors": 0}, "no forget split"),
    ({"qa_per_author": 0}, "expected 1 to 20"),
    ({"qa_per_author": 21}, "expected 1 to 20"),
    ({"seed": -1}, "--seed"),
    ({"background": -2}, "--background"),
])
def test_bad_arguments_are_one_line_errors(kwargs, message):
    with pytest.raises(MeowError, match=message) as e:
        generate(**{"authors": 40, "qa_per_author": 10, "seed": 0, "background": 20, **kwargs})
    assert "\n" not in str(e.value)


def test_files_are_json_lines_that_load_through_load_records(tmp_path: Path):
    manifest = make_benchmark(tmp_path, authors=20, qa_per_author=3, seed=0, background=4)
    s = generate(20, 3, 0, 4)
    assert manifest["splits"] == {k: len(v) for k, v in s.items()}
    assert manifest["arguments"] == {"authors": 20, "qa_per_author": 3, "seed": 0, "background": 4}
    assert manifest["attributes"] == ["birthplace", "birth_year", "genre"]
    assert json.loads((tmp_path / "benchmark.json").read_text()) == manifest
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([f"{k}.json" for k in s] + ["benchmark.json"])
    for name, rows in s.items():
        lines = (tmp_path / f"{name}.json").read_text(encoding="utf-8").splitlines()
        assert [json.loads(line) for line in lines] == rows
        assert load_records(tmp_path, name) == rows


def test_refuses_a_folder_holding_another_benchmark_unless_forced(tmp_path: Path):
    make_benchmark(tmp_path, authors=100, qa_per_author=1, background=2)
    assert (tmp_path / "forget01.json").exists()
    before = read_dir(tmp_path)
    make_benchmark(tmp_path, authors=100, qa_per_author=1, background=2)  # same arguments: fine
    assert read_dir(tmp_path) == before
    with pytest.raises(MeowError, match=r"other arguments .*--force"):
        make_benchmark(tmp_path, authors=20, qa_per_author=1, background=2)
    assert read_dir(tmp_path) == before
    make_benchmark(tmp_path, authors=20, qa_per_author=1, background=2, force=True)
    assert not (tmp_path / "forget01.json").exists()  # stale splits of the old benchmark are removed
    assert read_dir(tmp_path) == read_dir(_fresh(tmp_path.parent / "fresh", authors=20, qa_per_author=1,
                                                 background=2))


def test_refuses_a_foreign_manifest_and_a_file_as_folder(tmp_path: Path):
    (tmp_path / "benchmark.json").write_text('{"something": "else"}')
    with pytest.raises(MeowError, match="not a meow benchmark manifest"):
        make_benchmark(tmp_path, authors=10, qa_per_author=1, background=1)
    assert (tmp_path / "benchmark.json").read_text() == '{"something": "else"}'
    (tmp_path / "file").write_text("x")
    with pytest.raises(MeowError, match="not a folder"):
        make_benchmark(tmp_path / "file", authors=10, qa_per_author=1, background=1)


def _fresh(path: Path, **kwargs) -> Path:
    make_benchmark(path, **kwargs)
    return path


def test_generator_rejects_values_that_break_the_key_fact_rules():
    """Values that contain the fact, or make it appear twice or in the question, are redrawn."""
    from random import Random

    from meow.benchmark.attributes import Attribute
    from meow.benchmark.generate import _profile, _record

    attr = Attribute("city", ("Where does {name} live?", "Which city is home to {name}?"),
                     ("{name} lives in {fact}.", "{fact} is home to {name}."),
                     lambda rng, p: rng.choice(("Rome", "Romeo", "Ana", "Vale", "lives", "Oslo", "Lima", "Kyiv")))
    seen = set()
    for seed in range(30):
        rng = Random(seed)
        profile = _profile(rng, "name", lambda r: "Ana Vale", (attr,), set())
        seen.add(profile["city"])
        rec = _record(rng, attr, profile | {"city": "Rome"}, "Ana Vale", 3)
        assert all("Rome" not in p for p in rec["perturbed_answer"])  # "Romeo" is never a wrong answer to "Rome"
    assert seen and not seen & {"Ana", "Vale", "lives"}  # would occur twice in an answer, or in the question
