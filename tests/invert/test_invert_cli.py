"""`meow invert` end to end: files written, input untouched, options saved (never the key), user errors."""

from __future__ import annotations

import json

import yaml
from invert_tofu_style import RECORDS

from meow.cli import main


def write_input(tmp_path, suffix=".jsonl"):
    path = tmp_path / f"forget{suffix}"
    rows = [{"question": r["question"], "answer": r["answer"], "extra": i} for i, r in enumerate(RECORDS)]
    if suffix == ".jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    else:
        path.write_text(json.dumps(rows))
    return path


def test_rules_cli_writes_records_summary_and_config(tmp_path, capsys):
    data = write_input(tmp_path)
    before = data.read_bytes()
    out = tmp_path / "inv.jsonl"
    assert main(["invert", "--forget", str(data), "--out", str(out), "--backend", "rules", "--n", "3", "--seed", "7",
                 "--no-progress"]) == 0
    assert data.read_bytes() == before
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["extra"] for r in rows] == list(range(len(RECORDS)))
    assert all(len(r["inverted_answers"]) == 3 and r["invert"]["backend"] == "rules" for r in rows)
    summary = json.loads((tmp_path / "inv.summary.json").read_text())
    assert summary["full"] == len(RECORDS) and summary["n"] == 3
    config = yaml.safe_load((tmp_path / "inv.config.yaml").read_text())
    assert config["backend"] == "rules" and config["seed"] == 7 and config["n"] == 3
    printed = capsys.readouterr().out
    assert f"inverted {len(RECORDS)} records with rules (n=3): {len(RECORDS)} full (100%)" in printed


def test_config_file_and_user_errors(tmp_path, capsys):
    data = write_input(tmp_path, ".json")
    cfg = tmp_path / "inv.yaml"
    cfg.write_text("backend: rules\nn: 2\n")
    out = tmp_path / "inv.json"
    assert main(["invert", "--config", str(cfg), "--forget", str(data), "--out", str(out), "--no-progress"]) == 0
    assert all(len(r["inverted_answers"]) == 2 for r in json.loads(out.read_text()))
    capsys.readouterr()
    fresh = tmp_path / "fresh.json"  # `out` exists now: reusing it would be refused first
    for argv, message in [
        (["--forget", str(data), "--out", str(data), "--backend", "rules"], "would overwrite the input file"),
        (["--forget", str(data), "--out", str(fresh)], "--backend is required"),
        (["--forget", str(data), "--out", str(fresh), "--backend", "rules", "--concurrency", "2"], "does not take option"),
        (["--forget", str(tmp_path / "nope.json"), "--out", str(fresh), "--backend", "rules"], "file not found"),
        (["--forget", str(data), "--out", str(fresh), "--backend", "rules", "--n", "0"], "--n must be at least 1"),
    ]:
        assert main(["invert", *argv]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("meow invert: error:") and message in err and "\n" not in err


def test_openai_cli_keeps_the_key_out_of_every_file(tmp_path, fake_llm, monkeypatch, capsys):
    monkeypatch.setenv("MEOW_CLI_KEY", "sk-never-written")
    data = write_input(tmp_path)
    out = tmp_path / "inv.json"
    argv = ["invert", "--forget", str(data), "--out", str(out), "--backend", "openai", "--model", "m",
            "--base-url", fake_llm.url, "--api-key-env", "MEOW_CLI_KEY", "--backoff", "0.01", "--no-progress"]
    assert main(argv) == 0
    assert fake_llm.count() == len(RECORDS)
    assert {h["Authorization"] for h in fake_llm.headers} == {"Bearer sk-never-written"}
    for path in tmp_path.iterdir():
        assert "sk-never-written" not in path.read_text(), path
    assert "sk-never-written" not in capsys.readouterr().out
    config = yaml.safe_load((tmp_path / "inv.config.yaml").read_text())
    assert config["api_key_env"] == "MEOW_CLI_KEY" and config["cache"].endswith("inv.cache.jsonl")
    assert main(argv) == 2 and "--force" in capsys.readouterr().err  # OUT exists: never replaced silently
    assert main([*argv, "--force"]) == 0 and fake_llm.count() == len(RECORDS)  # resumed from the cache
