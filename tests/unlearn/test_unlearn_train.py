"""End to end on the tiny model: every method trains a few steps and moves what it should; saved folders reload
with plain transformers; the cached NPO reference equals a kept reference model; LoRA; errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from tolerances import PY

from meow.data import load_records
from meow.errors import MeowError
from meow.modeling import LM, PromptFormat, mean_nll
from meow.unlearn.config import resolve_configs
from meow.unlearn.data import idk_answer
from meow.unlearn.run import unlearn
from meow.unlearn.select import select_inverted

FAST = {"max_steps": 3, "lr": 1e-3, "grad_accum": 1, "batch_size": 4, "warmup_epochs": 0, "weight_decay": 0.0,
        "select": "largest", "top_k": 2}


def reset_accelerate() -> None:
    from accelerate.state import AcceleratorState, PartialState

    AcceleratorState._reset_state(True)
    PartialState._reset_state()


def run(model_dir, files, out: Path, method: str, retain: bool = True, **opts):
    cfg, m = resolve_configs(None, {**FAST, "method": method, **opts})
    try:
        return unlearn(str(model_dir), str(files["forget"]), str(out), cfg, m,
                       retain=str(files["retain"]) if retain else None)
    finally:
        reset_accelerate()


def plain_load(path: Path) -> LM:
    """Reload with plain transformers (no meow loader); the prompt format comes from meow.json."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    meta = json.loads((path / "meow.json").read_text())
    return LM(AutoModelForCausalLM.from_pretrained(path).eval(), AutoTokenizer.from_pretrained(path),
              PromptFormat(**meta["format"]))


def avg(xs):
    return sum(xs) / len(xs)


def measure(lm: LM, forget, retain, selected) -> dict[str, float]:
    """Mean token NLL of forget answers, of the inverted facts trained on, of retain answers, of the IDK answers."""
    q = [r["question"] for r in forget]
    inv_q = [forget[i]["question"] for i, idx in enumerate(selected) for _ in idx]
    inv_a = [forget[i]["inverted_answers"][j] for i, idx in enumerate(selected) for j in idx]
    return {
        "forget": avg(mean_nll(lm, q, [r["answer"] for r in forget])),
        "inverted": avg(mean_nll(lm, inv_q, inv_a)),
        "retain": avg(mean_nll(lm, [r["question"] for r in retain], [r["answer"] for r in retain])),
        "idk": avg(mean_nll(lm, q, [idk_answer(i, 0) for i in range(len(forget))])),
    }


@pytest.fixture(scope="module")
def trained(tiny_model_dir, unlearn_files, tmp_path_factory):
    """trained(method) -> (before, after, out folder); each method trained once per module."""
    forget, retain = load_records(unlearn_files["forget"]), load_records(unlearn_files["retain"])
    selected = select_inverted(forget, FAST["top_k"], FAST["select"])
    before = measure(plain_load(Path(tiny_model_dir)), forget, retain, selected)
    cache: dict[str, tuple] = {}

    def get(name: str):
        if name not in cache:
            out = tmp_path_factory.mktemp("runs") / name
            summary = run(tiny_model_dir, unlearn_files, out, name)
            cache[name] = (before, measure(plain_load(out), forget, retain, selected), out, summary)
        return cache[name]

    return get


FORGET_UP = ["ga", "gd", "ga_kl", "npo", "npo_gd", "npo_kl", "simnpo"]
INVERTED_DOWN = ["meow", "meow_gd", "meow_kl"]
RETAIN_HELD = {"gd": "forget", "npo_gd": "forget", "meow_gd": "inverted"}


@pytest.mark.parametrize("name", FORGET_UP + INVERTED_DOWN + ["idk", "dpo"])
def test_method_moves_what_it_should(name, trained):
    before, after, _, summary = trained(name)
    assert summary["steps"] == 3
    delta = {k: after[k] - before[k] for k in before}
    if name in FORGET_UP:
        assert delta["forget"] > 0.1, delta
    if name in INVERTED_DOWN:
        assert delta["inverted"] < -0.1, delta
    if name == "idk":
        assert delta["idk"] < -0.1, delta
    if name == "dpo":  # the refusal gains on the true answer
        assert delta["idk"] - delta["forget"] < -0.1, delta
    if name in RETAIN_HELD:
        moved = abs(delta[RETAIN_HELD[name]])
        assert abs(delta["retain"]) < 0.25 * moved, delta


def test_retain_term_protects_the_retain_set(trained):
    """Same forget term, same steps: gradient difference loses less on the retain set than gradient ascent."""
    ga, gd = trained("ga"), trained("gd")
    assert gd[1]["retain"] - gd[0]["retain"] < ga[1]["retain"] - ga[0]["retain"]


