"""`meow benchmark make --kind known-facts`: probing (a fake generator), roles around whole entities, the files."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from known_facts_probe import FakeLM, every_other_entity, fake_generate, patch_cli_generate, tiny_model_folder

from meow.benchmark.known_facts import assign_roles, load_bank, make_known_facts
from meow.errors import MeowError


def _lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


@pytest.fixture
def known_entities() -> set[str]:
    return every_other_entity()


def test_make_writes_whole_entities_in_roles(tmp_path, monkeypatch, known_entities):
    calls: list[int] = []
    monkeypatch.setattr("meow.modeling.generation.generate", fake_generate(known_entities, calls))
    m = make_known_facts(tmp_path, FakeLM(), forget_entities=3, neighbours=2, seed=5, progress=False)
    facts = load_bank()
    assert calls == [len(facts)]  # one batched call over the whole bank
    kinds = {f.entity: f.kind for f in facts}
    roles = m["roles"]
    assert len(roles["forget"]) == 3
    for n in roles["neighbour"]:
        assert kinds[n] in {kinds[t] for t in roles["forget"]}
    placed = [e for r in roles.values() for e in r]
    assert len(placed) == len(set(placed)) and set(placed) == known_entities  # no overlap, every known entity
    expected_known = {f.id for f in facts if f.entity in known_entities and f.index % 4 != 3}

    def split(name: str) -> list[dict]:
        return _lines(tmp_path / f"{name}.json")

    for name, role in (("forget", "forget"), ("retain", "retain"), ("retain_perturbed", "neighbour"),
                       ("holdout", "neighbour"), ("world_facts_perturbed", "general")):
        rows = split(name)
        assert {r["entity"] for r in rows} == set(roles[role]), name
        want = [f.id for f in facts if f.entity in roles[role] and f.id in expected_known]
        assert [r["id"] for r in rows] == want, name  # whole entities, only the known facts, bank order
    assert split("forget_perturbed") == split("forget")
    assert sorted(r["id"] for r in split("full")) == sorted(expected_known)
    probes = split("probes")
    assert Counter(p["probe"] for p in probes) == {k: len(split("forget")) for k in
                                                   ("fill_in_blank", "question", "adversarial")}
    report = json.loads((tmp_path / "probe_report.json").read_text())
    assert report["known"] == len(expected_known) and report["of"] == len(facts)
    for e, row in report["entities"].items():
        assert row["known"] == sum(1 for f in facts if f.entity == e and f.id in expected_known)
    for r in split("forget"):
        assert r["fact"] in r["answer"] and len(r["perturbed_answer"]) >= 3 and "fill_in_blank" in r["probes"]


def test_second_make_reuses_the_probe_and_the_seed_decides(tmp_path, monkeypatch, known_entities):
    calls: list[int] = []
    monkeypatch.setattr("meow.modeling.generation.generate", fake_generate(known_entities, calls))
    a = make_known_facts(tmp_path / "a", FakeLM(), forget_entities=2, seed=1, progress=False)
    again = make_known_facts(tmp_path / "a", FakeLM(), forget_entities=2, seed=1, progress=False)
    assert len(calls) == 1 and again["probe_reused"] and again["roles"] == a["roles"]
    other = make_known_facts(tmp_path / "a", FakeLM(), forget_entities=2, seed=2, progress=False)
    assert len(calls) == 1 and other["roles"] != a["roles"]


def test_assign_roles_by_hand():
    kinds = {"A": "p", "B": "p", "C": "p", "D": "q", "E": "q", "F": "r"}
    known = {"A": 5, "B": 1, "C": 0, "D": 3, "E": 2, "F": 4}
    for seed in range(10):
        roles = assign_roles(known, kinds, 1, 1, seed)
        assert "C" not in roles  # nothing known: no role
        (target,) = [e for e, r in roles.items() if r == "forget"]
        assert target in ("A", "D")  # >= 3 known facts and a known entity of the same kind ("F" has none)
        (neighbour,) = [e for e, r in roles.items() if r == "neighbour"]
        assert kinds[neighbour] == kinds[target]
        assert sorted(roles.values()).count("general") == 2 and sorted(roles.values()).count("retain") == 1
    with pytest.raises(MeowError, match="--forget-entities 3: expected 1 to 2"):
        assign_roles(known, kinds, 3, 1, 0)


@pytest.mark.parametrize("extra, message", [
    ([], "--kind known-facts needs --model DIR"),
    (["--model", "M", "--forget-entities", "0"], "--forget-entities 0: expected a whole number >= 1"),
    (["--model", "no/such/folder/x"], "model folder not found"),
])
def test_cli_bad_input_is_one_line(tmp_path, capsys, extra, message):
    from meow.cli import main

    assert main(["benchmark", "make", "--kind", "known-facts", "--out", str(tmp_path / "kf"), *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "kf" / "benchmark.json").exists()


def test_cli_writes_the_benchmark(tmp_path, monkeypatch, known_entities, capsys):
    from meow.cli import main

    folder = tiny_model_folder(tmp_path / "model")
    patch_cli_generate(monkeypatch, known_entities, [])
    assert main(["benchmark", "make", "--kind", "known-facts", "--model", str(folder), "--out",
                 str(tmp_path / "kf"), "--forget-entities", "2", "--seed", "4"]) == 0
    manifest = json.loads((tmp_path / "kf" / "benchmark.json").read_text())
    assert manifest["kind"] == "known-facts" and len(manifest["roles"]["forget"]) == 2
    assert "known-facts benchmark written to" in capsys.readouterr().out
