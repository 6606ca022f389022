"""Top-k selection of inverted facts by MEMO: smallest / largest / random, ties stable by index."""

import pytest

from meow.errors import MeowError
from meow.unlearn.select import missing_memo, pick, select_inverted


def rec(scores, n=None):
    n = n if n is not None else len(scores)
    r = {"question": "q?", "answer": "a", "inverted_answers": [f"x{i}" for i in range(n)]}
    if scores is not None:
        r["memo"] = {"answer": 0.5, "inverted_answers": scores}
    return r


def test_smallest_and_largest_with_ties():
    scores = [0.5, 0.1, 0.5, 0.1, 0.3]
    assert pick(scores, 5, 3, "smallest") == [1, 3, 4]
    assert pick(scores, 5, 3, "largest") == [0, 2, 4]
    assert pick(scores, 5, 1, "largest") == [0]  # tie 0 vs 2: lower index first
    assert pick([0.2, 0.2, 0.2], 3, 2, "smallest") == [0, 1]
    assert pick([0.2, 0.2, 0.2], 3, 2, "largest") == [0, 1]


def test_k_larger_than_candidates_takes_all():
    assert pick([0.3, 0.1], 2, 3, "smallest") == [1, 0]


def test_random_is_seeded_per_record_and_ignores_scores():
    a = select_inverted([rec(None, 6), rec(None, 6)], 3, "random", seed=1)
    assert a == select_inverted([rec(None, 6), rec(None, 6)], 3, "random", seed=1)
    for idx in a:
        assert len(idx) == 3 and len(set(idx)) == 3 and all(0 <= i < 6 for i in idx)
    draws = {tuple(select_inverted([rec(None, 6)], 3, "random", seed=s)[0]) for s in range(20)}
    assert len(draws) > 5  # the seed matters
    per_record = {tuple(idx) for idx in select_inverted([rec(None, 6)] * 20, 3, "random", seed=1)}
    assert len(per_record) > 5  # and so does the record's position


def test_select_inverted_per_record():
    records = [rec([0.9, 0.2, 0.4, 0.1]), rec([0.0, 0.7, 0.7, 0.3])]
    assert select_inverted(records, 2, "smallest") == [[3, 1], [0, 3]]
    assert select_inverted(records, 2, "largest") == [[0, 2], [1, 2]]


def test_errors_point_to_the_right_command():
    with pytest.raises(MeowError, match=r"f.json: record 1: field 'inverted_answers'.*meow invert"):
        select_inverted([rec([0.1]), {"question": "q", "answer": "a"}], 1, "smallest", path="f.json")
    with pytest.raises(MeowError, match=r"f.json: record 0: field 'memo'.*meow memo"):
        select_inverted([rec(None, 3)], 1, "largest", path="f.json")
    with pytest.raises(MeowError, match=r"record 0: field 'memo'.*3 scores"):
        select_inverted([rec([0.1, 0.2], n=3)], 1, "smallest", path="f.json")
    with pytest.raises(MeowError, match="finite"):
        select_inverted([rec([0.1, float("nan")])], 1, "smallest")
    with pytest.raises(MeowError, match="top-k"):
        select_inverted([rec([0.1])], 0, "smallest")
    with pytest.raises(MeowError, match="unknown selection"):
        select_inverted([rec([0.1])], 1, "median")


def test_missing_memo_lists_records_without_scores():
    assert missing_memo([rec([0.1]), rec(None, 2), rec([0.3, 0.2])], "f") == [1]
