"""The report's columns come from the registries (`Shown` in each registration): the same columns, headers and
descriptions as the hand-kept list they replaced (data/columns_hand_kept.json, written from that list before
it was removed), and a newly registered metric shows up with no other file touched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meow.evaluate import SUMMARIES, summary
from meow.registry import Shown, arrow, better_key, check_better
from meow.report import columns as C
from meow.report.collect import METHOD, Model, Run
from meow.sweep.api import METRICS

HAND_KEPT = json.loads((Path(__file__).parent / "data" / "columns_hand_kept.json").read_text())


def test_registered_columns_equal_the_hand_kept_list():
    """The columns the report had before the registries, unchanged; the known-facts benchmark's own table (added
    since, registered on its metrics) comes on top of them."""
    got = [dict(c.info(), header=c.header, short_header=c.short_header, digits=c.digits) for c in C.COLUMNS]
    assert [c for c in got if c["table"] != "known_facts"] == HAND_KEPT
    assert {c["name"] for c in got if c["table"] == "known_facts"} >= {"kf_forget_fill_in_blank"}


def test_sweep_metrics_are_the_columns_registered_for_it():
    assert METRICS == ("forget_quality", "model_utility", "forget_fact_hit", "retain_fact_hit", "forget_rouge_l",
                       "mia_auc", "privleak", "fluency_ls",  # the sweep's hand-kept tuple before, fluency; then
                       # the known-facts frontier's
                       "kf_forget_max", "kf_forget_fill_in_blank", "kf_forget_question", "kf_forget_adversarial",
                       "kf_neighbour", "kf_general")
    from meow.benchmark import BENCHMARKS

    for name in BENCHMARKS.names():  # every benchmark's sweep table and frontier draw registered sweep columns
        b = BENCHMARKS.get(name)
        assert set(b.sweep_columns) <= set(METRICS)
        assert b.frontier is None or {b.frontier.x, b.frontier.y} <= set(b.sweep_columns)


def test_directions():
    assert [arrow(b) for b in ("higher", "lower", "0.5", "0")] == ["↑", "↓", "→0.5", "→0"]
    values = [0.2, 0.45, 0.9, -0.3]
    assert [min(values, key=better_key(b)) for b in ("higher", "lower", "0.5", "0")] == [0.9, -0.3, 0.45, 0.2]
    assert C.best([None, 0.7, 0.52], "0.5") == 0.52 and C.best([None], "higher") is None
    with pytest.raises(ValueError, match="better must be"):
        check_better("up")


def test_a_new_summary_metric_is_a_report_and_sweep_column():
    show = Shown("toy_score", "toy score", "0.25", "a toy headline", "evals/<name>/summary.json: toy.value",
                 order=75, sweep=True)

    @summary("toy", show=show)
    def toy(ev, splits, retain):
        """Toy."""
        return {"value": 0.3}

    try:
        cols = {c.name: c for c in C.registered()}
        order = [c.name for c in C.registered()]
        col = cols["toy_score"]
        assert order.index("toy_score") == order.index("mia_auc") + 1  # order 75: between MIA AUC and PrivLeak
        assert (col.header, col.better, col.sweep) == ("toy score →0.25", "0.25", True)
        m = Model("m", METHOD, Path("."), {"toy": {"value": 0.3}})
        assert col.get(m, Run(Path("."), Path("."), [m])) == (0.3, None)
        missing = Model("n", METHOD, Path("."), {})
        assert col.get(missing, Run(Path("."), Path("."), [missing]))[1] == "no toy in summary.json"
    finally:
        SUMMARIES._items.pop("toy")
        SUMMARIES._shown.pop("toy")
    assert "toy_score" not in {c.name for c in C.registered()}
