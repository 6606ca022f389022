"""`meow report` over hand-written run folders (values chosen here) and one real `meow eval` run.

Every expected number is read back from the summary.json / memo.json files the test wrote (or worked out by hand),
never from the report package.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest

from meow.cli import main
from meow.errors import MeowError
from meow.report import build_report, load_run

NO_RETAIN = "no retain model: give --retain-eval DIR or --retain-model DIR"
MAIN = ("forget_quality", "model_utility", "forget_fact_hit", "retain_fact_hit", "forget_rouge_l", "forget_memo",
        "mia_auc", "privleak", "fluency_ls")
# column -> path of its value inside summary.json (forget_memo comes from memo.json)
SUMMARY_PATHS = {
    "forget_quality": ("forget_quality", "value"), "model_utility": ("model_utility", "value"),
    "forget_fact_hit": ("splits", "forget", "fact_hit", "value"),
    "retain_fact_hit": ("splits", "retain", "fact_hit", "value"),
    "forget_rouge_l": ("splits", "forget", "rouge_l_recall", "value"), "mia_auc": ("mia_auc", "value"),
    "privleak": ("privleak", "value"), "fluency_ls": ("splits", "forget", "fluency_ls", "value"),
}


def entry(value, reason=None):
    return {"value": value, "reason": None if value is not None else reason, "description": "..."}


def summary(fq, mu, forget_fact, retain_fact, rouge, auc, leak, ls, fq_reason=NO_RETAIN, no_retain_split=False):
    """A summary.json in `meow eval`'s layout with the given headline numbers."""
    forget = {"fact_hit": entry(forget_fact), "rouge_l_recall": entry(rouge), "fluency_ls": entry(ls),
              "truth_ratio": entry(0.5)}
    splits = {"forget": forget, "retain": {"fact_hit": entry(retain_fact)}}
    missing = {}
    if no_retain_split:
        del splits["retain"]
        missing["retain"] = "not given (--retain FILE)"
    return {"model": "models/x", "retain_model": None, "forget_quality": entry(fq, fq_reason),
            "model_utility": entry(mu, "needs all 9 components"), "mia_auc": entry(auc, "no holdout split"),
            "privleak": entry(leak, NO_RETAIN), "splits": splits, "missing_splits": missing}


def write(path: Path, obj) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj), encoding="utf-8")
    return path


def memo_records(originals, inverted):
    return [{"question": f"q{i}", "answer": f"a{i}", "inverted_answers": ["x"] * len(inv),
             "memo": {"metric": "memo", "answer": a, "inverted_answers": inv}}
            for i, (a, inv) in enumerate(zip(originals, inverted))]


def attack_summary(name, metrics):
    return {"model": "m", "splits": {"forget": {}}, "attack": {"name": name, "metrics": metrics}}


@pytest.fixture
def run(tmp_path) -> Path:
    r = tmp_path / "run"
    ev = r / "evals"
    write(ev / "target" / "summary.json", summary(2.5e-7, 0.62, 0.9, 0.95, 0.97, 0.99, 0.8, 0.41))
    write(ev / "retain" / "summary.json", summary(None, 0.6, 0.1, 0.94, 0.3, 0.5, None, 0.4))
    write(ev / "meow" / "summary.json", summary(0.31, 0.58, 0.2, 0.9, 0.35, 0.55, -0.05, 0.39))
    write(ev / "ga" / "summary.json", summary(None, 0.2, 0.0, 0.3, 0.1, 0.3, 0.4, 0.05,
                                              fq_reason="no forget-set truth ratios in this evaluation"))
    write(ev / "npo" / "summary.json", summary(0.01, 0.45, 0.15, None, 0.2, 0.8, 0.2, 0.3, no_retain_split=True))
    write(r / "memo" / "forget.json", memo_records([0.8, 0.6], [[0.1, 0.3], [0.2]]))  # target: 0.7 / 0.2
    write(ev / "meow" / "memo.json", memo_records([0.25, 0.35, 0.3], [[0.5], [0.7, 0.9], [0.6]]))  # 0.3 / 0.65
    write(r / "attacks" / "meow" / "relearn" / "summary.json",
          attack_summary("relearn", {"fact_hit": {"before": 0.2, "after": 0.25}}))
    write(r / "attacks" / "retain" / "relearn" / "summary.json",
          attack_summary("relearn", {"fact_hit": {"before": 0.1, "after": 0.125}}))
    write(r / "attacks" / "ga" / "relearn" / "summary.json",
          attack_summary("relearn", {"fact_hit": {"after": 0.5, "retain_after": 0.125, "gap": 0.375}}))
    write(r / "attacks" / "meow" / "para" / "summary.json",
          attack_summary("paraphrase", {"fact_hit": {"original": 0.2, "paraphrased": 0.375}}))
    write(r / "attacks" / "ga" / "prefix" / "summary.json",
          attack_summary("prefix", {"prefix_leak": {"value": 0.5}}))
    write(r / "nlg" / "meow" / "summary.json", {"bleu": {"value": 12.5}, "rep3": {"value": 0.05}})
    write(r / "nlg" / "ga" / "nlg.json", {"bleu": {"value": 3.25}, "rep3": {"value": 0.5},
                                          "mauve": {"value": None, "reason": "mauve-text is not installed"}})
    write(r / "manifest.json", {"methods": ["npo", {"name": "meow"}]})
    (r / "config.yaml").write_text("seed: 0\nmethods: [meow, ga, npo]\n", encoding="utf-8")
    return r


