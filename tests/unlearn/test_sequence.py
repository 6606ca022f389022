"""`meow unlearn --sequence`: 3 requests on the built-in benchmark with the tiny model, per-request evaluation of every
earlier request, resume after an interrupted step, MEOW's per-request inversion + MEMO, and the sustainability
plot's points."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from meow.cli import main
from meow.errors import MeowError

OPTIONS = {"method": "npo", "epochs": 2, "lr": 1e-3, "batch_size": 2, "grad_accum": 1, "eval_max_new_tokens": 12,
           "memo_max_new_tokens": 12}


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def requests(tiny_bench_dir, tmp_path_factory):
    """The forget10 records (one author, 6 questions) as 3 disjoint requests of 2 questions."""
    root = tmp_path_factory.mktemp("requests")
    recs = _jsonl(tiny_bench_dir / "forget10.json")
    files = []
    for k in range(3):
        f = root / f"request{k + 1}.json"
        f.write_text("".join(json.dumps(r) + "\n" for r in recs[2 * k:2 * k + 2]))
        files.append(f)
    return files


@pytest.fixture(scope="module")
def target_eval(tiny_bench_dir, tiny_lm, tmp_path_factory):
    """An evaluation on forget10 standing in for the retain model's (the per-request slicing is what is tested)."""
    from meow.evaluate import EvalConfig, evaluate, load_splits

    out = tmp_path_factory.mktemp("ref") / "eval"
    splits, sources, absent = load_splits(tiny_bench_dir, "forget10")
    evaluate(tiny_lm, splits, None, cfg=EvalConfig(max_new_tokens=12), sources=sources, missing_splits=absent,
             progress=False).save(out)
    return out


def _config(tmp: Path, requests: list[Path], retain_eval: Path, **extra) -> Path:
    cfg = tmp / "seq.yaml"
    cfg.write_text(yaml.safe_dump({**OPTIONS, "retain_eval": str(retain_eval),
                                   "requests": [str(f) for f in requests], **extra}))
    return cfg


@pytest.fixture(scope="module")
def sequence(tiny_bench_dir, tiny_model_dir, requests, target_eval, tmp_path_factory):
    """The CLI with a `requests:` list in its YAML config."""
    tmp = tmp_path_factory.mktemp("seq")
    out = tmp / "out"
    assert main(["unlearn", "--model", str(tiny_model_dir), "--config", str(_config(tmp, requests, target_eval)),
                 "--retain", str(tiny_bench_dir / "retain90.json"), "--data", str(tiny_bench_dir),
                 "--out", str(out)]) == 0
    return out


def _by_question(eval_dir: Path) -> dict[str, dict]:
    data = json.loads((eval_dir / "eval.json").read_text())
    return {r["question"]: r for r in data["splits"]["forget"]["records"]}


def test_each_request_starts_from_the_previous_model(sequence, tiny_model_dir):
    starts = [json.loads((sequence / f"step_{k}" / "model" / "unlearn_summary.json").read_text())["model"]
              for k in (1, 2, 3)]
    assert starts == [str(tiny_model_dir), str(sequence / "step_1" / "model"), str(sequence / "step_2" / "model")]
    for k in (1, 2, 3):
        assert (sequence / f"step_{k}" / "model" / "meow.json").is_file()
    table = json.loads((sequence / "sequence.json").read_text())
    assert [s["index"] for s in table["steps"]] == [1, 2, 3] and table["method"] == "npo"


