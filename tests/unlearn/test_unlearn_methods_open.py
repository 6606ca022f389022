"""The open-unlearning methods (WGA, SatImp, UNDIAL, CE-U, PDU, AltPO, RMU) as meow methods: each trains on the
tiny model moving what it should; PDU's dual variable, RMU's parameters and text rows. (Their losses against a
slow reference, under both reductions: test_unlearn_methods.py.)"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import torch
from tolerances import PY

from meow.data import load_records
from meow.errors import MeowError
from meow.modeling import load_lm, mean_nll
from meow.unlearn.config import resolve_configs
from meow.unlearn.data import UnlearnCollator, UnlearnDataset, build_rows, encoder
from meow.unlearn.methods import METHODS, Context
from meow.unlearn.run import unlearn
from meow.unlearn.select import select_inverted


@pytest.fixture(scope="module")
def setup(unlearn_files):
    return load_records(unlearn_files["forget"])[:3], load_records(unlearn_files["retain"])


def test_pdu_dual_ascent_moves_lambda_by_the_slack(tiny_lm, setup):
    forget, retain = setup
    m = METHODS.get("pdu")(retain_loss_eps=0.0, dual_step_size=0.5, dual_warmup_epochs=1.0, retain_weight=2.0)
    enc = encoder(tiny_lm, 512)
    rows = build_rows(m, tiny_lm, forget, None, 512, seed=0)
    batch = UnlearnCollator(tiny_lm.tokenizer.pad_token_id)(
        [UnlearnDataset(rows, [enc(r["question"], r["answer"]) for r in retain])[i] for i in range(len(rows))])
    model = tiny_lm.model
    with torch.no_grad():
        m.loss(model.train(), batch, Context())
        assert m.dual == 2.0  # still warming up
        m.can_update = True
        from meow.unlearn.losses import nll

        slack = float(nll(model(input_ids=batch["retain"]["input_ids"],
                                attention_mask=batch["retain"]["attention_mask"]).logits, batch["retain"]["labels"], "row"))
        m.loss(model, batch, Context())
    model.eval()
    assert m.dual == 2.0 + 0.5 * slack  # the same forward and NLL of the same batch, then the same float64 update


FAST = {"max_steps": 4, "lr": 1e-3, "grad_accum": 1, "batch_size": 4, "warmup_epochs": 0, "weight_decay": 0.0,
        "select": "largest", "top_k": 2}


def reset_accelerate() -> None:
    from accelerate.state import AcceleratorState, PartialState

    AcceleratorState._reset_state(True)
    PartialState._reset_state()


def nll_of(model_dir, forget, answers) -> float:
    lm = load_lm(model_dir)
    xs = mean_nll(lm, [r["question"] for r in forget], answers)
    return sum(xs) / len(xs)


RUNS = {
    "wga": {"lr": 3e-3},
    "satimp": {"lr": 1e-2, "beta1": 1.0, "forget_weight": 1.0},  # p^5 weights vanish on a model this sure of itself
    "undial": {"lr": 3e-3},
    "ceu": {"lr": 3e-3},
    "pdu": {"retain_loss_eps": 1.0, "dual_warmup_epochs": 0, "lr": 3e-3},
    "altpo": {"lr": 3e-3},
    "rmu": {"layer": r"model\.layers\.1", "trainable": [r"model\.layers\.(0|1)\.mlp\.down_proj\.weight"],
            "steering_coeff": 20.0, "retain_weight": 100.0, "lr": 1e-2, "max_steps": 6},  # WMDP's 20 and alpha 100
}


@pytest.fixture(scope="module")
def runs(tiny_model_dir, unlearn_files, tmp_path_factory):
    forget = load_records(unlearn_files["forget"])
    selected = select_inverted(forget, 2, "largest")
    inverted = [forget[i]["inverted_answers"][idx[0]] for i, idx in enumerate(selected)]
    truth = [r["answer"] for r in forget]
    retain = load_records(unlearn_files["retain"])
    before = {"forget": nll_of(tiny_model_dir, forget, truth), "inverted": nll_of(tiny_model_dir, forget, inverted),
              "retain": nll_of(tiny_model_dir, retain, [r["answer"] for r in retain])}
    cache: dict[str, tuple] = {}

    def get(name: str):
        if name not in cache:
            out = tmp_path_factory.mktemp("open") / name
            cfg, m = resolve_configs(None, {**FAST, "method": name, **RUNS[name]})
            try:
                summary = unlearn(str(tiny_model_dir), str(unlearn_files["forget"]), str(out), cfg, m,
                                  retain=str(unlearn_files["retain"]))
            finally:
                reset_accelerate()
            after = {"forget": nll_of(out, forget, truth), "inverted": nll_of(out, forget, inverted),
                     "retain": nll_of(out, retain, [r["answer"] for r in retain])}
            cache[name] = (before, after, out, summary)
        return cache[name]

    return get


@pytest.mark.parametrize("name", list(RUNS))
def test_method_moves_what_it_should(name, runs):
    before, after, _, summary = runs(name)
    assert summary["steps"] == RUNS[name].get("max_steps", FAST["max_steps"])
    up = after["forget"] - before["forget"]
    if name == "altpo":  # the alternative gains on the true answer
        assert (after["inverted"] - before["inverted"]) - up < -0.1, (before, after)
    else:
        assert up > 0.1, (before, after)
    if name == "rmu":  # forget answers lose (+0.37 nats here) while the retain answers hold (+0.05)
        assert after["retain"] - before["retain"] < 0.25 * up, (before, after)


def test_rmu_trains_only_the_chosen_parameters(runs, tiny_model_dir):
    from safetensors.torch import load_file

    _, _, out, _ = runs("rmu")
    a, b = load_file(out / "model.safetensors"), load_file(Path(tiny_model_dir) / "model.safetensors")
    moved = sorted(k for k in a if not torch.equal(a[k], b[k]))
    assert moved == ["model.layers.0.mlp.down_proj.weight", "model.layers.1.mlp.down_proj.weight"]


def test_pdu_logs_its_dual_variable(runs):
    _, _, out, _ = runs("pdu")
    logs = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
    assert any("retain_preference" in row for row in logs)


def test_rmu_and_pdu_errors(tiny_model_dir, unlearn_files, tmp_path):
    for opts, msg in [({"method": "rmu", "layer": r"model\.layers\.9"}, "must match exactly one module"),
                      ({"method": "rmu", "layer": r"model\.layers\.1", "trainable": ["nothing"]}, "matches no"),
                      ({"method": "pdu"}, "retain_loss_eps"),
                      ({"method": "rmu", "trainable": ["model.(layers"]}, "not a valid regular expression"),
                      ({"method": "undial", "positions": "some"}, "positions.*not one of answer, all")]:
        try:
            with pytest.raises(MeowError, match=msg):  # some are refused as options, others once the model is seen
                cfg, m = resolve_configs(None, {**FAST, **opts})
                unlearn(str(tiny_model_dir), str(unlearn_files["forget"]), str(tmp_path / "x"), cfg, m,
                        retain=str(unlearn_files["retain"]), force=True)
        finally:
            reset_accelerate()


def test_rmu_loss_on_text_rows_matches_hidden_states(tiny_lm, tiny_model_dir):
    """Raw-text rows (every token labelled): forget MSE to the control vector and retain MSE to the frozen copy,
    from the model's own hidden_states (output of layer 0), one unpadded row at a time; mask over every token."""
    from meow.modeling import collate
    from meow.unlearn.losses import control_vector

    lm = load_lm(tiny_model_dir, dtype="float64")  # a private copy (changed below), in float64: equality is the claim
    tok = lm.tokenizer
    texts = ["Anna Berg was born in Oslo in 1931.", "The river runs north.", "Numbers: 4, 8, 15, 16, 23 and 42."]

    def text_rows(ts):
        return [{"input_ids": (ids := tok(t)["input_ids"]), "attention_mask": [1] * len(ids), "labels": list(ids)}
                for t in ts]

    forget, retain = text_rows(texts[:2]), text_rows(texts[1:])
    m = METHODS.get("rmu")(layer=r"model\.layers\.0", trainable=[r".*mlp.*"], steering_coeff=3.0,
                           forget_weight=0.7, retain_weight=0.4)
    model = lm.model.eval()
    m.setup(model, Context(), seed=5)
    frozen = copy.deepcopy(model)
    with torch.no_grad():  # the model moves away from the frozen copy, so the retain term is not zero
        for p in model.model.layers[0].mlp.parameters():
            p.add_(0.05 * torch.randn(p.shape, generator=torch.Generator().manual_seed(1)))
    batch = {"forget": collate(forget, tok.pad_token_id), "retain": collate(retain, tok.pad_token_id)}
    with torch.no_grad():
        got = float(m.loss(model, batch, Context()))

        def h0(mod, row):
            return mod(input_ids=torch.tensor([row["input_ids"]]), output_hidden_states=True).hidden_states[1][0]

        c = control_vector(model.config.hidden_size, 3.0, seed=5)[0, 0]
        f = sum(float(((h0(model, r) - c) ** 2).mean(-1).mean()) for r in forget) / 2
        r = sum(float(((h0(model, x) - h0(frozen, x)) ** 2).mean(-1).mean()) for x in retain) / 2
    # float64 throughout: the batched, padded loss and the one-row references differ only in the order of float64
    # sums (MSE over 64 hidden units x ~12 tokens, a 64-wide layer before it), well under 1e-12 relative; the
    # terms are squares of differences of size ~0.05-3, so no cancellation: PY (1e-9) relative holds anywhere
    assert r > 0 and got == pytest.approx(0.7 * f + 0.4 * r, rel=PY)
    assert {n for n, p in model.named_parameters() if p.requires_grad} == {
        n for n, _ in model.named_parameters() if "mlp" in n}


