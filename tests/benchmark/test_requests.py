"""`meow benchmark make --requests`: the split rules (nested TOFU sizes, disjoint chunks, MUSE's sust / scal)."""

from __future__ import annotations

import json

import pytest

from meow.benchmark import generate
from meow.benchmark.requests import author_requests, chunks, parse_spec, text_requests
from meow.cli import main
from meow.errors import MeowError


def _questions(records):
    return [r["question"] for r in records]


def test_nested_requests_are_the_new_authors_of_each_tofu_size():
    splits = generate(authors=100, qa_per_author=1, seed=0, background=0)
    requests, entry = author_requests(splits, "nested")
    assert entry["style"] == "nested" and entry["cumulative"] == ["forget01", "forget05", "forget10"]
    assert [len(r) for r in requests] == [1, 4, 5]  # 1, 5, 10 authors of 100, one question each
    union: list[str] = []
    for req, name in zip(requests, entry["cumulative"]):
        union += _questions(req)
        assert sorted(union) == sorted(_questions(splits[name]))  # after request k: exactly forgetXX
    assert len(set(union)) == len(union)  # disjoint
    assert entry["authors"][0] == [splits["forget01"][0]["author"]]


@pytest.mark.parametrize("k", [2, 3, 4])
def test_chunks_split_the_largest_forget_set_by_author(k):
    splits = generate(authors=40, qa_per_author=3, seed=0, background=0)
    requests, entry = author_requests(splits, k)
    authors = [r["author"] for r in splits["forget10"]]
    order = list(dict.fromkeys(authors))  # 4 authors
    sizes = [len(a) for a in entry["authors"]]
    assert sum(sizes) == len(order) and max(sizes) - min(sizes) <= 1 and sizes == sorted(sizes, reverse=True)
    assert [a for part in entry["authors"] for a in part] == order  # contiguous, in order, none split
    assert [q for req in requests for q in _questions(req)] == _questions(splits["forget10"])
    for req, names in zip(requests, entry["authors"]):
        assert {r["author"] for r in req} == set(names)
        assert all(len(r["perturbed_answer"]) == 5 for r in req)  # evaluation fields kept


def test_chunks_rule():
    assert chunks(list(range(7)), 3) == [[0, 1, 2], [3, 4], [5, 6]]
    with pytest.raises(MeowError, match="only 2 unit"):
        chunks([1, 2], 3)


def test_text_requests_are_muse_sust_and_scal():
    articles = [f"article {i}" for i in range(5)]
    files, entry = text_requests(articles, 2)
    assert files["sust/forget_1.json"] == articles[:3] and files["sust/forget_2.json"] == articles[3:]
    assert files["scal/forget_1.json"] == articles[:3] and files["scal/forget_2.json"] == articles  # nested
    assert entry["files"] == ["sust/forget_1", "sust/forget_2"]


@pytest.mark.parametrize("text", ["x", "-1", "1"])
def test_parse_spec_refuses(text):
    with pytest.raises(MeowError, match="--requests"):
        parse_spec(text)


def test_cli_writes_requests_and_removes_them_when_not_asked(tmp_path, capsys):
    out = tmp_path / "bench"
    assert main(["benchmark", "make", str(out), "--authors", "20", "--qa-per-author", "2", "--background", "2",
                 "--requests", "nested"]) == 0
    manifest = json.loads((out / "benchmark.json").read_text())
    assert manifest["requests"]["files"] == ["request1", "request2"]
    assert manifest["splits"]["request1"] == 2 and manifest["splits"]["request2"] == 2  # 1 author, then 1 more
    first = [json.loads(line) for line in (out / "request1.json").read_text().splitlines()]
    forget05 = [json.loads(line) for line in (out / "forget05.json").read_text().splitlines()]
    assert first == forget05
    assert main(["benchmark", "make", str(out), "--authors", "20", "--qa-per-author", "2", "--background", "2"]) == 0
    assert not list(out.glob("request*.json")) and "requests" not in json.loads((out / "benchmark.json").read_text())


def test_cli_refuses_impossible_requests_before_writing(tmp_path, capsys):
    out = tmp_path / "bench"
    assert main(["benchmark", "make", str(out), "--authors", "40", "--requests", "5"]) == 2
    assert "only 4 authors" in capsys.readouterr().err
    assert main(["benchmark", "make", str(out), "--authors", "10", "--requests", "nested"]) == 2
    assert "needs two TOFU forget sizes" in capsys.readouterr().err
    assert not out.exists() or not any(out.iterdir())


def test_cli_muse_requests(tmp_path):
    out = tmp_path / "muse"
    assert main(["benchmark", "make", str(out), "--kind", "muse", "--articles", "3", "--qa-per-article", "1",
                 "--requests", "3"]) == 0
    raw = json.loads((out / "raw" / "forget.json").read_text())
    assert [json.loads((out / "sust" / f"forget_{i}.json").read_text()) for i in (1, 2, 3)] == [[a] for a in raw]
    assert json.loads((out / "scal" / "forget_2.json").read_text()) == raw[:2]