def test_output_folder(trained, unlearn_files):
    _, _, out, summary = trained("meow")
    meta = json.loads((out / "meow.json").read_text())
    assert meta["made_by"] == "meow unlearn" and meta["method"] == "meow" and meta["format"]["kind"] == "plain"
    cfg, method = resolve_configs(out / "unlearn_config.yaml")  # the saved config is reusable as --config
    assert cfg.method == "meow" and cfg.max_steps == 3 and cfg.top_k == 2 and method.forget_weight == 1.0
    assert json.loads((out / "unlearn_summary.json").read_text())["steps"] == summary["steps"] == 3
    logs = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
    assert [row["step"] for row in logs if "loss" in row] == [1, 2, 3]
    forget = load_records(unlearn_files["forget"])
    picks = [json.loads(line) for line in (out / "selected.jsonl").read_text().splitlines()]
    assert [[s["index"] for s in p["selected"]] for p in picks] == select_inverted(forget, 2, "largest")
    assert picks[0]["selected"][0]["memo"] == max(forget[0]["memo"]["inverted_answers"])
    assert not list(out.glob(".*")) and not (out.parent / f".{out.name}.trainer").exists()  # no leftovers


def test_same_seed_same_model(trained, tiny_model_dir, unlearn_files, tmp_path):
    _, _, out, _ = trained("meow")
    run(tiny_model_dir, unlearn_files, tmp_path / "again", "meow")
    a, b = plain_load(out).model.state_dict(), plain_load(tmp_path / "again").model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_npo_cached_reference_equals_kept_reference_model(trained, tiny_model_dir, unlearn_files, tmp_path):
    """Caching log p_ref once before training gives the same run as scoring each batch with a second model."""
    # Both in float64, since equality is the claim: a float64 model's cached log p_ref are collated in float64
    # (meow.unlearn.data.UnlearnCollator), so the two runs differ only in the order of float64 sums (a batch of
    # [B] reference rows vs one per step). AdamW divides by sqrt(v), so an entry whose gradient is within rounding
    # of zero may move by up to lr per step whatever its rounding: no float32 bound that catches a wrong reference
    # holds on every CPU (see tests/unlearn/test_unlearn_engines.py). float64 rounding (2^-53) amplified the same
    # way is ~1e-13; 1e-9 leaves 1e4 to spare and is 1e5 below how far 3 steps at lr 1e-3 move the weights.
    cached = run(tiny_model_dir, unlearn_files, tmp_path / "cached", "npo", dtype="float64")
    assert cached["reference_seconds"] > 0
    model_run = run(tiny_model_dir, unlearn_files, tmp_path / "ref_model", "npo", ref_mode="model", dtype="float64")
    start = load_file(tiny_model_dir / "model.safetensors")
    a, b = load_file(tmp_path / "cached" / "model.safetensors"), load_file(tmp_path / "ref_model" / "model.safetensors")
    assert max(float((a[k] - b[k]).abs().max()) for k in a) < 1e-9
    assert max(float((a[k] - start[k].double()).abs().max()) for k in a) > 1e-4  # training moved the weights
    # the logged loss: a mean of float64 terms in another order, PY (tests/tolerances.py) relative
    assert model_run["final_loss"] == pytest.approx(cached["final_loss"], rel=PY)


def test_lora_adapter_and_merge(tiny_model_dir, unlearn_files, tmp_path):
    from transformers import AutoModelForCausalLM

    from meow.modeling import load_lm

    # gradient checkpointing on one of the two: the same math, so the same adapter (if LoRA grads flow through it).
    # Trained and compared in float64, since equality is the claim: the two runs and the two ways of applying the
    # adapter (W x + s B (A x) vs (W + s B A) x) differ only in the order of float64 sums. Each logit of the tiny
    # model (hidden 64, MLP 256, 2 layers, |logit| < MAX_LOGIT = 50) comes through ~10 chained dot products of at
    # most 256 + 4 terms, each within gamma(260) ~ 3e-14 relative in float64 (tests/tolerances.py), so the logits
    # agree within ~10 x 3e-14 x 50 = 1.5e-11; AdamW's amplification of near-zero gradients over 3 steps (see
    # test_npo_cached_reference_equals_kept_reference_model) stays near 1e-13; 1e-9 leaves a factor of ~100 and
    # is 1e6 below what training changed (> 1e-3). In float32 the same bound would be ~1e-4 and CPU-dependent.
    f64 = {"dtype": "float64"}
    run(tiny_model_dir, unlearn_files, tmp_path / "adapter", "meow", retain=False, lora_r=4, lr=1e-2,
        gradient_checkpointing=True, **f64)
    run(tiny_model_dir, unlearn_files, tmp_path / "merged", "meow", retain=False, lora_r=4, lr=1e-2, merge=True,
        **f64)
    assert (tmp_path / "adapter" / "adapter_config.json").is_file()
    assert not (tmp_path / "adapter" / "model.safetensors").exists()  # the adapter only
    assert not (tmp_path / "merged" / "adapter_config.json").exists()
    load = {"dtype": torch.float64}
    adapter = AutoModelForCausalLM.from_pretrained(tmp_path / "adapter", **load).eval()  # base via adapter_config
    merged = AutoModelForCausalLM.from_pretrained(tmp_path / "merged", **load).eval()
    original = AutoModelForCausalLM.from_pretrained(tiny_model_dir, **load).eval()
    x = torch.tensor([[1, 5, 9, 13, 17, 21]])
    with torch.no_grad():
        la, lm_, lo = adapter(x).logits, merged(x).logits, original(x).logits
        ours = load_lm(tmp_path / "adapter", dtype="float64").model(x).logits
    assert la.dtype == torch.float64 and (la - lm_).abs().max() < 1e-9  # merged == base + adapter
    assert (la - lo).abs().max() > 1e-3  # and training changed something
    assert (ours - la).abs().max() < 1e-9  # meow's loader too
    emb = "model.embed_tokens.weight"
    assert torch.equal(merged.state_dict()[emb], original.state_dict()[emb])  # LoRA leaves embeddings alone


