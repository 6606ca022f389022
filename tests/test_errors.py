"""meow.errors.warn: odd but legal requests give one warning line, worded the same everywhere."""

from __future__ import annotations

import json

from meow.data import load_records
from meow.errors import warn
from meow.unlearn.select import select_inverted


def test_warn_is_one_prefixed_line(capsys):
    warn("first part\nsecond part")
    assert capsys.readouterr().err == "meow: warning: first part second part\n"


def test_top_k_above_the_candidates_warns_once_and_uses_them_all(capsys):
    recs = [{"question": "q", "answer": "a", "inverted_answers": ["x", "y"]},
            {"question": "r", "answer": "b", "inverted_answers": ["u", "v", "w", "z"]}]
    chosen = select_inverted(recs, 3, "random", path="f.json")
    assert sorted(chosen[0]) == [0, 1] and len(chosen[1]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == ("meow: warning: --top-k 3 is more than the inverted answers of 1 record(s) of f.json "
                       "(first: record 0, 2); all of theirs are used")
    select_inverted(recs, 2, "random", path="f.json")
    assert capsys.readouterr().err == ""


def test_an_empty_answer_warns_once_per_file(tmp_path, capsys):
    path = tmp_path / "r.json"
    path.write_text(json.dumps([{"question": "q", "answer": "a"}, {"question": "r", "answer": " "},
                                {"question": "s", "answer": ""}]))
    assert len(load_records(path)) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "2 record(s) have an empty answer (first: record 1)" in err[0]
