"""Every registered method's loss, under both reductions, on a real padded batch whose answers have different
lengths, equals a slow reference: one unpadded row at a time, in float64, formulas written out in plain Python.

"row" is the mean over rows of each row's per-token mean; "token" is the Hugging Face token mean, written out:
the sum of the per-token values over every answer token of the batch divided by the number of those tokens.
The token case runs as the trainer does (two micro-batches, `set_token_denominators`, the Trainer's 1/2), so the
result is the token mean of the whole batch. The registry is iterated: a new method fails here until its
reference formula is added to `slow_loss`."""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
import torch

from meow.data import load_records
from meow.unlearn.config import resolve_configs
from meow.unlearn.data import UnlearnCollator, UnlearnDataset, build_rows, encoder, idk_answer
from meow.unlearn.losses import control_vector
from meow.unlearn.methods import IDK_ANSWERS, METHODS, Context
from meow.unlearn.select import select_inverted
from meow.unlearn.trainer import set_token_denominators

# non-default hyperparameters, so that a field the loss ignores would show
PARAMS = {"forget_weight": 0.7, "retain_weight": 0.3, "kl_weight": 0.5, "beta": 0.3, "delta": 0.2, "beta1": 2.0,
          "beta2": 1.5, "ignore_first_tokens": 1, "retain_loss_eps": 0.2, "dual_warmup_epochs": 0.0,
          "layer": r"model\.layers\.0", "trainable": [".*"], "steering_coeff": 3.0}
TOL = 1e-10
ROWS = 4  # forget questions (one selected inverted fact each, so every method has 4 rows): 2 micro-batches of 2


def logsig(x: float) -> float:
    return -math.log1p(math.exp(-x))


@dataclass
class Reducer:
    """Reduces per-row lists of per-token values as `reduction` says, and remembers whether any term did."""

    reduction: str
    used: bool = field(default=False)

    def __call__(self, rows: list[list[float]]) -> float:
        self.used = True
        if self.reduction == "token":  # Hugging Face: sum over all answer tokens / their number
            return sum(v for r in rows for v in r) / sum(len(r) for r in rows)
        return sum(sum(r) / len(r) if r else 0.0 for r in rows) / len(rows)


@torch.no_grad()
def row_tokens(model, ref_model, ids: list[int], labels: list[int]) -> list[dict]:
    """Per answer token of one unpadded row (float64): its log-prob, the model's log-distribution and logits and
    the reference's logits at the predicting position, the model's logits at the token's own position (PDU),
    KL(ref || model) at the predicting position."""
    x = torch.tensor([ids])
    z = model(input_ids=x).logits[0].double()
    zr = ref_model(input_ids=x).logits[0].double()
    out = []
    for t in range(1, len(ids)):
        if labels[t] == -100:
            continue
        logp, ref = torch.log_softmax(z[t - 1], -1), torch.log_softmax(zr[t - 1], -1)
        out.append({"lp": float(logp[ids[t]]), "logp": logp, "y": ids[t], "z": z[t - 1], "zr": zr[t - 1],
                    "own": z[t], "kl": float((ref.exp() * (ref - logp)).sum())})
    return out


def token_values(name: str, m, toks: list[dict]) -> list[float]:
    """The per-token forget value of the token-level methods (open-unlearning src/trainer/utils.py, ceu.py,
    pdu.py; meow's own definitions for the rest)."""
    vals = []
    for k, tk in enumerate(toks):
        lp, p = tk["lp"], math.exp(tk["lp"])
        if name == "WGA":
            vals.append(p ** m.beta * lp)
        elif name == "SatImp":
            vals.append(p ** m.beta1 * (1 - p) ** m.beta2 * lp)
        elif name == "UNDIAL":
            teacher = tk["zr"].clone()
            teacher[tk["y"]] -= m.beta
            vals.append(-float((torch.softmax(teacher, -1) * tk["logp"]).sum()))
        elif name == "CEU" and k >= m.ignore_first_tokens:
            target = tk["z"].clone()
            target[tk["y"]] = -math.inf
            vals.append(-float((torch.softmax(target, -1) * tk["logp"]).sum()))
        elif name == "PDU":  # the logits at the labelled positions themselves
            vals.append(float(tk["own"].max() - tk["own"].mean()) ** 2)
    return vals


