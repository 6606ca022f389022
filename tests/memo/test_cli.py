"""`meow memo` end to end: output records, summary, and one-line errors (exit 2)."""

from __future__ import annotations

import json

from meow.cli import main
from meow.data import load_records
from meow.io import write_jsonl


def run(argv: list[str], capsys) -> tuple[int, str]:
    rc = main(argv)
    return rc, capsys.readouterr().err


def test_memo_cli_writes_scores_and_summary(tmp_path, tiny_model_dir, memo_records, capsys):
    data = tmp_path / "forget_inverted.jsonl"
    write_jsonl(data, memo_records[:2])
    before = data.read_bytes()
    out = tmp_path / "scored.json"
    rc, err = run(["memo", "--model", str(tiny_model_dir), "--forget", str(data), "--out", str(out),
                   "--max-new-tokens", "30", "--stride", "7"], capsys)
    assert rc == 0, err
    assert data.read_bytes() == before
    assert isinstance(json.loads(out.read_text()), list)  # .json -> a JSON list
    scored = load_records(out)
    for rec, orig in zip(scored, memo_records[:2]):
        memo = rec.pop("memo")
        assert rec == orig  # every other field kept, unknown ones included
        assert {k: memo[k] for k in ("metric", "mode", "stride", "max_new_tokens")} == {
            "metric": "memo", "mode": "suffix", "stride": 7, "max_new_tokens": 30}
        assert len(memo["inverted_answers"]) == len(orig["inverted_answers"])
        assert all(0.0 <= s <= 1.0 for s in [memo["answer"], *memo["inverted_answers"]])
    summary = json.loads((tmp_path / "scored.summary.json").read_text())
    assert summary["options"] == {"metric": "memo", "mode": "suffix", "stride": 7, "max_new_tokens": 30,
                                  "batch_size": 64}
    means = [r["memo"]["answer"] for r in load_records(out)]
    assert summary["answer"] == {"count": 2, "mean": sum(means) / 2}
    assert summary["inverted_answers"]["count"] == 6
    assert "MEMO (suffix mode, stride 7) on 2 records" in err and "scored.summary.json" in err


def test_memo_cli_ma_prefix(tmp_path, tiny_model_dir, memo_records, capsys):
    data, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_jsonl(data, memo_records[:1])
    rc, err = run(["memo", "--model", str(tiny_model_dir), "--forget", str(data), "--out", str(out),
                   "--metric", "ma", "--mode", "prefix"], capsys)
    assert rc == 0, err
    (rec,) = load_records(out)  # .jsonl -> JSON Lines
    assert rec["memo"]["metric"] == "ma" and rec["memo"]["mode"] == "prefix"


def one_line_error(rc: int, err: str) -> str:
    assert rc == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("meow memo: error: "), err
    return lines[0]


def test_memo_cli_errors(tmp_path, tiny_model_dir, memo_records, capsys):
    no_inv = tmp_path / "plain.jsonl"
    write_jsonl(no_inv, [{"question": "Q?", "answer": "A."}])
    line = one_line_error(*run(["memo", "--model", str(tiny_model_dir), "--forget", str(no_inv),
                                "--out", str(tmp_path / "o.json")], capsys))
    assert "plain.jsonl: record 0: field 'inverted_answers'" in line and "meow invert" in line

    data = tmp_path / "inv.jsonl"
    write_jsonl(data, memo_records[:1])
    bad_model = tmp_path / "not_a_model"
    bad_model.mkdir()
    (bad_model / "config.json").write_text("{}")
    line = one_line_error(*run(["memo", "--model", str(bad_model), "--forget", str(data),
                                "--out", str(tmp_path / "o.json")], capsys))
    assert "not_a_model" in line and "could not load" in line

    before = data.read_bytes()
    line = one_line_error(*run(["memo", "--model", str(tiny_model_dir), "--forget", str(data), "--out", str(data)],
                               capsys))
    assert "would overwrite the input file" in line
    assert data.read_bytes() == before

    for flags, message in ((["--metric", "bleu"], "unknown memorisation metric"),
                           (["--mode", "middle"], "--mode: 'middle' is not one of"), (["--stride", "0"], "--stride must be at least 1")):
        line = one_line_error(*run(["memo", "--model", str(tiny_model_dir), "--forget", str(data),
                                    "--out", str(tmp_path / "o.json"), *flags], capsys))
        assert message in line
    assert not (tmp_path / "o.json").exists()
