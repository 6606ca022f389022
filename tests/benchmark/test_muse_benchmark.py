"""`meow benchmark make --kind muse`: MUSE's file layout, deterministic, facts stated in the articles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meow.cli import main
from meow.errors import MeowError


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_layout_and_determinism(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    assert main(["benchmark", "make", str(a), "--kind", "muse", "--articles", "4", "--qa-per-article", "3"]) == 0
    assert main(["benchmark", "make", str(b), "--kind", "muse", "--articles", "4", "--qa-per-article", "3"]) == 0
    assert _files(a) == _files(b)
    names = set(_files(a))
    expected = {"benchmark.json", "verbmem/forget.json", "privleak/forget.json", "privleak/retain.json",
                "privleak/holdout.json", *(f"knowmem/{s}_qa{i}.json" for s in ("forget", "retain") for i in ("", "_icl")),
                *(f"raw/{s}.{x}" for s in ("forget", "retain1", "retain2", "holdout") for x in ("json", "txt"))}
    assert names == expected
    raw = {s: json.loads((a / "raw" / f"{s}.json").read_text()) for s in ("forget", "retain1", "retain2", "holdout")}
    assert all(len(v) == 4 and all(isinstance(t, str) for t in v) for v in raw.values())
    assert len({t for v in raw.values() for t in v}) == 16  # no article twice
    assert (a / "raw" / "forget.txt").read_text() == "\n\n".join(raw["forget"])  # as muse_bench load_data.py
    assert json.loads((a / "privleak/forget.json").read_text()) == raw["forget"]
    assert json.loads((a / "privleak/holdout.json").read_text()) == raw["holdout"]
    verb = json.loads((a / "verbmem/forget.json").read_text())
    assert [v["prompt"] + " " + v["gt"] for v in verb] == raw["forget"]
    qa = json.loads((a / "knowmem/forget_qa.json").read_text())
    assert len(qa) == 12 and all(set(q) == {"question", "answer"} for q in qa)
    for i, q in enumerate(qa):  # every answer is stated in its own article
        assert q["answer"] in raw["forget"][i // 3]
    retain_qa = json.loads((a / "knowmem/retain_qa.json").read_text())
    assert all(q["answer"] in raw["retain1"][i // 3] for i, q in enumerate(retain_qa))
    icl = json.loads((a / "knowmem/forget_qa_icl.json").read_text())
    assert not any(q["answer"] in t for q in icl[:1] for v in raw.values() for t in v)  # its award is unique


def test_other_arguments_need_force(tmp_path: Path) -> None:
    from meow.benchmark.muse import make_muse_benchmark

    make_muse_benchmark(tmp_path, articles=2)
    with pytest.raises(MeowError, match="another benchmark"):
        make_muse_benchmark(tmp_path, articles=3)
    make_muse_benchmark(tmp_path, articles=3, force=True)
    with pytest.raises(MeowError, match="qa-per-article"):
        make_muse_benchmark(tmp_path / "x", qa_per_article=99)
