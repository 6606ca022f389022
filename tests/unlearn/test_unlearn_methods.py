"""Every method's loss on a real padded batch equals a slow reference: one unpadded row at a time, formulas
written out in plain Python. Checks the composition (terms, weights, groups), the data rows and the collator."""

from __future__ import annotations

import copy
import math

import pytest
import torch

from meow.data import load_records
from meow.unlearn.data import UnlearnCollator, UnlearnDataset, build_rows, encoder, idk_answer
from meow.unlearn.methods import IDK_ANSWERS, METHODS, Context
from meow.unlearn.select import select_inverted

# non-default hyperparameters, so that a field the loss ignores would show
PARAMS = {"forget_weight": 0.7, "retain_weight": 0.3, "kl_weight": 0.5, "beta": 0.3, "delta": 0.2}


def logsig(x: float) -> float:
    return -math.log1p(math.exp(-x))


@torch.no_grad()
def row_stats(model, ref_model, ids: list[int], labels: list[int]) -> dict[str, float]:
    """Sum of answer-token log-probs, answer length and mean per-token KL(ref || model), from one unpadded row."""
    x = torch.tensor([ids])
    logp = torch.log_softmax(model(input_ids=x).logits[0].double(), -1)
    ref = torch.log_softmax(ref_model(input_ids=x).logits[0].double(), -1)
    lp, kl, n = 0.0, 0.0, 0
    for t in range(1, len(ids)):
        if labels[t] == -100:
            continue
        lp += float(logp[t - 1, ids[t]])
        kl += float((ref[t - 1].exp() * (ref[t - 1] - logp[t - 1])).sum())
        n += 1
    return {"lp": lp, "n": n, "kl": kl / n}


def slow_loss(name: str, method, items: list[dict], stats: dict) -> float:
    w = {k: getattr(method, k, 0.0) for k in PARAMS}
    b, d = w["beta"], w["delta"]
    forget, alt, retain = stats.get("forget"), stats.get("alt"), stats.get("retain")
    mean = lambda xs: sum(xs) / len(xs)  # noqa: E731
    family = METHODS.get(name).__mro__[-3].__name__  # the family's root class, just below Method
    if family in ("Meow", "IDK"):
        term = mean([-s["lp"] / s["n"] for s in alt])
    elif family == "GradientAscent":
        term = -mean([-s["lp"] / s["n"] for s in forget])
    elif family == "NPO":
        term = mean([-2 / b * logsig(-b * (s["lp"] - it["ref"]["forget"])) for s, it in zip(forget, items)])
    elif family == "SimNPO":
        term = mean([-2 / b * logsig(-b / s["n"] * s["lp"] - d) for s in forget])
    elif family == "DPO":
        term = mean([-2 / b * logsig(b * ((a["lp"] - it["ref"]["alt"]) - (f["lp"] - it["ref"]["forget"])))
                     for a, f, it in zip(alt, forget, items)])
    else:
        raise AssertionError(family)
    total = w["forget_weight"] * term
    if w["retain_weight"]:
        total += w["retain_weight"] * mean([-s["lp"] / s["n"] for s in retain])
    if method.needs_ref_model:
        total += w["kl_weight"] * mean([s["kl"] for s in stats[method.kl_group]])
    return total


@pytest.fixture(scope="module")
def setup(tiny_lm, unlearn_files):
    forget = load_records(unlearn_files["forget"])[:2]
    retain = load_records(unlearn_files["retain"])
    ref_model = copy.deepcopy(tiny_lm.model)
    with torch.no_grad():  # a reference that differs from the model, so the KL term is not zero
        for p in ref_model.parameters():
            p.add_(0.05 * torch.randn(p.shape, generator=torch.Generator().manual_seed(p.numel())))
    return forget, retain, ref_model


FAMILIES = ("Meow", "IDK", "GradientAscent", "NPO", "SimNPO", "DPO")
COMPOSED = [n for n in METHODS.names() if METHODS.get(n).__mro__[-3].__name__ in FAMILIES]  # the rest: *_open.py


@pytest.mark.parametrize("name", COMPOSED)
def test_loss_matches_slow_reference(name, tiny_lm, setup):
    forget, retain, ref_model = setup
    cls = METHODS.get(name)
    method = cls(**{k: v for k, v in PARAMS.items() if k in cls.__dataclass_fields__})
    selected = select_inverted(forget, 2, "largest")
    rows = build_rows(method, tiny_lm, forget, selected if method.alt == "inverted" else None, 512, seed=0)
    assert len(rows) == (4 if method.alt == "inverted" else 2)  # MEOW: one row per (question, selected fact)
    for i, r in enumerate(rows):
        r["ref"] = {g: -3.0 - i for g in method.ref_logprobs}  # arbitrary cached reference log-probs
    enc = encoder(tiny_lm, 512)
    retain_rows = [enc(r["question"], r["answer"]) for r in retain] if "retain" in method.groups() else None
    dataset = UnlearnDataset(rows, retain_rows, seed=0)
    items = [dataset[i] for i in range(len(rows))]
    batch = UnlearnCollator(tiny_lm.tokenizer.pad_token_id)(items)
    assert set(batch) - {"ref"} == set(method.groups())

    ctx = Context(reference=lambda g: ref_model(input_ids=g["input_ids"], attention_mask=g["attention_mask"]).logits)
    with torch.no_grad():
        got = float(method.loss(tiny_lm.model, batch, ctx))
    stats = {g: [row_stats(tiny_lm.model, ref_model, it[g]["input_ids"], it[g]["labels"]) for it in items]
             for g in method.groups()}
    assert got == pytest.approx(slow_loss(name, method, items, stats), rel=1e-4, abs=1e-5)


def test_alt_rows_hold_the_selected_inverted_facts_and_idk_answers(tiny_lm, unlearn_files):
    forget = load_records(unlearn_files["forget"])[:2]
    selected = select_inverted(forget, 3, "smallest")
    rows = build_rows(METHODS.get("meow")(), tiny_lm, forget, selected, 512, seed=0)
    enc = encoder(tiny_lm, 512)
    want = [enc(forget[i]["question"], forget[i]["inverted_answers"][j]) for i in range(2) for j in selected[i]]
    assert [r["alt"] for r in rows] == want
    assert [r["source"] for r in rows] == [{"record": i, "inverted": j} for i in range(2) for j in selected[i]]
    idk = build_rows(METHODS.get("idk")(), tiny_lm, forget, None, 512, seed=0)
    assert idk[0]["alt"] == enc(forget[0]["question"], idk_answer(0, 0))
    assert idk_answer(0, 0) in IDK_ANSWERS and idk_answer(0, 0) == idk_answer(0, 0)
    assert "forget" not in rows[0] and "forget" not in idk[0]  # groups a method does not read are not built


def test_retain_rows_cycle_through_the_whole_retain_set():
    ds = UnlearnDataset([{"forget": {"input_ids": [1], "labels": [1]}}] * 3, [{"i": k} for k in range(7)], seed=0)
    seen = []
    for epoch in range(7):
        ds.set_epoch(epoch)
        seen += [ds[i]["retain"]["i"] for i in range(3)]
    assert sorted(seen) == sorted(list(range(7)) * 3)  # 21 draws = every retain row 3 times
    ds.set_epoch(0)
    assert [ds[i]["retain"] for i in range(3)] == [ds[i]["retain"] for i in range(3)]  # deterministic
