"""Known-facts request splits and forget-set sizes (meow.benchmark.known_facts.requests): whole entities per
request, nested sizes forget_1 within forget_2 ..., refusals before anything is probed, the CLI end to end, and
`meow sweep --grid forget_size=...` on a known-facts folder. The probe is hand-written (tests/known_facts_probe.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from known_facts_probe import FakeLM, every_other_entity, fake_generate, patch_cli_generate, tiny_model_folder

from meow.benchmark import BENCHMARKS
from meow.benchmark.known_facts import make_known_facts
from meow.benchmark.known_facts.requests import check_entity_requests, entity_requests
from meow.cli import main
from meow.errors import MeowError


def _lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


@pytest.fixture(scope="module")
def kf(tmp_path_factory) -> Path:
    """A known-facts folder with 5 forget entities, probed by the fake generator."""
    out = tmp_path_factory.mktemp("kf")
    mp = pytest.MonkeyPatch()
    mp.setattr("meow.modeling.generation.generate", fake_generate(every_other_entity(), []))
    try:
        make_known_facts(out, FakeLM(), forget_entities=5, neighbours=2, seed=3, progress=False)
    finally:
        mp.undo()
    return out


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "benchmark.json").read_text())


@pytest.mark.parametrize("k", [2, 3, 5])
def test_requests_are_whole_entities_in_order(kf, k):
    forget, targets = _lines(kf / "forget.json"), _manifest(kf)["roles"]["forget"]
    requests, entry = entity_requests(forget, k)
    assert [e for part in entry["entities"] for e in part] == targets  # contiguous, benchmark.json order
    sizes = [len(part) for part in entry["entities"]]
    assert sizes == {2: [3, 2], 3: [2, 2, 1], 5: [1] * 5}[k]  # 5 entities: earlier chunks one larger
    assert [r for req in requests for r in req] == forget  # every forget question once, in order
    seen: set[str] = set()
    for req, names, cum in zip(requests, entry["entities"], entry["cumulative"]):
        assert {r["entity"] for r in req} == set(names) and not seen & set(names)  # no entity in two requests
        seen |= set(names)
        assert [r["id"] for r in _lines(kf / f"{cum}.json")] == [r["id"] for r in forget if r["entity"] in seen]
    assert entry["records"] == [len(r) for r in requests]


def test_sizes_are_nested_first_k_entities_with_their_kinds_neighbours(kf):
    m = _manifest(kf)
    targets, neighbours = m["roles"]["forget"], m["roles"]["neighbour"]
    kinds = {e: row["kind"] for e, row in json.loads((kf / "probe_report.json").read_text())["entities"].items()}
    forget, holdout = _lines(kf / "forget.json"), _lines(kf / "holdout.json")
    assert not any(m["splits"].get(f"forget_{k}") for k in (0, 6)) and m["splits"]["forget_5"] == len(forget)
    previous: list[str] = []
    for k in range(1, 6):
        rows = _lines(kf / f"forget_{k}.json")
        assert [r["id"] for r in rows] == [r["id"] for r in forget if r["entity"] in targets[:k]]
        assert [r["id"] for r in rows][:len(previous)] == previous  # forget_{k-1} within forget_k
        previous = [r["id"] for r in rows]
        assert _lines(kf / f"forget_{k}_perturbed.json") == rows
        near = [r["id"] for r in holdout if kinds[r["entity"]] in {kinds[t] for t in targets[:k]}]
        path = kf / f"holdout_{k}.json"
        assert ([r["id"] for r in _lines(path)] if path.exists() else []) == near
        assert {r["entity"] for r in _lines(path)} <= set(neighbours) if path.exists() else not near


def test_size_splits_come_from_the_folders_benchmark(kf, tmp_path):
    from meow.benchmark import Benchmark
    from meow.evaluate import split_files
    from meow.sweep.sizes import size_split

    assert BENCHMARKS.for_data(kf).name == "known-facts" and size_split(2, kf) == "forget_2"
    assert size_split(3.0, kf) == "forget_3" and split_files("forget_3")["holdout"] == "holdout_3"
    assert split_files("forget_3")["forget"] == "forget_3_perturbed" and split_files("forget")["holdout"] == "holdout"
    for bad in (0, 6, 1.5, True, "forget_2"):
        with pytest.raises(MeowError, match=r"forget_size=.*expected a number of forget entities, 1 to 5"):
            size_split(bad, kf)
    assert BENCHMARKS.for_data(tmp_path / "none").name == "tofu" and size_split(5, tmp_path) == "forget05"
    assert BENCHMARKS.for_data("locuslab/TOFU").name == "tofu"
    with pytest.raises(MeowError, match="without nested forget-set sizes"):
        Benchmark.size_split(1, tmp_path)  # a benchmark that declares no sizes


def test_impossible_requests_are_refused(kf):
    with pytest.raises(MeowError, match="--requests 6: only 5 forget entities"):
        check_entity_requests(6, 5)
    with pytest.raises(MeowError, match=r"--requests nested: .*give a number of requests"):
        check_entity_requests("nested", 5)
    with pytest.raises(MeowError, match="only 5 forget entities"):
        entity_requests(_lines(kf / "forget.json"), 6)


@pytest.mark.parametrize("extra, message", [
    (["--forget-entities", "3", "--requests", "4"], "--requests 4: only 3 forget entities (--forget-entities)"),
    (["--requests", "nested"], "--requests nested: TOFU's forget sizes belong to the authors benchmark"),
    (["--requests", "1"], "--requests 1: a sequence needs at least 2 requests"),
])
def test_cli_refuses_before_probing_or_writing(tmp_path, monkeypatch, capsys, extra, message):
    calls: list[int] = []
    patch_cli_generate(monkeypatch, every_other_entity(), calls)
    assert main(["benchmark", "make", "--kind", "known-facts", "--model", str(tmp_path / "no-model-needed"),
                 "--out", str(tmp_path / "kf"), *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert calls == [] and not (tmp_path / "kf" / "benchmark.json").exists()


def test_cli_writes_requests_and_keeps_the_folder_matching_its_manifest(tmp_path, monkeypatch, capsys):
    folder, out = tiny_model_folder(tmp_path / "model"), tmp_path / "kf"
    calls: list[int] = []
    patch_cli_generate(monkeypatch, every_other_entity(), calls)
    make = ["benchmark", "make", "--kind", "known-facts", "--model", str(folder), "--out", str(out), "--seed", "1"]
    assert main([*make, "--forget-entities", "3", "--requests", "2"]) == 0
    m = _manifest(out)
    assert m["requests"]["files"] == ["request1", "request2"] and m["requests"]["cumulative"] == ["forget_2",
                                                                                                    "forget_3"]
    assert [e for part in m["requests"]["entities"] for e in part] == m["roles"]["forget"]
    first, second = _lines(out / "request1.json"), _lines(out / "request2.json")
    assert first == _lines(out / "forget_2.json") and first + second == _lines(out / "forget.json")
    assert m["splits"]["request1"] == len(first) and m["splits"]["request2"] == len(second)
    printed = capsys.readouterr().out
    assert f"2 chunks requests: request1 ({len(first)}), request2 ({len(second)})" in printed
    assert "nested sizes for `meow sweep --grid forget_size=1,...,3`" in printed
    assert main([*make, "--forget-entities", "2"]) == 0  # same model: the probe is reused, the roles redrawn
    m = _manifest(out)
    assert len(calls) == 1 and m["probe_reused"] and "requests" not in m
    assert not list(out.glob("request*.json")) and not list(out.glob("forget_3*")) and (out / "forget_2.json").exists()
    listed = {f"{n}.json" for n in m["splits"]} | {"benchmark.json", "probe_answers.json", "probe_report.json"}
    assert {p.name for p in out.iterdir()} == listed


def test_sweep_over_entity_counts(kf, tmp_path):
    """`meow sweep --grid forget_size=1,2` on the known-facts folder: each size unlearns its first entities' questions
    and is evaluated on forget_k / holdout_k, forget quality against the reference's values on the same questions."""
    from scipy.stats import ks_2samp

    from meow.evaluate import EvalConfig, evaluate, load_splits
    from meow.modeling import load_lm
    from meow.sweep import run_sweep

    model = tiny_model_folder(tmp_path / "model")
    ec = EvalConfig(max_new_tokens=2, mia_gradnorm=False, fluency=False)
    splits, sources, absent = load_splits(kf, "forget")
    evaluate(load_lm(model), splits, None, cfg=ec, sources=sources, missing_splits=absent,
             progress=False).save(tmp_path / "ref")
    table = run_sweep("ga", str(model), str(kf / "forget.json"), tmp_path / "sweep", data=kf, forget_split="forget",
                      retain_eval=tmp_path / "ref", target_eval=tmp_path / "ref", grid={"forget_size": [1, 2]},
                      base={"epochs": 1, "lr": 1e-3, "batch_size": 4, "grad_accum": 1}, eval_cfg=ec)
    assert [r["point"]["forget_size"] for r in table["points"]] == [1, 2]
    ref = {r["question"]: r for r in json.loads((tmp_path / "ref" / "eval.json").read_text())["splits"]["forget"]
           ["records"]}
    for k in (1, 2):
        want = [r["question"] for r in _lines(kf / f"forget_{k}.json")]
        trained = json.loads((tmp_path / "sweep" / "forget" / f"forget_{k}.json").read_text())
        assert [r["question"] for r in trained] == want
        run = tmp_path / "sweep" / "runs" / f"forget_size={k},seed=0"
        ev = json.loads((run / "eval" / "eval.json").read_text())
        mine = ev["splits"]["forget"]["records"]
        assert [r["question"] for r in mine] == want
        assert ev["splits"]["holdout"]["source"].endswith(f"holdout_{k}.json")  # seed 3: neighbours of both kinds
        p = ks_2samp([r["log_truth_ratio"] for r in mine], [ref[r["question"]]["log_truth_ratio"] for r in mine]).pvalue
        got = json.loads((run / "result.json").read_text())["values"]["forget_quality"]
        assert got == pytest.approx(p, rel=1e-9)  # scipy vs scipy in float64