def slow_loss(name: str, method, items: list[dict], toks: dict, red: Reducer) -> float:
    w = {k: getattr(method, k, 0.0) for k in ("forget_weight", "retain_weight", "kl_weight", "beta", "delta")}
    b, d = w["beta"], w["delta"]
    forget, alt = toks.get("forget"), toks.get("alt")
    lp = lambda rows: [sum(t["lp"] for t in r) for r in rows]  # noqa: E731  (sequence log-probs)
    nll = lambda rows: red([[-t["lp"] for t in r] for r in rows])  # noqa: E731
    mean = lambda xs: sum(xs) / len(xs)  # noqa: E731
    family = METHODS.get(name).__mro__[-3].__name__  # the family's root class, just below Method
    if family in ("Meow", "IDK"):
        term = nll(alt)
    elif family == "GradientAscent":
        term = -nll(forget)
    elif family == "NPO":
        term = mean([-2 / b * logsig(-b * (s - it["ref"]["forget"])) for s, it in zip(lp(forget), items)])
    elif family == "SimNPO":
        term = mean([-2 / b * logsig(-b / len(r) * s - d) for s, r in zip(lp(forget), forget)])
    elif family == "DPO":
        term = mean([-2 / b * logsig(b * ((a - it["ref"]["alt"]) - (f - it["ref"]["forget"])))
                     for a, f, it in zip(lp(alt), lp(forget), items)])
    elif family in ("WGA", "SatImp", "UNDIAL", "CEU", "PDU"):
        term = red([token_values(family, method, r) for r in forget])
    else:
        raise AssertionError(f"no reference loss for method {name!r} (family {family}): add it to slow_loss")
    total = w["forget_weight"] * term
    if family == "PDU":  # lambda (= retain_weight at the start) times the slack below the bound
        return total + w["retain_weight"] * (nll(toks["retain"]) - method.retain_loss_eps)
    if w["retain_weight"]:
        total += w["retain_weight"] * nll(toks["retain"])
    if method.needs_ref_model and method.kl_group:
        total += w["kl_weight"] * red([[t["kl"] for t in r] for r in toks[method.kl_group]])
    return total


@torch.no_grad()
def slow_rmu(method, model, frozen, items: list[dict], red: Reducer) -> float:
    """MSE of layer 0's output to the control vector (forget) and to the frozen copy's (retain), averaged over
    the hidden dimension, then reduced over the positions of `activation_mask` (labels: where the unshifted label
    is set; attention: every token of the unpadded row)."""
    def h0(mod, g):
        return mod(input_ids=torch.tensor([g["input_ids"]]), output_hidden_states=True).hidden_states[1][0].double()

    def keep(g):
        return [t for t, y in enumerate(g["labels"]) if method.activation_mask == "attention" or y != -100]

    c = control_vector(model.config.hidden_size, method.steering_coeff, seed=5)[0, 0].double()
    f = red([((h0(model, it["forget"]) - c) ** 2).mean(-1)[keep(it["forget"])].tolist() for it in items])
    r = red([((h0(model, it["retain"]) - h0(frozen, it["retain"])) ** 2).mean(-1)[keep(it["retain"])].tolist()
             for it in items])
    return method.forget_weight * f + method.retain_weight * r


@pytest.fixture(scope="module")
def setup(tiny_lm, unlearn_files):
    """Forget and retain records, and float64 copies of the model and of a reference that differs from it (so the
    KL term is not zero): in float64 the batched loss and the row-at-a-time reference agree to ~1e-13, so a
    tolerance far below the row / token gap can be used."""
    forget = load_records(unlearn_files["forget"])[:ROWS]
    retain = load_records(unlearn_files["retain"])
    model = copy.deepcopy(tiny_lm.model).double().eval()
    ref_model = copy.deepcopy(model)
    with torch.no_grad():
        for p in ref_model.parameters():
            p.add_(0.05 * torch.randn(p.shape, generator=torch.Generator().manual_seed(p.numel())).double())
    return forget, retain, model, ref_model


def with_params(name: str):
    cls = METHODS.get(name)
    return cls(**{k: v for k, v in PARAMS.items() if k in cls.__dataclass_fields__})