def test_bf16_and_gradient_checkpointing_run_on_cpu(tiny_model_dir, unlearn_files, tmp_path):
    from transformers import TrainerCallback

    seen = []

    class Probe(TrainerCallback):  # dtype of a linear layer's output, and whether checkpointing is on
        def on_train_begin(self, args, state, control, model=None, **kwargs):
            name = "is_activation_checkpointing"  # transformers >= 5.2; earlier: is_gradient_checkpointing
            seen.append(getattr(model, name) if hasattr(type(model), name) else model.is_gradient_checkpointing)
            lin = next(m for m in model.modules() if isinstance(m, torch.nn.Linear))
            lin.register_forward_hook(lambda m, i, o: seen.append(o.dtype))

    cfg, m = resolve_configs(None, {**FAST, "method": "meow", "precision": "bf16", "gradient_checkpointing": True,
                                    "max_steps": 2})
    try:
        s = unlearn(str(tiny_model_dir), str(unlearn_files["forget"]), str(tmp_path / "bf16"), cfg, m,
                    callbacks=[Probe()])
    finally:
        reset_accelerate()
    assert s["steps"] == 2 and torch.isfinite(torch.tensor(s["final_loss"]))
    assert seen[0] is True and torch.bfloat16 in seen[1:]
    assert plain_load(tmp_path / "bf16").model.dtype == torch.float32  # fp32 master weights are what is saved


def test_user_errors(tiny_model_dir, unlearn_files, tmp_path):
    with pytest.raises(MeowError, match="retain set: give --retain"):
        run(tiny_model_dir, unlearn_files, tmp_path / "a", "gd", retain=False)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x.txt").write_text("keep me")
    with pytest.raises(MeowError, match="not empty; pass --force"):
        run(tiny_model_dir, unlearn_files, tmp_path / "full", "ga", retain=False)
    assert (tmp_path / "full" / "x.txt").read_text() == "keep me"
    with pytest.raises(MeowError, match="would overwrite the input"):
        run(tiny_model_dir, unlearn_files, unlearn_files["dir"], "ga", retain=False)
    files = {**unlearn_files, "forget": unlearn_files["forget_plain"]}
    with pytest.raises(MeowError, match=r"no MEMO scores.*meow memo"):
        run(tiny_model_dir, files, tmp_path / "b", "meow", retain=False, auto_memo=False)
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps([{"question": "q?", "answer": "a"}]))
    with pytest.raises(MeowError, match=r"bare.json: record 0: field 'inverted_answers'.*meow invert"):
        run(tiny_model_dir, {**unlearn_files, "forget": bare}, tmp_path / "c", "meow", retain=False)


def test_reference_is_the_starting_model(tiny_lm):
    """KL methods compare with the model as it was: a frozen copy, or (LoRA) the base with the adapter off."""
    import copy

    from meow.unlearn.config import UnlearnConfig
    from meow.unlearn.run import apply_lora, make_reference

    group = {"input_ids": torch.tensor([[1, 5, 9, 13]]), "attention_mask": torch.ones(1, 4, dtype=torch.long)}
    with torch.no_grad():
        start = tiny_lm.model(**group).logits
        model = copy.deepcopy(tiny_lm.model)
        ref = make_reference(model, "cpu")
        for p in model.parameters():
            p.add_(0.1)
        assert torch.equal(ref(group), start) and not torch.allclose(model(**group).logits, start)

        peft = apply_lora(copy.deepcopy(tiny_lm.model), UnlearnConfig(lora_r=4), "base")
        ref = make_reference(peft, "cpu")
        for name, p in peft.named_parameters():
            if "lora_B" in name:
                p.add_(0.5)  # the adapter now changes the output
        assert torch.equal(ref(group), start)  # adapters off: the base layers alone, the same operations
        # lora_B + 0.5 moves the logits by O(1), not by rounding: 1e-3 is a property of the change, not a tolerance
        assert not torch.allclose(peft(**group).logits, start, atol=1e-3)