def test_rmu_saved_config_repeats_the_run(runs):
    _, _, out, _ = runs("rmu")
    cfg, m = resolve_configs(out / "unlearn_config.yaml")
    assert (cfg.method, m.layer, m.trainable, m.steering_coeff) == (
        "rmu", r"model\.layers\.1", [r"model\.layers\.(0|1)\.mlp\.down_proj\.weight"], 20.0)


def test_pdu_epoch_updates(tiny_model_dir, unlearn_files, tmp_path):
    """dual_update_upon epoch: lambda holds during the warm-up epoch, then moves once per epoch (here down, the
    retain NLL being under the bound)."""
    opts = {**FAST, "max_steps": 0, "epochs": 3, "logging_steps": 1, "method": "pdu", "retain_loss_eps": 2.0,
            "dual_update_upon": "epoch", "dual_warmup_epochs": 1, "dual_step_size": 0.1, "retain_weight": 1.0}
    cfg, m = resolve_configs(None, opts)
    try:
        unlearn(str(tiny_model_dir), str(unlearn_files["forget"]), str(tmp_path / "pdu"), cfg, m,
                retain=str(unlearn_files["retain"]))
    finally:
        reset_accelerate()
    logs = [json.loads(line) for line in (tmp_path / "pdu" / "train_log.jsonl").read_text().splitlines()]
    lam = [(row["epoch"], row["retain_preference"]) for row in logs if "loss" in row]
    assert len(lam) == 6 and [v for _, v in lam[:2]] == [1.0, 1.0]  # 6 questions / 4: 2 steps an epoch
    assert lam[2][1] < 1.0 and lam[2][1] == lam[3][1] and lam[4][1] < lam[3][1] and lam[4][1] == lam[5][1]


