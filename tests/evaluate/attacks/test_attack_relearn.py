"""The relearning attack: the split, the fine-tuning (against a plain AdamW loop) and the before/after numbers."""

from __future__ import annotations

import json

import pytest
import torch
from attack_refs import ref_generate, ref_mean, ref_states
from scipy.stats import ks_2samp

from meow.cli import main
from meow.errors import MeowError
from meow.evaluate import EvalConfig, evaluate
from meow.evaluate.attacks import RelearnConfig, run_attack
from meow.evaluate.attacks.relearn import relearned_copy, split_indices

MAX_NEW = 24


def test_split_indices_partition_and_seed():
    learn, rest = split_indices(6, 0.5, seed=0)
    assert len(learn) == 3 and sorted(learn + rest) == list(range(6))
    assert (learn, rest) == split_indices(6, 0.5, seed=0)
    assert any(split_indices(6, 0.5, seed=s)[0] != learn for s in range(1, 5))
    assert [len(split_indices(5, f, 0)[0]) for f in (0.01, 0.5, 0.99)] == [1, 2, 4]  # at least one on each side
    with pytest.raises(MeowError, match="at least 2 forget records"):
        split_indices(1, 0.5, 0)


def _state(model) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def test_relearned_copy_is_plain_adamw_on_a_copy(tiny_lm, forget_records):
    """One record, batch 1: every step sees the same row, so the Trainer's run must equal a hand-written loop
    (AdamW, constant learning rate, gradient norm clipped to 1 as the Trainer does, answer-token loss)."""
    import copy

    from meow.modeling import LM

    # float64 both sides, since equality is the claim: in float32, AdamW's division by sqrt(v) turns a rounding
    # difference in a nearly cancelling gradient entry into a sizeable relative one (the loops may sum in other
    # orders); float64's 2^29 times smaller rounding brings that to ~1e-13, and 1e-9 leaves a 1e4 margin while
    # staying 1e5 below how far 3 steps at lr 1e-3 move a weight
    tiny_lm = LM(copy.deepcopy(tiny_lm.model).double(), tiny_lm.tokenizer, tiny_lm.fmt, dict(tiny_lm.meta))
    rec = forget_records[0]
    before = _state(tiny_lm.model)
    cfg = RelearnConfig(steps=3, lr=1e-3, train_batch_size=1)
    twin = relearned_copy(tiny_lm, [rec], cfg)
    assert all(torch.equal(v, tiny_lm.model.state_dict()[k]) for k, v in before.items())  # the original is untouched

    ref = copy.deepcopy(tiny_lm.model).train()
    tok = tiny_lm.tokenizer
    p = tok(f"Question: {rec['question']}\nAnswer:")["input_ids"]
    c = tok(" " + rec["answer"], add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
    ids, labels = torch.tensor([p + c]), torch.tensor([[-100] * len(p) + c])
    opt = torch.optim.AdamW(ref.parameters(), lr=1e-3, weight_decay=0.0)
    for _ in range(3):
        ref(input_ids=ids, labels=labels).loss.backward()
        torch.nn.utils.clip_grad_norm_(ref.parameters(), 1.0)
        opt.step()
        opt.zero_grad()
    got = twin.model.state_dict()
    assert any(not torch.equal(got[k], before[k]) for k in before)
    for k, v in ref.state_dict().items():
        assert got[k].dtype == torch.float64 and float((got[k] - v).abs().max()) < 1e-9


def test_relearn_attack_numbers(tiny_lm, blank_lm, forget_records):
    opts = {"steps": 2, "lr": 5e-3, "train_batch_size": 2, "max_new_tokens": MAX_NEW, "seed": 3}
    res = run_attack("relearn", tiny_lm, forget_records, retain_lm=blank_lm, progress=False, **opts)
    learn, rest = split_indices(len(forget_records), 0.5, seed=3)
    info = res["summary"]["attack"]
    assert (info["relearned"], info["held_out"]) == (learn, rest)
    held = [forget_records[i] for i in rest]
    rows = res["eval"]["splits"]["forget"]["records"]
    assert [r["forget_index"] for r in rows] == rest and [r["question"] for r in rows] == [h["question"] for h in held]

    cfg = RelearnConfig(**opts)
    twin = relearned_copy(tiny_lm, [forget_records[i] for i in learn], cfg)  # seeded: the same model again
    after = [ref_generate(twin, f"Question: {h['question']}\nAnswer:", MAX_NEW) for h in held]
    before = [ref_generate(tiny_lm, f"Question: {h['question']}\nAnswer:", MAX_NEW) for h in held]
    assert [r["generation"] for r in rows] == after
    m = info["metrics"]
    hit_after = ref_mean([ref_states(g, h["fact"]) for g, h in zip(after, held)])
    hit_before = ref_mean([ref_states(g, h["fact"]) for g, h in zip(before, held)])
    assert (m["fact_hit"]["before"], m["fact_hit"]["after"]) == (pytest.approx(hit_before), pytest.approx(hit_after))
    assert m["fact_hit"]["change"] == pytest.approx(hit_after - hit_before)

    retain_rows = res["parts"]["retain_model"]["eval"]["splits"]["forget"]["records"]
    retain_hit = ref_mean([ref_states(r["generation"], h["fact"]) for r, h in zip(retain_rows, held)])
    assert m["fact_hit"]["retain_after"] == pytest.approx(retain_hit)
    assert m["fact_hit"]["gap"] == pytest.approx(hit_after - retain_hit)
    p = ks_2samp([r["truth_ratio"] for r in rows], [r["truth_ratio"] for r in retain_rows]).pvalue
    assert m["forget_quality"]["after"] == pytest.approx(p)
    before_rows = res["parts"]["before"]["eval"]["splits"]["forget"]["records"]
    retain_before = res["parts"]["retain_model_before"]["eval"]["splits"]["forget"]["records"]
    p0 = ks_2samp([r["truth_ratio"] for r in before_rows], [r["truth_ratio"] for r in retain_before]).pvalue
    assert m["forget_quality"]["before"] == pytest.approx(p0)


def test_relearn_cli_with_retain_eval(tiny_model_dir, tiny_bench_dir, blank_lm, forget_records, tmp_path, capsys):
    """--retain-eval: the retain model's evaluation, restricted to the held-out questions, is the KS reference."""
    retain = evaluate(blank_lm, {"forget": forget_records}, cfg=EvalConfig(max_new_tokens=4, mia=False,
                                                                           fluency=False), progress=False)
    retain.save(tmp_path / "retain_eval")
    out = tmp_path / "attack"
    assert main(["attack", "relearn", "--model", str(tiny_model_dir), "--data", str(tiny_bench_dir),
                 "--out", str(out), "--retain-eval", str(tmp_path / "retain_eval"), "--steps", "1",
                 "--lr", "1e-3", "--max-new-tokens", "8", "--relearn-fraction", "0.34"]) == 0
    assert "forget quality" in capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text())
    ev = json.loads((out / "eval.json").read_text())
    config = json.loads((out / "config.json").read_text())
    assert (out / "before" / "eval.json").is_file() and not (out / "retain_model").exists()
    assert config["options"]["steps"] == 1 and config["retain_eval"] == str(tmp_path / "retain_eval")
    held = summary["attack"]["held_out"]
    assert len(held) == 4 and ev["attack"]["held_out"] == held
    reference = [retain.records("forget")[i]["truth_ratio"] for i in held]
    p = ks_2samp([r["truth_ratio"] for r in ev["splits"]["forget"]["records"]], reference).pvalue
    assert summary["forget_quality"]["value"] == pytest.approx(p)
    assert summary["attack"]["metrics"]["forget_quality"]["after"] == pytest.approx(p)
    assert "warning" not in summary["forget_quality"]  # same questions on both sides
