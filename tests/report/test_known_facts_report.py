"""`meow report` on known-facts evaluations: the known-facts table's columns read summary.json known_facts."""

from __future__ import annotations

import json

from meow.report.report import build_report


def _summary(forget: dict, neighbour: float, general: float) -> dict:
    def kf(v: float) -> dict:
        return {"key_fact": {"value": v, "n": 8}}

    return {"model": "m", "missing_splits": {}, "splits": {
        "forget_fill_in_blank": kf(forget["fill_in_blank"]), "forget": kf(forget["question"]),
        "forget_adversarial": kf(forget["adversarial"]), "retain": kf(neighbour), "world_facts": kf(general)}}


def test_known_facts_columns(tmp_path):
    run = tmp_path / "run"
    rows = {"target": _summary({"fill_in_blank": 0.5, "question": 1.0, "adversarial": 0.75}, 1.0, 1.0),
            "meow": _summary({"fill_in_blank": 0.25, "question": 0.125, "adversarial": 0.5}, 0.875, 0.9375)}
    for name, s in rows.items():
        (run / "evals" / name).mkdir(parents=True)
        (run / "evals" / name / "summary.json").write_text(json.dumps(s))
    table = build_report(run)
    got = {r["name"]: r["values"] for r in table["rows"]}
    assert got["meow"]["kf_forget_fill_in_blank"] == 0.25
    assert got["meow"]["kf_forget_question"] == 0.125
    assert got["meow"]["kf_forget_adversarial"] == 0.5
    assert got["meow"]["kf_neighbour"] == 0.875 and got["meow"]["kf_general"] == 0.9375
    assert got["target"]["kf_forget_question"] == 1.0
    assert "Known facts" in (run / "report" / "report.md").read_text()


def test_known_facts_table_hidden_for_tofu_runs(tmp_path):
    run = tmp_path / "run"
    (run / "evals" / "target").mkdir(parents=True)
    (run / "evals" / "target" / "summary.json").write_text(json.dumps({"model": "m", "splits": {}}))
    table = build_report(run)
    row = table["rows"][0]
    assert row["values"]["kf_neighbour"] is None and "retain split not evaluated" in row["reasons"]["kf_neighbour"]
    assert "Known facts" not in (run / "report" / "report.md").read_text()


def test_known_facts_summary_kind_and_privleak_na(tmp_path):
    """A known-facts evaluation's summary says its kind; PrivLeak against a retain model is then n/a (none exists)."""
    from meow.evaluate import summarize

    rec = {"question": "q", "answer": "a", "generation": "a", "key_fact": True}
    ev = {"splits": {"forget": {"records": [rec]}, "retain": {"records": [rec]}}}
    s = summarize(ev)
    assert s["kind"] == "known-facts" and s["known_facts"]["value"] == 1.0
    run = tmp_path / "run"
    (run / "evals" / "target").mkdir(parents=True)
    (run / "evals" / "target" / "summary.json").write_text(json.dumps(s))
    row = build_report(run)["rows"][0]
    assert row["values"]["privleak"] is None and "not a tofu evaluation" in row["reasons"]["privleak"]
    assert row["values"]["kf_forget_question"] == 1.0
    assert "kind" not in summarize({"splits": {"forget": {"records": [dict(rec, key_fact=None)]}}})  # meow eval