@pytest.mark.parametrize("reduction", ["row", "token"])
def test_pdu_epoch_update_uses_the_runs_reduction(reduction, tiny_lm, tiny_model_dir, setup):
    """lambda <- lambda + step * (mean over batches of the retain NLL - eps), each batch's NLL in the run's
    reduction (token: open-unlearning's outputs.loss), written out per token here."""
    from meow.modeling import collate
    from meow.unlearn.methods.pdu import epoch_update

    _, retain = setup
    enc = encoder(tiny_lm, 512)
    rows = [enc(r["question"], r["answer"]) for r in retain[:6]]
    loader = [{"retain": collate(rows[i:i + 3], tiny_lm.tokenizer.pad_token_id)} for i in (0, 3)]
    model = load_lm(tiny_model_dir, dtype="float64").model.eval()  # float64: equality is the claim
    m = METHODS.get("pdu")(retain_loss_eps=0.5, dual_step_size=0.25, retain_weight=2.0)
    m.setup(model, Context(reduction=reduction), seed=0)
    nlls = []
    with torch.no_grad():
        for b in loader:
            g = b["retain"]
            logp = torch.log_softmax(model(input_ids=g["input_ids"]).logits, -1)
            per_row = [[-float(logp[r, t - 1, g["input_ids"][r, t]]) for t in range(1, g["labels"].shape[1])
                        if g["labels"][r, t] != -100] for r in range(len(g["labels"]))]
            both = {"token": sum(map(sum, per_row)) / sum(map(len, per_row)),
                    "row": sum(sum(x) / len(x) for x in per_row) / len(per_row)}
            assert abs(both["token"] - both["row"]) > 1e-3 * both["row"], both  # answers of different lengths
            nlls.append(both[reduction])
    epoch_update(m, model, loader)
    # the same float64 model both ways: only the order of float64 sums differs (a log-softmax over 600 logits, a
    # mean over ~100 tokens, 2 batches), within 2 gamma(700) ~ 1.6e-13 relative of each NLL (tests/tolerances.py);
    # dual ~ 2-3 is a sum of like-signed terms, so PY (1e-9) relative holds with 1e3 to spare on any CPU
    assert m.dual == pytest.approx(2.0 + 0.25 * (sum(nlls) / 2 - 0.5), rel=PY)
