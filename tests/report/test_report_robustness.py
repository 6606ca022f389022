"""`meow report` never crashes: a bad single value is n/a with a one-line warning, an unusable file is one error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meow.cli import main


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def summary(**entries) -> str:
    """A summary.json whose headline entries are {name: value}; NaN / Infinity written as JSON allows them."""
    body = {"splits": {"forget": {"truth_ratio": {"value": 0.5, "n": 2}}}, "missing_splits": {}}
    body.update({k: {"value": v, "reason": None} for k, v in entries.items()})
    return json.dumps(body)  # json.dumps writes NaN / Infinity for float('nan') / float('inf')


@pytest.fixture
def run(tmp_path):
    r = tmp_path / "run"
    write(r / "evals" / "target" / "summary.json", summary(model_utility=0.6))
    write(r / "evals" / "ga" / "summary.json",
          summary(forget_quality=float("nan"), model_utility="high", privleak=float("inf"), mia_auc=True))
    write(r / "evals" / "npo" / "summary.json", summary(forget_quality=0.3, model_utility=[1]))
    return r


def test_bad_single_values_are_na_with_one_warning_each(run, capsys):
    assert main(["report", str(run)]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert all(line.startswith("meow: warning: report: ") for line in err)
    assert len(err) == 5  # ga: forget quality NaN, model utility "high", PrivLeak inf, MIA AUC true; npo: [1]
    table = json.loads((run / "report" / "table.json").read_text())  # valid JSON: no NaN written
    rows = {r["name"]: r for r in table["rows"]}
    for col, shown in (("forget_quality", "nan"), ("model_utility", "high"), ("privleak", "inf")):
        assert rows["ga"]["values"][col] is None and shown in rows["ga"]["reasons"][col]
    assert rows["npo"]["values"]["forget_quality"] == 0.3
    assert rows["npo"]["values"]["model_utility"] is None and "[1]" in rows["npo"]["reasons"]["model_utility"]
    assert "NaN" not in (run / "report" / "table.json").read_text()


@pytest.mark.parametrize("make, message", [
    (lambda r: (r / "evals" / "ga" / "summary.json").unlink() or (r / "evals" / "ga" / "summary.json").mkdir(),
     "summary.json: is a folder"),
    (lambda r: write(r / "evals" / "ga" / "summary.json", "[1, 2]"), "not a summary.json"),
    (lambda r: write(r / "manifest.json", "{oops"), "manifest.json: not valid JSON"),
    (lambda r: write(r / "evals" / "retain" / "summary.json", summary()) or write(
        r / "evals" / "retain" / "eval.json", '{"splits": {"forget": 3}}') or write(
        r / "evals" / "npo" / "summary.json", json.dumps({"splits": {}, "forget_quality": {
            "value": None, "reason": "no retain model: give --retain-eval"}})) or write(
        r / "evals" / "npo" / "eval.json", '{"splits": {}}'), "eval.json: splits: forget: expected an object"),
])
def test_unusable_files_are_one_line(run, capsys, make, message):
    make(run)
    assert main(["report", str(run)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err and "Traceback" not in err
    assert not (run / "report").exists()


@pytest.mark.parametrize("manifest", ['[1, 2]', '{"methods": 5, "stages": 3}',
                                      '{"methods": [{"name": 3}, null, "npo"], "stages": {"eval x": 1}}'])
def test_odd_manifests_are_read_as_far_as_they_make_sense(run, capsys, manifest):
    write(run / "manifest.json", manifest)
    assert main(["report", str(run)]) == 0
    rows = [r["name"] for r in json.loads((run / "report" / "table.json").read_text())["rows"]]
    assert rows[0] == "target" and sorted(rows) == ["ga", "npo", "target"]


def test_a_binary_config_yaml_does_not_stop_the_report(run):
    (run / "config.yaml").write_bytes(b"\xff\xfe\x00 not text")
    assert main(["report", str(run)]) == 0