def test_every_earlier_request_is_evaluated_after_each_step(sequence, requests, target_eval):
    from scipy.stats import ks_2samp

    retain = _by_question(target_eval)
    for k in (1, 2, 3):
        step = sequence / f"step_{k}"
        mine = _by_question(step / "eval")
        per = json.loads((step / "requests.json").read_text())
        assert sorted(per) == [str(j) for j in range(1, k + 1)]
        assert sorted(mine) == sorted(r["question"] for f in requests[:k] for r in _jsonl(f))  # the union
        for j in range(1, k + 1):
            qs = [r["question"] for r in _jsonl(requests[j - 1])]
            rouge = sum(mine[q]["rouge_l_recall"] for q in qs) / len(qs)
            # same two float64 values summed in the same order as the summary: equal up to one rounding step
            assert per[str(j)]["splits"]["forget"]["rouge_l_recall"]["value"] == pytest.approx(rouge, rel=1e-12)
            p = ks_2samp([mine[q]["log_truth_ratio"] for q in qs], [retain[q]["log_truth_ratio"] for q in qs]).pvalue
            assert per[str(j)]["forget_quality"]["value"] == pytest.approx(p, rel=1e-9)  # scipy vs scipy, float64
        union = list(mine)
        p = ks_2samp([mine[q]["log_truth_ratio"] for q in union], [retain[q]["log_truth_ratio"] for q in union]).pvalue
        summary = json.loads((step / "eval" / "summary.json").read_text())
        assert summary["forget_quality"]["value"] == pytest.approx(p, rel=1e-9)  # the union vs the same questions
    # request 1 is measured again under the later models: its answers' NLL moved with every step
    q1 = [r["question"] for r in _jsonl(requests[0])]
    nll = [sum(_by_question(sequence / f"step_{k}" / "eval")[q]["nll_answer"] for q in q1) for k in (1, 2, 3)]
    assert len(set(nll)) == 3


def test_plot_points_are_the_step_values(sequence, requests):
    points = json.loads((sequence / "plots" / "sequence_points.json").read_text())
    for name in ("sustainability.png", "sustainability_requests.png"):
        assert (sequence / "plots" / name).stat().st_size > 0
    for k, (x, y) in enumerate(points["sustainability"]["forget_rouge_l"]["npo"], 1):
        recs = list(_by_question(sequence / f"step_{k}" / "eval").values())
        assert x == k and y == pytest.approx(sum(r["rouge_l_recall"] for r in recs) / len(recs), rel=1e-12)
    utility = [json.loads((sequence / f"step_{k}" / "eval" / "summary.json").read_text())["model_utility"]["value"]
               for k in (1, 2, 3)]
    assert [y for _, y in points["sustainability"]["model_utility"]["npo"]] == utility
    first = [r["question"] for r in _jsonl(requests[0])]
    line = points["requests"]["npo"]["1"]
    assert [x for x, _ in line] == [1, 2, 3]
    for k, y in line:
        mine = _by_question(sequence / f"step_{k}" / "eval")
        assert y == pytest.approx(sum(mine[q]["rouge_l_recall"] for q in first) / len(first), rel=1e-12)
    assert [x for x, _ in points["requests"]["npo"]["3"]] == [3]


def test_resume_after_an_interrupted_step(sequence, tiny_bench_dir, tiny_model_dir, requests, target_eval, tmp_path,
                                          monkeypatch):
    """An interrupted step leaves its .partial folder and no step_k; the re-run reuses the finished steps."""
    import meow.unlearn.run as run_mod
    from meow.unlearn import resolve_configs
    from meow.unlearn.sequence import run_sequence

    out = tmp_path / "out"
    shutil.copytree(sequence, out, ignore=shutil.ignore_patterns("step_3", ".meow.lock"))
    (out / ".step_3.partial").mkdir()  # what an interruption inside step 3 leaves
    (out / ".step_3.partial" / "junk").write_text("x")
    calls: list[str] = []
    real = run_mod.unlearn

    def counting(model, forget, *a, **k):
        calls.append(model)
        return real(model, forget, *a, **k)

    monkeypatch.setattr(run_mod, "unlearn", counting)
    cfg, method = resolve_configs(None, {**OPTIONS, "retain_eval": str(target_eval)})
    kw = {"retain": str(tiny_bench_dir / "retain90.json"), "data": tiny_bench_dir}
    before = (out / "step_2" / "step.json").stat().st_mtime_ns
    table = run_sequence(str(tiny_model_dir), [str(f) for f in requests], out, cfg, method, **kw)
    # the copied steps hold the keys of the same inputs and options: only step 3 runs, from step 2's model
    assert calls == [str(out / "step_2" / "model")]
    assert (out / "step_2" / "step.json").stat().st_mtime_ns == before
    assert not (out / ".step_3.partial").exists() and (out / "step_3" / "step.json").is_file()
    assert [s["index"] for s in table["steps"]] == [1, 2, 3]
    # a changed request 2 re-runs step 2 and (its start changed) step 3; step 1 is reused
    calls.clear()
    changed = tmp_path / "request2.json"
    changed.write_text(requests[1].read_text().splitlines()[0] + "\n")
    run_sequence(str(tiny_model_dir), [str(requests[0]), str(changed), str(requests[2])], out, cfg, method, **kw)
    assert calls == [str(out / "step_1" / "model"), str(out / "step_2" / "model")]


