"""`--schedule reference` (Carol-gutianle/MEOW meow/dataset.py TextForgetDatasetMeow + meow/tofu/forget.py) and
`--loss-reduction token` (the Hugging Face causal-LM loss)."""

from __future__ import annotations

import json

import pytest
import torch
from tolerances import MAX_LOGIT, logprob_bound, reorder

from meow.data import load_records
from meow.unlearn.config import resolve_configs
from meow.unlearn.data import UnlearnCollator, build_rows, encoder
from meow.unlearn.losses import nll
from meow.unlearn.methods import METHODS
from meow.unlearn.run import unlearn
from meow.unlearn.schedule import FlatCollator, QuestionDataset, reference_steps, rows_per_question
from meow.unlearn.select import select_inverted


def test_rows_per_question_as_the_reference():
    assert rows_per_question("meow", True, 0) == 4  # meow_memo: the collator keeps the first 4 of 8 rows
    assert rows_per_question("meow_gd", True, 0) == 8 and rows_per_question("meow_kl", True, 0) == 8
    assert rows_per_question("npo", False, 0) == 1 and rows_per_question("meow", True, 6) == 6


def test_reference_steps():
    # forget01 (40 questions), 10 epochs, batch 4 x accumulation 4 x 2 GPUs, as scripts/forget.sh runs it
    assert reference_steps(40, 10, 32) == (12, 1)
    assert reference_steps(400, 10, 32) == (125, 12)
    assert reference_steps(400, 10, 32, max_steps=7) == (7, 12)


def test_question_items_cycle_the_selected_facts(tiny_lm, unlearn_files):
    forget = load_records(unlearn_files["forget"])[:2]
    selected = select_inverted(forget, 3, "largest")
    rows = build_rows(METHODS.get("meow")(), tiny_lm, forget, selected, 512, seed=0)
    enc = encoder(tiny_lm, 512)
    retain = [enc(f"q{i}", "a") for i in range(5)]
    ds = QuestionDataset(rows, 4, retain)
    assert len(ds) == 2
    for q in range(2):
        facts = [selected[q][i % 3] for i in range(4)]  # top_keys[i % top_k]
        assert [it["alt"] for it in ds[q]] == [enc(forget[q]["question"], forget[q]["inverted_answers"][j])
                                               for j in facts]
        assert all(it["retain"] == retain[q] for it in ds[q])  # retain_data[idx], whatever the epoch


def test_token_reduction_equals_the_hugging_face_loss_on_a_flattened_batch(tiny_lm, unlearn_files):
    forget = load_records(unlearn_files["forget"])[:3]
    rows = build_rows(METHODS.get("meow")(), tiny_lm, forget, select_inverted(forget, 2, "largest"), 512, seed=0)
    ds = QuestionDataset(rows, 4)
    batch = FlatCollator(UnlearnCollator(tiny_lm.tokenizer.pad_token_id))([ds[0], ds[1], ds[2]])
    g = batch["alt"]
    assert g["input_ids"].shape[0] == 12
    with torch.no_grad():
        out = tiny_lm.model(input_ids=g["input_ids"], attention_mask=g["attention_mask"], labels=g["labels"])
        ours = nll(out.logits, g["labels"], "token")
    # the same float32 logits (|z| < MAX_LOGIT), two log-softmax kernels: each log-prob within logprob_bound of the
    # exact one, and each side's token mean a float32 sum of n terms in its own order (tolerances.reorder)
    assert float(out.logits.abs().max()) < MAX_LOGIT
    n = int((g["labels"][:, 1:] != -100).sum())
    bound = 2 * logprob_bound(out.logits.shape[-1], 0.0, MAX_LOGIT) + 2 * reorder(n, n * float(out.loss)) / n
    assert float(ours) == pytest.approx(float(out.loss), abs=bound)


def test_reference_schedule_end_to_end(tiny_model_dir, unlearn_files, tmp_path):
    from accelerate.state import AcceleratorState, PartialState

    n = len(load_records(unlearn_files["forget"]))
    cfg, m = resolve_configs(None, {"method": "meow_gd", "schedule": "reference", "loss_reduction": "token",
                                    "batch_size": 2, "grad_accum": 1, "epochs": 2, "lr": 1e-3, "top_k": 2,
                                    "select": "largest", "logging_steps": 1})
    try:
        s = unlearn(str(tiny_model_dir), str(unlearn_files["forget"]), str(tmp_path / "ref"), cfg, m,
                    retain=str(unlearn_files["retain"]))
    finally:
        AcceleratorState._reset_state(True)
        PartialState._reset_state()
    assert s["items"] == n and s["rows"] == 2 * n  # one item per question, 2 selected facts each
    assert s["steps"] == reference_steps(n, 2, 2)[0] == n  # 2 epochs x n questions / 2 per step
    logs = [json.loads(line) for line in (tmp_path / "ref" / "train_log.jsonl").read_text().splitlines()]
    assert len([r for r in logs if "loss" in r]) == n
