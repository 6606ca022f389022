"""`meow demo --model DIR` end to end on a tiny random model that "knows" some bank facts (its greedy answers to
bank questions are replaced by chosen ones; every other generation is the model's own)."""

from __future__ import annotations

from pathlib import Path

import pytest

from meow.benchmark.known_facts import load_bank
from meow.demo.known_facts import KnownFactsDemoConfig, estimate, merge_inverted, run_known_facts_demo
from meow.errors import MeowError
from meow.modeling import PromptFormat


@pytest.fixture(scope="module")
def tiny_model_folder(tmp_path_factory) -> Path:
    from meow.modeling.lm import LM, prepare_tokenizer, save_lm
    from meow.modeling.tiny import TinyConfig, build_tiny_model, record_texts, train_tokenizer

    tok = train_tokenizer(record_texts([f.record() for f in load_bank()]), vocab_size=400)
    model = build_tiny_model(tok, TinyConfig(hidden_size=16, layers=8, heads=2, intermediate_size=32,
                                             vocab_size=400, max_positions=512))
    return save_lm(LM(model, prepare_tokenizer(tok), PromptFormat()), tmp_path_factory.mktemp("m") / "tiny")


def _knowing_generate(known: set[str]):
    """Bank questions of `known` entities answered with the true answer, other bank questions wrongly; any other
    prompt goes to meow's own generation."""
    from meow.modeling import generation

    real = generation.generate
    facts = {f"Question: {f.question}\nAnswer:": f for f in load_bank()}

    def generate(lm, prompts, max_new_tokens=200, batch_size=64, temperature=0.0, seed=0, desc=None):
        rest = [p for p in prompts if p not in facts]
        theirs = iter(real(lm, rest, max_new_tokens, batch_size, temperature, seed, desc) if rest else [])
        return [(facts[p].answer if facts[p].entity in known else "No idea.") if p in facts else next(theirs)
                for p in prompts]

    return generate


def test_demo_on_a_model(tmp_path, monkeypatch, tiny_model_folder, capsys):
    ents = list(dict.fromkeys(f.entity for f in load_bank()))
    monkeypatch.setattr("meow.modeling.generation.generate", _knowing_generate(set(ents[:20])))
    cfg = KnownFactsDemoConfig(model=str(tiny_model_folder), forget_entities=1, neighbours=1, methods=["meow", "rmu"],
                               attacks=["paraphrase", "relearn"], unlearn_epochs=1.0, eval_limit=6,
                               eval_max_new_tokens=4, memo_max_new_tokens=4, hf_max_new_tokens=8, relearn_steps=1,
                               n_inverted=2, threads=1)
    out = run_known_facts_demo(tmp_path / "run", cfg)
    rows = {r["name"]: r["values"] for r in out["table"]["rows"]}
    assert set(rows) == {"target", "meow", "rmu"}
    assert rows["target"]["kf_forget_question"] == 1.0  # the probe kept only what it "knew"
    assert rows["target"]["kf_neighbour"] == 1.0 and rows["target"]["kf_general"] == 1.0
    assert "estimate" in capsys.readouterr().out
    run = tmp_path / "run"
    assert (run / "models" / "meow" / "adapter_config.json").is_file()  # LoRA by default
    assert not (run / "models" / "rmu" / "adapter_config.json").exists()  # RMU trains its own matrices
    for name in ("target", "meow", "rmu"):
        assert (run / "evals" / name / "summary.json").is_file()
    assert (run / "attacks" / "meow" / "relearn" / "summary.json").is_file()
    assert (run / "attacks" / "target" / "paraphrase" / "summary.json").is_file()
    again = run_known_facts_demo(run, cfg)
    assert all(reused for _, _, reused in again["timings"])  # every stage reused


def test_merge_inverted(tmp_path):
    from meow.io import write_records

    a = [{"question": "q1", "answer": "a", "inverted_answers": ["x", "y"]}]
    b = [{"question": "q1", "answer": "a", "inverted_answers": ["y", "z"]}]
    write_records(tmp_path / "a.json", a)
    write_records(tmp_path / "b.json", b)
    merge_inverted([tmp_path / "a.json", tmp_path / "b.json"], tmp_path / "m.json")
    from meow.data import load_records

    (rec,) = load_records(tmp_path / "m.json")
    assert rec["inverted_answers"] == ["x", "y", "z"]


