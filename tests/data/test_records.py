import json

import pytest

from meow.cli import main
from meow.data import load_records
from meow.errors import MeowError


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_json_list_and_jsonl_give_same_records(tmp_path):
    rows = [{"question": "Q1?", "answer": "A1.", "extra": {"k": 1}},
            {"question": "Q2?", "answer": "A2.", "perturbed_answer": ["B2.", "C2."], "paraphrased_answer": "A two."}]
    a = load_records(write(tmp_path, "a.json", json.dumps(rows, indent=2)))
    b = load_records(write(tmp_path, "b.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n"))
    c = load_records(write(tmp_path, "c.json", "\n".join(json.dumps(r) for r in rows)))  # TOFU hub style
    assert a == b == c == rows  # unknown fields kept untouched


def test_folder_plus_split(tmp_path):
    write(tmp_path, "forget10.json", json.dumps({"question": "Q?", "answer": "A."}) + "\n")
    assert load_records(tmp_path, "forget10") == [{"question": "Q?", "answer": "A."}]
    with pytest.raises(MeowError, match=r"no split 'forget05'.*found: forget10"):
        load_records(tmp_path, "forget05")


def test_meow_reference_files_are_normalised(tmp_path):
    ref = [{"question": "Q?", "undesired_answer": "Born in Kuwait.", "answer_0": "Born in Cairo.",
            "answer_1": "Born in Riyadh.", "undesired_answer_rouge1": 0.5, "answer_0_rouge1": 0.25,
            "answer_1_rouge1": 0.125}]
    (rec,) = load_records(write(tmp_path, "memo.json", json.dumps(ref)))
    assert rec["answer"] == "Born in Kuwait."
    assert rec["inverted_answers"] == ["Born in Cairo.", "Born in Riyadh."]
    assert rec["memo"] == {"answer": 0.5, "inverted_answers": [0.25, 0.125], "metric": "memo"}
    assert not any(k.startswith("answer_") or k == "undesired_answer" for k in rec)


def test_reference_answer_order_is_numeric(tmp_path):
    ref = {"question": "Q?", "undesired_answer": "x"} | {f"answer_{i}": f"a{i}" for i in (10, 2, 0, 1)}
    (rec,) = load_records(write(tmp_path, "r.json", json.dumps([ref])))
    assert rec["inverted_answers"] == ["a0", "a1", "a2", "a10"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "file is empty"),
        ("[{\"question\": \"Q\", ", "not valid JSON"),
        ("\"just a string\"", "not JSON"),
        ("{\"question\": \"Q\", \"answer\": \"A\"}\n{oops}\n", "line 2: not valid JSON Lines"),
        ("[]", "holds no records"),
        ("[{\"question\": \"Q\"}]", "record 0: field 'answer': missing"),
        ("[{\"question\": \"Q\", \"answer\": \"A\"}, {\"question\": 3, \"answer\": \"A\"}]",
         "record 1: field 'question': expected a string"),
        ("[{\"question\": \"Q\", \"answer\": \"A\", \"perturbed_answer\": [1]}]",
         "record 0: field 'perturbed_answer': expected a list of strings"),
        ("[[1, 2]]", "record 0: expected an object"),
    ],
)
def test_malformed_input_is_one_clear_line(tmp_path, capsys, text, message):
    p = write(tmp_path, "bad.json", text)
    with pytest.raises(MeowError, match=message) as err:
        load_records(p)
    assert str(p) in str(err.value) and "\n" not in str(err.value)


def test_cli_maps_bad_data_to_exit_2(tmp_path, capsys):
    p = write(tmp_path, "bad.json", "[{\"question\": \"Q\"}]")
    code = main(["train", "--data", str(p), "--out", str(tmp_path / "m"), "--init", "tiny"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err == [f"meow train: error: {p}: record 0: field 'answer': missing"]
    assert not (tmp_path / "m").exists()


def test_missing_file(tmp_path):
    with pytest.raises(MeowError, match="file not found"):
        load_records(tmp_path / "nope.json")