def method_loss(method, model, items, collate, ctx: Context) -> float:
    """row: the whole batch; token: as the trainer runs it, 2 micro-batches with the accumulated batch's token
    counts (`set_token_denominators`), each loss divided by the number of micro-batches."""
    with torch.no_grad():
        if ctx.reduction == "row":
            return float(method.loss(model, collate(items), ctx))
        batches = [collate(items[:2]), collate(items[2:])]
        set_token_denominators(batches, method.token_kinds, processes=1)
        return sum(float(method.loss(model, b, ctx)) for b in batches) / len(batches)


def losses_both_ways(name: str, method, tiny_lm, setup) -> tuple[dict, dict, bool]:
    """({reduction: method's loss}, {reduction: slow reference}, whether the reference has a token-level term),
    on 4 forget questions (one row each), answers of different lengths in every group."""
    forget, retain, model, ref_model = setup
    rows = build_rows(method, tiny_lm, forget, select_inverted(forget, 1, "largest"), 512, seed=0)
    assert len(rows) == ROWS
    for i, r in enumerate(rows):
        r["ref"] = {g: -3.0 - i for g in method.ref_logprobs}  # arbitrary cached reference log-probs
    enc = encoder(tiny_lm, 512)
    retain_rows = [enc(r["question"], r["answer"]) for r in retain] if "retain" in method.groups() else None
    dataset = UnlearnDataset(rows, retain_rows, seed=0)
    items = [dataset[i] for i in range(len(rows))]
    collate = UnlearnCollator(tiny_lm.tokenizer.pad_token_id)
    assert set(collate(items)) - {"ref"} == set(method.groups())
    for g in method.groups():  # answers of different lengths, so the two reductions differ
        assert len({sum(y != -100 for y in it[g]["labels"]) for it in items}) > 1, g
    frozen = None
    if name == "rmu":  # a private copy moved away from the frozen one, so the retain term is not zero
        model = copy.deepcopy(model)
        method.setup(model, Context(), seed=5)
        frozen = copy.deepcopy(model)
        with torch.no_grad():
            for p in model.model.layers[0].mlp.parameters():
                p.add_(0.05 * torch.randn(p.shape, generator=torch.Generator().manual_seed(1)).double())
    toks = {g: [row_tokens(model, ref_model, it[g]["input_ids"], it[g]["labels"]) for it in items]
            for g in method.groups()}
    want, got, token_level = {}, {}, False
    for reduction in ("row", "token"):
        red = Reducer(reduction)
        want[reduction] = (slow_rmu(method, model, frozen, items, red) if name == "rmu"
                           else slow_loss(name, method, items, toks, red))
        token_level = red.used
        ctx = Context(reference=lambda g: ref_model(input_ids=g["input_ids"],
                                                     attention_mask=g["attention_mask"]).logits,
                      reduction=reduction)
        got[reduction] = method_loss(method, model, items, collate, ctx)
    return got, want, token_level


def apart(values: dict) -> bool:
    """The two reductions' values differ by far more than the tolerance."""
    return abs(values["row"] - values["token"]) > 1e3 * TOL * max(1.0, abs(values["row"]))


@pytest.mark.parametrize("name", METHODS.names())
def test_loss_matches_slow_reference_under_both_reductions(name, tiny_lm, setup):
    got, want, token_level = losses_both_ways(name, with_params(name), tiny_lm, setup)
    for reduction in ("row", "token"):
        # float64 both sides, only the summation order differs: a few hundred terms of size ~10 at eps 1.1e-16
        # give ~1e-13; TOL leaves three orders of magnitude
        assert got[reduction] == pytest.approx(want[reduction], rel=TOL, abs=TOL), reduction
    if token_level:  # the batch tells the reductions apart, so a method that ignored its reduction would fail
        assert apart(want), want
    else:  # only sequence-level terms (NPO alone): the reduction does not apply
        assert got["row"] == pytest.approx(got["token"], rel=TOL, abs=TOL), got


