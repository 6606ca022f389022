"""`meow demo --benchmark muse` end to end on a very small MUSE-format benchmark: every stage's output, the report
with MUSE's numbers, and reuse of finished stages."""

from __future__ import annotations

import json

from rich.console import Console

from meow.cli import main
from meow.demo import MuseDemoConfig, run_muse_demo

SMALL = {"articles": 2, "qa_per_article": 2, "hidden_size": 32, "layers": 1, "train_epochs": 10.0,
         "methods": ["meow", "ga"], "unlearn_epochs": 1.0, "memo_max_new_tokens": 8, "memo_stride": 120,
         "n_inverted": 2, "threads": 1}


def test_muse_demo_end_to_end(tmp_path):
    run = tmp_path / "run"
    result = run_muse_demo(run, MuseDemoConfig(**SMALL), console=Console(quiet=True))
    for path in ["data/verbmem/forget.json", "data/text/target.json", "models/target/meow.json",
                 "models/retain/meow.json", "evals/retain/summary.json", "evals/target/summary.json",
                 "inverted/forget.json", "memo/forget.json", "models/meow/selected.jsonl", "models/ga/meow.json",
                 "evals/meow/summary.json", "evals/ga/summary.json", "report/report.html", "manifest.json"]:
        assert (run / path).exists(), path
    target = json.loads((run / "evals/target/summary.json").read_text())
    assert target["retain_model"] and target["privleak"]["reference"].startswith("retain model")
    assert all(target[k]["value"] is not None for k in ("verbmem_forget", "knowmem_forget", "knowmem_retain"))
    header = (run / "report" / "table.csv").read_text().splitlines()[0]
    assert {"verbmem_forget", "knowmem_forget", "knowmem_retain", "muse_privleak"} <= set(header.split(","))
    assert "VerbMem forget" in (run / "report" / "report.md").read_text()  # the MUSE table is shown
    again = run_muse_demo(run, MuseDemoConfig(**SMALL), console=Console(quiet=True))
    assert all(was_reused for _, _, was_reused in again["timings"])
    assert len(result["timings"]) == len(again["timings"])


def test_muse_demo_refuses_qa_only_methods(tmp_path, capsys):
    assert main(["demo", "--benchmark", "muse", "--out", str(tmp_path / "r"), "--methods", "idk"]) == 2
    assert "cannot unlearn a text corpus" in capsys.readouterr().err