def test_meow_inverts_and_scores_memo_under_the_current_model(tiny_bench_dir, tiny_model_dir, requests, tmp_path):
    from meow.data import load_records
    from meow.memo import score_records
    from meow.modeling import load_lm
    from meow.unlearn import resolve_configs
    from meow.unlearn.sequence import run_sequence

    cfg, method = resolve_configs(None, {**OPTIONS, "method": "meow", "top_k": 2, "epochs": 1})
    out = tmp_path / "meow"
    run_sequence(str(tiny_model_dir), [str(f) for f in requests[:2]], out, cfg, method, invert_n=3)
    forget = load_records(out / "step_2" / "forget.json")
    assert all(len(r["inverted_answers"]) == 3 and "memo" not in r for r in forget)  # rules backend, fresh
    computed = load_records(out / "step_2" / "model" / "forget_memo.json")
    expected = score_records(load_lm(out / "step_1" / "model"), forget, max_new_tokens=12)  # step 1's model
    for got, want in zip(computed, expected):
        # the same model, prompts and greedy decoding: the same generations, so the same ROUGE ratios exactly
        assert got["memo"]["inverted_answers"] == want["memo"]["inverted_answers"]
        assert got["memo"]["answer"] == want["memo"]["answer"]


@pytest.mark.parametrize("argv,message", [
    (["--sequence", "a.json"], "at least 2"),
    (["--sequence", "a.json,a.json"], "given twice"),
    (["--sequence", "a.json,b.json", "--forget", "c.json"], "not both"),
    ([], "give --forget FILE"),
    (["--forget", "a.json", "--data", "d"], "only applies with --sequence"),
])
def test_cli_refuses(tiny_model_dir, tmp_path, capsys, argv, message):
    assert main(["unlearn", "--model", str(tiny_model_dir), "--out", str(tmp_path / "o"), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_overlapping_requests_are_refused(tiny_model_dir, requests, tmp_path):
    from meow.unlearn import resolve_configs
    from meow.unlearn.sequence import run_sequence

    cfg, method = resolve_configs(None, OPTIONS)
    both = tmp_path / "both.json"
    both.write_text(requests[0].read_text() + requests[1].read_text())
    with pytest.raises(MeowError, match="must be disjoint"):
        run_sequence(str(tiny_model_dir), [str(requests[0]), str(both)], tmp_path / "o", cfg, method)
    assert not (tmp_path / "o").exists()


def test_a_request_without_evaluation_fields_is_refused_before_training(tiny_model_dir, requests, tmp_path):
    from meow.unlearn import resolve_configs
    from meow.unlearn.sequence import run_sequence

    cfg, method = resolve_configs(None, OPTIONS)
    bare = tmp_path / "bare.json"
    bare.write_text("".join(json.dumps({"question": r["question"], "answer": r["answer"]}) + "\n"
                            for r in _jsonl(requests[1])))
    with pytest.raises(MeowError, match=r"bare\.json: record 0: field 'paraphrased_answer'"):
        run_sequence(str(tiny_model_dir), [str(requests[0]), str(bare)], tmp_path / "o", cfg, method)
    assert not list((tmp_path / "o").glob("step_*"))


def test_report_of_a_folder_of_sequences(sequence, capsys):
    root = sequence.parent  # holds out/ (the sequence) and seq.yaml
    assert main(["report", str(root), "--force"]) == 0
    points = json.loads((root / "report" / "sequence_points.json").read_text())
    assert points["sustainability"] == json.loads((sequence / "plots" / "sequence_points.json").read_text())[
        "sustainability"]
    text = (root / "report" / "report.md").read_text()
    assert "plots/sustainability.png" in text and (root / "report" / "plots" / "sustainability.png").is_file()


def test_text_requests_are_measured_with_muse_sets(tiny_muse_dir, tiny_muse_model_dir, tmp_path):
    """MUSE's sustainability setting: the forget articles in 2 disjoint chunks, eval-muse after each step."""
    from meow.benchmark.requests import text_requests
    from meow.evaluate.muse.evaluator import MuseConfig
    from meow.report.sequence import sequence_points
    from meow.unlearn import resolve_configs
    from meow.unlearn.sequence import run_sequence

    files, _ = text_requests(json.loads((tiny_muse_dir / "raw" / "forget.json").read_text()), 2)
    paths = []
    for i in (1, 2):
        paths.append(tmp_path / f"forget_{i}.json")
        paths[-1].write_text(json.dumps(files[f"sust/forget_{i}.json"]))
    cfg, method = resolve_configs(None, {**OPTIONS, "method": "ga", "max_length": 128})
    out = tmp_path / "seq"
    mcfg = MuseConfig(verbmem_max_new_tokens=8, knowmem_max_new_tokens=8, mia_gradnorm=False)
    table = run_sequence(str(tiny_muse_model_dir), [str(p) for p in paths], out, cfg, method, data=tiny_muse_dir,
                         eval_cfg=mcfg)
    assert [s["index"] for s in table["steps"]] == [1, 2]
    for k in (1, 2):
        ev = json.loads((out / f"step_{k}" / "eval" / "eval.json").read_text())
        summary = json.loads((out / f"step_{k}" / "eval" / "summary.json").read_text())
        assert summary["kind"] == "muse" and json.loads((out / f"step_{k}" / "requests.json").read_text()) == {}
        recs = ev["sets"]["knowmem_forget"]["records"]
        # summarize_muse reports ROUGE-L F1 means x 100 (MUSE's scale); the same float64 sum, then one product
        mean = 100 * sum(r["rouge_l_f1"] for r in recs) / len(recs)
        assert summary["knowmem_forget"]["value"] == pytest.approx(mean, rel=1e-12)
    series, _, _ = sequence_points([out])
    assert [x for x, _ in series["knowmem_forget"]["ga"]] == [1, 2]
    assert series["knowmem_forget"]["ga"][1][1] == pytest.approx(mean, rel=1e-12)


def test_lora_steps_are_merged_so_the_next_request_can_start_from_them(tiny_model_dir, requests, tmp_path, capsys):
    from safetensors.torch import load_file

    from meow.unlearn import resolve_configs
    from meow.unlearn.sequence import run_sequence

    cfg, method = resolve_configs(None, {**OPTIONS, "lora_r": 2, "lr": 1e-2})
    out = tmp_path / "lora"
    run_sequence(str(tiny_model_dir), [str(f) for f in requests[:2]], out, cfg, method)
    assert "merged into the saved model" in capsys.readouterr().err
    weights = [load_file(out / f"step_{k}" / "model" / "model.safetensors") for k in (1, 2)]
    start = load_file(tiny_model_dir / "model.safetensors")
    name = next(k for k in start if k.endswith("q_proj.weight"))
    # each step is a full model (no adapter files) whose LoRA update moved the weights from the previous one
    assert not (out / "step_2" / "model" / "adapter_config.json").exists()
    assert not weights[0][name].equal(start[name]) and not weights[1][name].equal(weights[0][name])
