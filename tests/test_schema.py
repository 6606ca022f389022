"""meow.schema: the checker's one-line messages (file, key path, question / record, what was found), and the
hostile cases of issue 21 that it answers, each through the command that met it."""

from __future__ import annotations

import json
import math

import pytest
from test_robustness import one_parser  # noqa: F401  (fixture)

from meow.cli import main
from meow.errors import MeowError
from meow.schema import AnyOf, ByIndex, ListOf, Num, Obj, Str, check, read_text_file, same_indices

LOG = Obj({"avg_gt_loss": ByIndex(Num()), "average_perturb_loss": ByIndex(AnyOf((ListOf(Num()), Num())))},
          optional=frozenset({"average_perturb_loss"}))


@pytest.mark.parametrize("value, message", [
    ({"avg_gt_loss": [1.0]}, "f.json: avg_gt_loss: expected an object keyed by question index, got a list"),
    ({"avg_gt_loss": {"0": 1.0, "7": "x"}}, "f.json: avg_gt_loss: question 7: expected a finite number, got a string ('x')"),
    ({"avg_gt_loss": {"0": True}}, "f.json: avg_gt_loss: question 0: expected a finite number, got a boolean (true)"),
    ({"avg_gt_loss": {"0": math.nan}}, "f.json: avg_gt_loss: question 0: expected a finite number, got NaN"),
    ({"avg_gt_loss": {}}, "f.json: avg_gt_loss: expected an object keyed by question index, got an empty object"),
    ({}, "f.json: missing 'avg_gt_loss' (an object keyed by question index)"),
    ({"avg_gt_loss": {"0": 1}, "average_perturb_loss": {"0": [1.0, "2"]}},
     "f.json: average_perturb_loss: question 0: item 1: expected a finite number, got a string ('2')"),
    ([], "f.json: expected an object with avg_gt_loss, got an empty list"),
])
def test_messages_name_file_key_path_and_question(value, message):
    with pytest.raises(MeowError) as e:
        check(value, LOG, "f.json")
    assert str(e.value) == message


def test_fitting_values_pass_and_ints_are_numbers():
    v = {"avg_gt_loss": {"0": 1, "1": 2.5}, "average_perturb_loss": {"0": 3, "1": [1, 2]}}
    assert check(v, LOG, "f.json") is v
    assert check(["a", ""], ListOf(Str(nonempty=False)), "f") == ["a", ""]


def test_same_indices_names_the_container_and_question():
    same_indices({"a": {"0": 1, "1": 2}, "b": {"1": 0, "0": 0}}, "f.json")
    with pytest.raises(MeowError, match=r"^f.json: b: question 1 of a is missing"):
        same_indices({"a": {"0": 1, "1": 2}, "b": {"0": 0}}, "f.json")
    with pytest.raises(MeowError, match=r"^f.json: b: question 9 is not in a"):
        same_indices({"a": {"0": 1}, "b": {"0": 0, "9": 1}}, "f.json")


def test_read_text_file(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"ok \xff")
    with pytest.raises(MeowError, match=r"a.txt: not UTF-8 text \(byte 3\)"):
        read_text_file(tmp_path / "a.txt")
    with pytest.raises(MeowError, match="is a folder"):
        read_text_file(tmp_path)


def _tofu(tmp_path, **fields):
    d = tmp_path / "logs"
    d.mkdir(exist_ok=True)
    log = {"avg_gt_loss": {"0": 1.0, "1": 2.0}, "avg_paraphrased_loss": {"0": 1.5, "1": 2.5}, **fields}
    (d / "eval_log_forget.json").write_text(json.dumps(log))
    return d


@pytest.mark.parametrize("case, words", [
    ("para-list", "eval_log_forget.json: avg_paraphrased_loss: expected an object keyed by question index, got a list"),
    ("rouge-list", "eval_log_forget.json: rougeL_recall: expected an object keyed by question index, got a list"),
    ("loss-string", "avg_paraphrased_loss: question 1: expected a finite number, got a string"),
    ("loss-boolean", "avg_paraphrased_loss: question 1: expected a finite number, got a boolean"),
    ("aggregated-list", "eval_log_aggregated.json: expected a non-empty object"),
    ("aggregated-empty", "eval_log_aggregated.json: expected a non-empty object"),
    ("ou-no-value-by-index", "TOFU_EVAL.json: forget_Q_A_Prob: missing 'value_by_index'"),
    ("ou-value-by-index-list", "forget_Q_A_Prob: value_by_index: expected an object keyed by question index, got a list"),
    ("retain-eval-para-list", "avg_paraphrased_loss: expected an object keyed by question index, got a list"),
])
def test_issue_cases_are_one_line_errors(case, words, tmp_path, capsys):
    logs = tmp_path / "logs"
    if case == "para-list":
        _tofu(tmp_path, avg_paraphrased_loss=[1.5, 2.5])
    elif case == "rouge-list":
        _tofu(tmp_path, rougeL_recall=[0.5, 0.5])
    elif case == "loss-string":
        _tofu(tmp_path, avg_paraphrased_loss={"0": 1.5, "1": "2.5"})
    elif case == "loss-boolean":
        _tofu(tmp_path, avg_paraphrased_loss={"0": 1.5, "1": False})
    elif case.startswith("aggregated"):
        logs.mkdir()
        (logs / "eval_log_aggregated.json").write_text("[1, 2]" if case.endswith("list") else "{}")
    elif case.startswith("ou"):
        logs.mkdir()
        entry = {"agg_value": 0.5} if case.endswith("no-value-by-index") else {"agg_value": 0.5,
                                                                                 "value_by_index": [{"prob": 1}]}
        (logs / "TOFU_EVAL.json").write_text(json.dumps({"forget_Q_A_Prob": entry}))
    argv = ["summarize", str(logs)]
    if case.startswith("retain-eval"):
        good = tmp_path / "good"
        good.mkdir()
        (good / "eval_log_forget.json").write_text(json.dumps({"avg_gt_loss": {"0": 1.0}}))
        _tofu(tmp_path, avg_paraphrased_loss=[1.5, 2.5])
        argv = ["summarize", str(good), "--retain-eval", str(logs)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and words in err, err


@pytest.mark.parametrize("rows, words", [
    (["hello world", 5], "corpus.json: record 1: expected a non-empty string or an object with text, got a number (5)"),
    ([{"text": 123}], "corpus.json: record 0: text: expected a non-empty string, got a number (123)"),
    ([{"text": "a"}, {"question": "q?", "answer": "a"}], "corpus.json: record 1: missing 'text'"),
])
def test_text_corpus_blames_the_bad_record(rows, words, tmp_path):
    from meow.data import load_records

    (tmp_path / "corpus.json").write_text(json.dumps(rows))
    with pytest.raises(MeowError) as e:
        load_records(tmp_path / "corpus.json", text=True)
    assert words in str(e.value)