# open-unlearning's reduction of each method's loss, read from its code (src/trainer/unlearn/*.py, utils.py):
# "token" = HF `outputs.loss` or a mean over all masked tokens of the batch, "row" = per-row means averaged
OPEN_UNLEARNING = {
    "ga": "token",  # grad_ascent.py: -outputs.loss
    "gd": "token",  # grad_diff.py: -forget outputs.loss + alpha * retain outputs.loss
    "npo_gd": "token",  # npo.py: sequence-level NPO (per row) + alpha * retain outputs.loss
    "simnpo": "token",  # simnpo.py: per-row NLL sum / |y| + alpha * retain outputs.loss
    "dpo": "token",  # dpo.py / utils.compute_dpo_loss: sequence-level + retain outputs.loss
    "altpo": "token",  # the DPO trainer, as dpo
    "wga": "token",  # utils.compute_wga_loss: (w * lm_loss)[mask].mean()
    "satimp": "token",  # utils.compute_satimp_loss: the same
    "ceu": "token",  # ceu.py: cross entropy averaged over the valid positions of the batch
    "pdu": "token",  # pdu.py: (forget_loss * mask).sum() / mask.sum(); retain outputs.loss
    "rmu": "row",  # rmu.py::compute_activation_loss: per row sum / num_tokens, then .mean()
    "undial": "any",  # utils.compute_undial_loss: .mean() over every position (positions: all), padding included
}
CONFIGS = sorted((Path(__file__).resolve().parents[2] / "configs" / "open-unlearning").glob("*.yaml"))


@torch.no_grad()
def undial_all_positions(method, tiny_lm, setup) -> tuple[float, dict]:
    """UNDIAL with positions all (open-unlearning's `.mean()` over every position of the padded batch, a label
    -100 indexing vocabulary entry V - 100): the trainer's token loss over 2 micro-batches, and the reference
    written out per position, {"token": over all positions of both, "row": mean of the micro-batch means}."""
    forget, _, model, ref_model = setup
    rows = build_rows(method, tiny_lm, forget, None, 512, seed=0)
    collate = UnlearnCollator(tiny_lm.tokenizer.pad_token_id)
    batches = [collate(rows[:2]), collate(rows[2:])]
    assert batches[0]["forget"]["labels"].shape[1] != batches[1]["forget"]["labels"].shape[1]
    sums, counts = [], []
    for b in batches:
        g = b["forget"]
        z = model(input_ids=g["input_ids"], attention_mask=g["attention_mask"]).logits
        zr = ref_model(input_ids=g["input_ids"], attention_mask=g["attention_mask"]).logits
        total, n = 0.0, 0
        for r in range(z.shape[0]):
            for t in range(z.shape[1] - 1):
                y = int(g["labels"][r, t + 1])
                teacher = zr[r, t].clone()
                teacher[y if y >= 0 else z.shape[-1] + y] -= method.beta
                total += -float((torch.softmax(teacher, -1) * torch.log_softmax(z[r, t], -1)).sum())
                n += 1
        sums.append(total)
        counts.append(n)
    want = {"token": sum(sums) / sum(counts), "row": sum(s / n for s, n in zip(sums, counts)) / len(counts)}
    ctx = Context(reference=lambda g: ref_model(input_ids=g["input_ids"], attention_mask=g["attention_mask"]).logits,
                  reduction="token")
    set_token_denominators(batches, method.token_kinds, processes=1)
    got = sum(float(method.loss(model, b, ctx)) for b in batches) / len(batches)
    return got, want


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_open_unlearning_config_reproduces_its_reduction(path, tiny_lm, setup):
    """Each configs/open-unlearning file sets open-unlearning's reduction, and its method's loss with the file's
    hyperparameters equals the reference under that reduction, on a batch where the other one differs (so the
    test fails if the method ignored the reduction)."""
    cfg, method = resolve_configs(path)
    assert cfg.method in OPEN_UNLEARNING, f"{path.name}: add open-unlearning's reduction of {cfg.method}"
    if cfg.method == "rmu":  # the tiny model has 2 layers
        method = replace(method, layer=r"model\.layers\.0", trainable=[".*"])
    if cfg.method == "undial":
        assert method.positions == "all" and not method.retain_weight and cfg.loss_reduction == "token"
        got, want = undial_all_positions(method, tiny_lm, setup)
        assert apart(want), want  # micro-batches padded to different lengths: the reductions differ
        assert got == pytest.approx(want["token"], rel=TOL, abs=TOL)
        return
    ours = OPEN_UNLEARNING[cfg.method]
    assert cfg.loss_reduction == ours, f"{path.name}: open-unlearning's {cfg.method} is a {ours} mean"
    got, want, token_level = losses_both_ways(cfg.method, method, tiny_lm, setup)
    assert token_level and apart(want), want
    assert got[ours] == pytest.approx(want[ours], rel=TOL, abs=TOL)


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