def test_estimate_scales_with_the_measured_speed():
    cfg = KnownFactsDemoConfig(model="m")
    one, two = estimate(cfg, 0.01, 410), estimate(cfg, 0.02, 410)
    assert set(one) == {"benchmark", "invert", "memo", "unlearn", "eval", "attack"}
    for k in one:  # every part is linear in the per-token cost
        assert two[k] == pytest.approx(2 * one[k], rel=1e-12)
    assert one["benchmark"] == pytest.approx(410 * cfg.probe_tokens * 0.01, rel=1e-12)


def test_model_argument_errors(tmp_path):
    from meow.demo.known_facts import check_model_argument

    with pytest.raises(MeowError, match="meow model get smollm2-135m-instruct --out DIR"):
        check_model_argument("smollm2-135m-instruct")
    with pytest.raises(MeowError, match="not a model folder"):
        KnownFactsDemoConfig(model=str(tmp_path)).validate()


def test_tofu_demo_fine_tunes_a_given_model(tmp_path, tiny_model_folder, capsys):
    """`meow demo --benchmark tofu --model DIR`: target and retain are fine-tunes of DIR (its weights' shapes and
    tokenizer), with the estimate printed first."""
    import json

    from meow.cli import main

    run = tmp_path / "run"
    rc = main(["demo", "--benchmark", "tofu", "--model", str(tiny_model_folder), "--out", str(run),
               "--authors", "10", "--qa-per-author", "2", "--background", "2", "--train-epochs", "1",
               "--methods", "ga", "--attacks", "", "--unlearn-epochs", "1", "--eval-max-new-tokens", "4",
               "--memo-max-new-tokens", "4", "--nlg-prefix-tokens", "0", "--threads", "1"])
    assert rc == 0
    assert "fine-tuning target and retain from" in capsys.readouterr().out
    base = json.loads((tiny_model_folder / "config.json").read_text())
    for name in ("target", "retain"):
        got = json.loads((run / "models" / name / "config.json").read_text())
        assert (got["hidden_size"], got["num_hidden_layers"], got["vocab_size"]) == (
            base["hidden_size"], base["num_hidden_layers"], base["vocab_size"])
    cfg = (run / "config.yaml").read_text()
    assert "train_lr: 1.0e-05" in cfg and str(tiny_model_folder) in cfg


def test_demo_seeds_and_sweep_on_known_facts(tmp_path, monkeypatch, tiny_model_folder):
    """--seeds 2 --sweep: the default point again with seed 1 (RUN/seeds/meow) and the method over the grid
    (RUN/sweeps/meow) with no retain model (the known-facts frontier: forget KFA vs neighbour KFA), and the report's
    frontier drawn from them."""
    import json

    ents = list(dict.fromkeys(f.entity for f in load_bank()))
    monkeypatch.setattr("meow.modeling.generation.generate", _knowing_generate(set(ents[:20])))
    cfg = KnownFactsDemoConfig(model=str(tiny_model_folder), forget_entities=1, neighbours=1, methods=["meow"],
                               attacks=[], unlearn_epochs=1.0, eval_limit=4, eval_max_new_tokens=3,
                               memo_max_new_tokens=3, hf_invert=False, n_inverted=2, threads=1, seeds=2, sweep=True,
                               sweep_grid="lr=1e-4,1e-3")
    out = run_known_facts_demo(tmp_path / "run", cfg)
    run = tmp_path / "run"
    sweep = json.loads((run / "sweeps" / "meow" / "sweep.json").read_text())
    assert sweep["benchmark"] == "known-facts" and sweep["retain"]["values"] == {}
    assert [p["point"]["lr"] for p in sweep["points"]] == [1e-4, 1e-3]
    assert all(p["seeds"] == [0, 1] for p in sweep["points"])
    first = sweep["points"][0]["values"]["kf_forget_max"]
    assert first["n"] == 2 and first["min"] <= first["mean"] <= first["max"]
    table_md = (run / "sweeps" / "meow" / "table.md").read_text()
    assert "forget KFA: highest over probe kinds" in table_md and "forget quality" not in table_md
    seeds = json.loads((run / "seeds" / "meow" / "sweep.json").read_text())
    assert seeds["seeds"] == [1] and seeds["benchmark"] == "known-facts"
    assert (run / "report" / "plots" / "frontier.png").is_file()
    row = next(r for r in out["table"]["rows"] if r["name"] == "meow")
    assert row["values"]["kf_forget_max"] is not None