def dig(obj, path):
    for key in path:
        if not isinstance(obj, dict) or key not in obj:
            return None
        obj = obj[key]
    return obj


def expected_main(run_dir: Path, name: str) -> dict[str, float | None]:
    """The main-table values of one model, read straight from the files the test wrote."""
    s = json.loads((run_dir / "evals" / name / "summary.json").read_text())
    out = {col: dig(s, path) for col, path in SUMMARY_PATHS.items()}
    memo = run_dir / "evals" / name / "memo.json"
    if name == "target":
        memo = run_dir / "memo" / "forget.json"
    if memo.is_file():
        recs = json.loads(memo.read_text())
        out["forget_memo"] = sum(r["memo"]["answer"] for r in recs) / len(recs)
    else:
        out["forget_memo"] = None
    return out


# ---------------------------------------------------------------- files and values

def test_files_and_values_equal_the_summaries(run, tmp_path):
    out = tmp_path / "rep"
    table = build_report(run, out)
    for name in ("report.html", "report.md", "table.csv", "table.json"):
        assert (out / name).is_file() and str(out / name) in table["files"]
    for plot in ("forget_quality_vs_utility", "memo", "metrics", "robustness"):
        assert (out / "plots" / f"{plot}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    saved = json.loads((out / "table.json").read_text())
    rows = {r["name"]: r for r in saved["rows"]}
    with open(out / "table.csv", newline="") as f:
        csv_rows = {r["name"]: r for r in csv.DictReader(f)}
    for name in ("target", "retain", "meow", "ga", "npo"):
        want = expected_main(run, name)
        for col in MAIN:
            got, cell = rows[name]["values"][col], csv_rows[name][col]
            if want[col] is None:
                assert got is None and cell == "n/a", (name, col)
                assert rows[name]["reasons"][col]
            else:
                assert got == pytest.approx(want[col]) and float(cell) == pytest.approx(want[col]), (name, col)
    # memo means by hand: target (0.8 + 0.6) / 2 and ((0.1 + 0.3) / 2 + 0.2) / 2; meow 0.3 and (0.5 + 0.8 + 0.6) / 3
    assert saved["memo"]["target"]["original"] == pytest.approx(0.7)
    assert saved["memo"]["target"]["inverted"] == pytest.approx(0.2)
    assert saved["memo"]["meow"]["inverted"] == pytest.approx(1.9 / 3)
    assert saved["memo"]["target"]["source"] == str(Path("memo") / "forget.json")
    # missing values keep the reason they came with; never 0
    assert rows["ga"]["reasons"]["forget_quality"] == "no forget-set truth ratios in this evaluation"
    assert rows["retain"]["reasons"]["forget_quality"].startswith("no retain model")  # no eval.json to recompute
    assert "retain split not evaluated" in rows["npo"]["reasons"]["retain_fact_hit"]
    assert rows["retain"]["reasons"]["forget_memo"] == "no memo.json for this model"
    # robustness: relearn after, its gap (own, or against the retain row's relearn: 0.25 - 0.125), paraphrase, prefix
    assert rows["meow"]["values"]["relearn_fact_hit"] == 0.25
    assert rows["meow"]["values"]["relearn_gap"] == pytest.approx(0.125)
    assert rows["ga"]["values"]["relearn_gap"] == 0.375
    assert rows["retain"]["values"]["relearn_gap"] == 0.0
    assert rows["npo"]["values"]["relearn_gap"] is None
    assert rows["meow"]["values"]["paraphrase_fact_hit"] == 0.375
    assert rows["ga"]["values"]["prefix_leak"] == 0.5 and rows["meow"]["values"]["prefix_leak"] is None
    # NLG from summary.json or nlg.json
    assert rows["meow"]["values"]["nlg_bleu"] == 12.5 and rows["ga"]["values"]["nlg_rep3"] == 0.5
    assert rows["ga"]["values"]["nlg_mauve"] is None
    assert rows["ga"]["reasons"]["nlg_mauve"] == "mauve-text is not installed"
    # every column is described, with its source
    cols = {c["name"]: c for c in saved["columns"]}
    assert set(cols) == set(rows["meow"]["values"]) and all(c["description"] and c["source"] for c in cols.values())
    assert table["rows"] == saved["rows"]


def test_row_order_roles_and_overrides(run, tmp_path):
    table = build_report(run, tmp_path / "a")
    assert [(r["name"], r["role"]) for r in table["rows"]] == [
        ("target", "target"), ("retain", "retain"), ("npo", "method"), ("meow", "method"), ("ga", "method")]
    (run / "manifest.json").unlink()
    models = load_run(run, target="meow", retain="npo").models
    assert [(m.name, m.role) for m in models] == [
        ("meow", "target"), ("npo", "retain"), ("ga", "method"), ("retain", "method"), ("target", "method")]
    with pytest.raises(MeowError, match="--target-row nope: no such evaluated model"):
        load_run(run, target="nope")
    # `meow demo`'s manifest: no "methods" list, the order of its "eval <name>" stages
    write(run / "manifest.json", {"stages": {"eval retain": {"seconds": 1.5}, "eval target": {"seconds": 2},
                                             "eval ga": {"seconds": 3}, "eval npo": {"seconds": 4}}})
    table = build_report(run, tmp_path / "d")
    assert [r["name"] for r in table["rows"]] == ["target", "retain", "ga", "npo", "meow"]
    assert table["html"] == str(tmp_path / "d" / "report.html")
    assert "stage timings (10 s in all)" in (tmp_path / "d" / "report.html").read_text()


def test_best_method_per_column(run, tmp_path):
    table = build_report(run, tmp_path / "rep")
    best = table["best"]
    # among methods only (target's 0.62 utility is higher but a reference); direction per column
    assert best["model_utility"] == 0.58
    assert best["forget_quality"] == 0.31
    assert best["forget_fact_hit"] == 0.0  # lower is better
    assert best["mia_auc"] == 0.55  # closest to 0.5 of 0.55, 0.3, 0.8
    assert best["privleak"] == -0.05  # closest to 0 of -0.05, 0.4, 0.2
    html = (tmp_path / "rep" / "report.html").read_text()
    assert html.count('<td class="best">') == sum(
        1 for r in table["rows"] for c, v in best.items()
        if r["role"] == "method" and r["values"][c] == v and c in {x["name"] for x in table["columns"]})
    assert re.search(r'<td class="best">0\.580</td>', html)
    assert '<td class="best">0.620</td>' not in html
    md = (tmp_path / "rep" / "report.md").read_text()
    assert "| meow | **0.310** | **0.580** |" in md
    assert "model utility ↑" in md and "MIA AUC →0.5" in md and "PrivLeak →0" in md and "forget MEMO ↓" in md


def test_tie_is_not_highlighted(tmp_path):
    r = tmp_path / "run"
    for name in ("a", "b"):
        write(r / name / "summary.json", summary(0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.0, 0.5))
    table = build_report(r, tmp_path / "rep")
    assert table["best"] == {} and 'class="best"' not in (tmp_path / "rep" / "report.html").read_text()


def test_html_is_self_contained_and_md_links_plots(run, tmp_path):
    out = tmp_path / "rep"
    table = build_report(run, out)
    html = (out / "report.html").read_text()
    srcs = re.findall(r'src="([^"]*)"', html)
    assert len(srcs) == 4 and all(s.startswith("data:image/png;base64,") for s in srcs)
    assert "href=" not in html and "<script" not in html
    assert "How to read this" in html and "0.05" in html and "harmonic mean of 9 TOFU numbers" in html
    assert "seed: 0" in html and str(run) in html  # config.yaml and the run folder in the header
    assert '<td class="na" title="no forget-set truth ratios in this evaluation">n/a</td>' in html
    md = (out / "report.md").read_text()
    for file in table["plots"].values():
        assert f"]({file})" in md and (out / file).is_file()
    assert "| ga | n/a | 0.200 |" in md


def test_missing_values_are_skipped_in_plots_with_a_note(run, tmp_path):
    table = build_report(run, tmp_path / "rep")
    notes = " | ".join(table["notes"])
    assert "forget quality vs utility: left out retain, ga" in notes
    assert "MEMO plot: left out retain, npo, ga (no memo.json)" in notes
    # without any MEMO scores the plot is not drawn (and a stale one is removed)
    (run / "memo" / "forget.json").unlink()
    (run / "evals" / "meow" / "memo.json").unlink()
    table = build_report(run, tmp_path / "rep", force=True)
    assert not (tmp_path / "rep" / "plots" / "memo.png").exists() and "memo" not in table["plots"]
    assert any("no model has MEMO scores" in n for n in table["notes"])
    assert all(r["values"]["forget_memo"] is None for r in table["rows"])


def test_folder_of_eval_folders(tmp_path):
    r = tmp_path / "evals_only"
    write(r / "b" / "summary.json", summary(0.2, 0.5, 0.1, 0.9, 0.2, 0.5, None, 0.3))
    write(r / "a" / "summary.json", summary(None, 0.4, 0.3, 0.8, 0.4, 0.6, None, 0.2))
    (r / "notes").mkdir()
    table = build_report(r)
    assert [(x["name"], x["role"]) for x in table["rows"]] == [("a", "method"), ("b", "method")]
    assert (r / "report" / "report.html").is_file()
    assert any("no target model" in n for n in table["notes"])
    assert table["rows"][1]["values"]["forget_quality"] == 0.2 and table["rows"][0]["values"]["privleak"] is None


# ---------------------------------------------------------------- recomputation against the retain row

def eval_json(ratios, members, nonmembers):
    """eval.json with forget truth ratios and Min-K% membership scores (forget members, holdout non-members)."""
    forget = [{"index": i, "question": f"q{i}", "answer": "a", "truth_ratio": t, "mia": {"min_k": m}}
              for i, (t, m) in enumerate(zip(ratios, members))]
    holdout = [{"index": i, "question": f"h{i}", "answer": "a", "mia": {"min_k": m}} for i, m in enumerate(nonmembers)]
    return {"format": 1, "splits": {"forget": {"records": forget}, "holdout": {"records": holdout}}}


def test_forget_quality_and_privleak_recomputed_against_retain_eval(tmp_path):
    from scipy.stats import ks_2samp

    r = tmp_path / "run"
    ev = r / "evals"
    mine, theirs = [0.1, 0.2, 0.3, 0.9], [0.5, 0.6, 0.7, 0.8]
    write(ev / "retain" / "eval.json", eval_json(theirs, [1.0, 2.0, 0.0, 0.5], [1.5, 2.5, 0.2, 0.7]))
    write(ev / "m" / "eval.json", eval_json(mine, [5.0, 6.0, 7.0, 8.0], [1.0, 2.0, 3.0, 4.0]))
    for name in ("retain", "m"):
        write(ev / name / "summary.json", summary(None, 0.5, 0.1, 0.9, 0.2, 0.5, None, 0.3))
    table = build_report(r, tmp_path / "rep")
    rows = {x["name"]: x for x in table["rows"]}
    assert rows["m"]["values"]["forget_quality"] == pytest.approx(ks_2samp(mine, theirs).pvalue)
    assert rows["retain"]["values"]["forget_quality"] == pytest.approx(1.0)  # the retain model against itself
    # Min-K% AUC: m separates members perfectly (1.0); retain: pairs (member > non-member) counted by hand:
    # 1.0 > {0.2, 0.7}, 2.0 > {1.5, 0.2, 0.7}, 0.0 > {}, 0.5 > {0.2} -> 6 of 16
    auc_retain = 6 / 16
    # PrivLeak (MUSE / open-unlearning) = ((1 - AUC) - (1 - AUC_r)) / (1 - AUC_r) * 100
    assert rows["m"]["values"]["privleak"] == pytest.approx(((1 - 1.0) - (1 - auc_retain)) / (1 - auc_retain) * 100)
    assert rows["retain"]["values"]["privleak"] == pytest.approx(0.0)
    assert "computed by the report" in rows["m"]["notes"]["forget_quality"]
    assert "1.000†" in (tmp_path / "rep" / "report.md").read_text()


# ---------------------------------------------------------------- CLI and mistakes

def test_cli_prints_the_table(run, tmp_path, capsys):
    assert main(["report", str(run), "--out", str(tmp_path / "rep")]) == 0
    printed = capsys.readouterr().out
    assert "main results" in printed and "FQ" in printed and "npo" in printed and "2.5e-07" in printed
    assert "report.html" in printed
    assert main(["report", str(run)]) == 0
    assert (run / "report" / "table.json").is_file()


def _error(capsys, argv) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    return err


def test_user_mistakes_are_one_line(run, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert "no evaluated models" in _error(capsys, ["report", str(tmp_path / "empty")])
    assert "run folder not found" in _error(capsys, ["report", str(tmp_path / "nope")])
    assert "--retain-row x: no such evaluated model" in _error(capsys, ["report", str(run), "--retain-row", "x"])
    assert "would overwrite the input folder" in _error(capsys, ["report", str(run), "--out",
                                                                   str(run / "evals" / "meow")])
    bad = run / "evals" / "ga" / "summary.json"
    bad.write_text("{not json")
    err = _error(capsys, ["report", str(run)])
    assert str(bad) in err and "not valid JSON" in err
    write(bad, summary(0.1, 0.2, 0.0, 0.3, 0.1, 0.3, 0.4, 0.05))
    memo = run / "evals" / "meow" / "memo.json"
    recs = memo_records([0.25, "high"], [[0.5], [0.7]])
    write(memo, recs)
    err = _error(capsys, ["report", str(run)])
    assert f"{memo}: record 1: field 'memo'" in err and "should be a number" in err
    assert json.loads(memo.read_text()) == recs  # inputs are never rewritten


# ---------------------------------------------------------------- real `meow eval` outputs

def test_end_to_end_on_meow_eval_outputs(tiny_model_dir, tiny_bench_dir, tmp_path):
    run = tmp_path / "run"
    target = run / "evals" / "target"
    assert main(["eval", "--model", str(tiny_model_dir), "--data", str(tiny_bench_dir), "--out", str(target),
                 "--retain-model", str(tiny_model_dir), "--max-new-tokens", "8", "--no-fluency"]) == 0
    shutil.move(target / "retain_model", run / "evals" / "retain")  # forget and holdout only
    table = build_report(run)
    rows = {r["name"]: r for r in table["rows"]}
    for name in ("target", "retain"):
        want = expected_main(run, name)
        for col in MAIN:
            if col in ("forget_quality", "privleak") and name == "retain":
                continue  # recomputed: the retain model against itself
            assert rows[name]["values"][col] == (pytest.approx(want[col]) if want[col] is not None else None)
    assert rows["target"]["values"]["forget_quality"] == pytest.approx(1.0)  # its own retain model
    assert rows["retain"]["values"]["forget_quality"] == pytest.approx(1.0)
    assert rows["retain"]["values"]["model_utility"] is None and rows["target"]["values"]["fluency_ls"] is None
    assert (run / "report" / "plots" / "forget_quality_vs_utility.png").is_file()
    assert not (run / "report" / "plots" / "memo.png").exists()