def test_unlearn_sequence_runs_on_the_request_files(kf, tmp_path):
    """`meow unlearn --sequence D/request1.json,D/request2.json --data D`: each step evaluated on every earlier request,
    the requests being whole entities of the known-facts folder."""
    import yaml

    from meow.benchmark.known_facts.requests import write_entity_requests
    from meow.evaluate import EvalConfig, evaluate, load_splits
    from meow.modeling import load_lm

    data = tmp_path / "kf"
    shutil.copytree(kf, data)
    entry = write_entity_requests(data, 2)
    model = tiny_model_folder(tmp_path / "model")
    splits, sources, absent = load_splits(data, "forget")
    evaluate(load_lm(model), splits, None, cfg=EvalConfig(max_new_tokens=2, mia_gradnorm=False, fluency=False),
             sources=sources, missing_splits=absent, progress=False).save(tmp_path / "ref")
    cfg = tmp_path / "seq.yaml"
    cfg.write_text(yaml.safe_dump({"method": "ga", "epochs": 1, "lr": 1e-3, "batch_size": 4, "grad_accum": 1,
                                   "eval_max_new_tokens": 2, "retain_eval": str(tmp_path / "ref")}))
    files = ",".join(str(data / f"{n}.json") for n in entry["files"])
    assert main(["unlearn", "--model", str(model), "--config", str(cfg), "--sequence", files, "--data", str(data),
                 "--out", str(tmp_path / "out"), "--no-progress"]) == 0
    for k in (1, 2):
        per = json.loads((tmp_path / "out" / f"step_{k}" / "requests.json").read_text())
        assert sorted(per) == [str(j) for j in range(1, k + 1)]  # every earlier request after step k
        ev = json.loads((tmp_path / "out" / f"step_{k}" / "eval" / "eval.json").read_text())
        union = [r["question"] for name in entry["files"][:k] for r in _lines(data / f"{name}.json")]
        assert [r["question"] for r in ev["splits"]["forget"]["records"]] == union
    points = json.loads((tmp_path / "out" / "plots" / "sequence_points.json").read_text())
    for column in ("kf_forget_question", "kf_forget_adversarial", "kf_neighbour", "forget_rouge_l"):
        assert [p[0] for p in points["sustainability"][column]["ga"]] == [1, 2]  # the known-facts columns drawn
    assert {j: [p[0] for p in pts] for j, pts in points["requests"]["ga"].items()} == {"1": [1, 2], "2": [2]}
