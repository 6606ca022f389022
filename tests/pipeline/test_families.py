"""The whole pipeline on random-initialised models of real architectures around real tokenizers, through the CLI.

Every family (Llama-2, Llama-3, Qwen3, Phi, Gemma-3, Mistral; meow.modeling.families) is trained (1 step, bf16
autocast), evaluated on all TOFU splits (weights in bf16), unlearned with meow_gd + LoRA (merged, gradient
checkpointing) and loaded back with plain transformers. The other stages run on one or two families each, chosen
to cover both prompt formats (plain / chat template) and both kinds of folder (merged / adapter):

    npo: llama3 full, phi LoRA        simnpo: qwen3 full, mistral LoRA      dpo: phi full, llama2 LoRA
    meow_gd full: mistral             memo: llama3, qwen3                   invert --backend hf: mistral, phi
    attack relearn: llama2            eval-nlu (local task): qwen3 (chat), llama2 (plain)

Data: a micro benchmark (10 authors x 2 questions: 2 forget records). A fresh random model gives every token
probability ~1/V, so the per-token NLL of any answer is close to ln V for the tokenizer's full vocabulary V: a check
on the scoring path that needs no reimplementation of meow's prompt formats.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch
from reference import MC_YAML

from meow.cli import main
from meow.modeling.families import FAMILIES

ALL = list(FAMILIES)
UNLEARN_FAST = ["--max-steps", "1", "--warmup-epochs", "0", "--lr", "1e-3", "--batch-size", "2", "--grad-accum", "1", "--memo-max-new-tokens", "4",
                "--memo-stride", "100", "--max-length", "96"]


@pytest.fixture(scope="module")
def micro(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("micro")
    data = root / "data"
    assert main(["benchmark", "make", str(data), "--authors", "10", "--qa-per-author", "2", "--background", "2"]) == 0
    inverted = root / "forget_inverted.json"
    assert main(["invert", "--backend", "rules", "--forget", str(data), "--forget-split", "forget10", "--out", str(inverted),
                 "--n", "3", "--no-progress"]) == 0
    return {"data": data, "forget": inverted, "retain": data / "retain90.json", "root": root}


@pytest.fixture(scope="module")
def trained(micro, family_model_dir, tmp_path_factory):
    """`trained(name)`: `meow train --model <random family model>` for one step on forget10 (bf16 autocast)."""
    done: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in done:
            out = tmp_path_factory.mktemp("trained") / name
            assert main(["train", "--model", str(family_model_dir(name)), "--data", str(micro["data"]), "--split",
                         "forget10", "--out", str(out), "--epochs", "1", "--batch-size", "2", "--grad-accum", "1",
                         "--warmup-ratio", "0", "--precision", "bf16", "--check", "0"]) == 0
            done[name] = out
        return done[name]

    return get


def vocab(folder: Path) -> int:
    return json.loads((folder / "config.json").read_text())["vocab_size"]


def prompt_format(folder: Path) -> dict:
    return json.loads((folder / "meow.json").read_text())["format"]


def load_plain(folder: Path):
    """The folder through plain transformers only, plus a forward pass on a short text."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(folder)
    tok = AutoTokenizer.from_pretrained(folder)
    ids = tok("Where was the author born?", return_tensors="pt")["input_ids"]
    with torch.no_grad():
        logits = model(ids).logits
    assert logits.shape[-1] == model.config.vocab_size and torch.isfinite(logits).all()
    return model, tok


def unlearn(model: Path, micro: dict, out: Path, method: str, *extra: str) -> dict:
    assert main(["unlearn", "--model", str(model), "--forget", str(micro["forget"]), "--retain", str(micro["retain"]),
                 "--out", str(out), "--method", method, *UNLEARN_FAST, *extra]) == 0
    summary = json.loads((out / "unlearn_summary.json").read_text())
    assert summary["steps"] == 1 and math.isfinite(summary["train_loss"])
    return summary


@pytest.mark.parametrize("name", ALL)
def test_family_train_eval_unlearn_lora(name, micro, trained, family_model_dir, tmp_path):
    base = family_model_dir(name)
    model = trained(name)
    fmt = prompt_format(model)
    template = base / "chat_template.jinja"
    base_template = template.read_text() if template.is_file() else None
    assert fmt["kind"] == ("chat" if base_template else "plain")  # chosen from the tokenizer

    # eval on every TOFU split with the weights in bf16
    ev = tmp_path / "eval"
    assert main(["eval", "--model", str(model), "--data", str(micro["data"]), "--out", str(ev), "--dtype", "bfloat16",
                 "--max-new-tokens", "4", "--batch-size", "8"]) == 0
    result = json.loads((ev / "eval.json").read_text())
    assert sorted(result["splits"]) == ["forget", "holdout", "real_authors", "retain", "world_facts"]
    assert not result["missing_splits"]
    ln_v = math.log(vocab(model))
    for split, block in result["splits"].items():
        assert block["records"], split
        for r in block["records"]:
            assert r["n_tokens"] > 0 and (split == "holdout" or isinstance(r["generation"], str))
            # random weights: every token has probability ~1/V, so the mean NLL per answer token is ~ln V
            assert abs(r["nll_answer"] - ln_v) < 0.6, (split, r["nll_answer"], ln_v)

    # meow_gd with LoRA (the architecture's linear layers), bf16 autocast, gradient checkpointing; merged
    out = tmp_path / "meow_gd_lora"
    summary = unlearn(model, micro, out, "meow_gd", "--lora-r", "4", "--merge", "--precision", "bf16",
                      "--gradient-checkpointing", "true")
    assert summary["lora"] and summary["merged"] and summary["memo_computed"] == 2
    assert not (out / "adapter_config.json").exists()
    assert prompt_format(out) == fmt  # the prompt format travels with the model
    reloaded, tok = load_plain(out)
    assert reloaded.config.model_type == json.loads((base / "config.json").read_text())["model_type"]
    assert tok.chat_template == base_template
    assert tok.eos_token == json.loads((base / "tokenizer_config.json").read_text())["eos_token"]
    # the merged weights moved (LoRA trained), by about lr x a few steps, and only in adapted layers
    from safetensors.torch import load_file

    before, after = load_file(model / "model.safetensors"), load_file(out / "model.safetensors")
    assert before.keys() == after.keys()
    moved = {k for k in before if not torch.equal(before[k], after[k])}
    assert moved and all(k.endswith(".weight") and "embed" not in k and "lm_head" not in k for k in moved)
    assert max(float((after[k] - before[k]).abs().max()) for k in moved) < 0.1


METHOD_CASES = [  # (family, method, lora)
    ("llama3", "npo", False), ("phi", "npo", True),
    ("qwen3", "simnpo", False), ("mistral", "simnpo", True),
    ("phi", "dpo", False), ("llama2", "dpo", True),
    ("mistral", "meow_gd", False),
]


@pytest.mark.parametrize("name, method, lora", METHOD_CASES, ids=[f"{n}-{m}-{'lora' if lo else 'full'}"
                                                                   for n, m, lo in METHOD_CASES])
def test_unlearning_methods(name, method, lora, micro, trained, tmp_path):
    from transformers import AutoModelForCausalLM

    model = trained(name)
    out = tmp_path / method
    summary = unlearn(model, micro, out, method, *(["--lora-r", "4"] if lora else []))
    assert summary["lora"] is lora and prompt_format(out) == prompt_format(model)
    if lora:  # an adapter folder: plain transformers (with peft installed) loads base + adapter from it
        adapter = json.loads((out / "adapter_config.json").read_text())
        from meow.modeling.lora import LORA_TARGETS

        model_type = json.loads((model / "config.json").read_text())["model_type"]
        assert sorted(adapter["target_modules"]) == sorted(LORA_TARGETS[model_type])
        assert Path(adapter["base_model_name_or_path"]) == model.resolve()
        loaded = AutoModelForCausalLM.from_pretrained(out)
        assert any("lora_A" in n for n, _ in loaded.named_parameters())
        if name == "llama2":  # and meow's own stages load the adapter folder too
            ev = tmp_path / "eval"
            assert main(["eval", "--model", str(out), "--forget", str(micro["data"] / "forget10_perturbed.json"),
                         "--out", str(ev), "--no-generation"]) == 0
            assert json.loads((ev / "eval.json").read_text())["splits"]["forget"]["records"]
    else:
        load_plain(out)


@pytest.mark.parametrize("name", ["llama3", "qwen3"])
def test_memo(name, micro, trained, tmp_path):
    out = tmp_path / "memo.json"
    assert main(["memo", "--model", str(trained(name)), "--forget", str(micro["forget"]), "--out", str(out),
                 "--max-new-tokens", "4", "--stride", "50"]) == 0
    records = json.loads(out.read_text())
    assert len(records) == 2
    for r in records:
        m = r["memo"]
        assert len(m["inverted_answers"]) == len(r["inverted_answers"]) == 3
        assert all(0 <= v <= 1 for v in [m["answer"], *m["inverted_answers"]])


@pytest.mark.parametrize("name", ["mistral", "phi"])
def test_invert_hf(name, micro, family_model_dir, tmp_path):
    """A random model's replies are noise (what the validator keeps of them varies); the stage runs end to end,
    prompting through the family's chat template (mistral) or the plain instruction prompt (phi)."""
    out = tmp_path / "inv.json"
    code = main(["invert", "--backend", "hf", "--model", str(family_model_dir(name)), "--forget", str(micro["data"]),
                 "--forget-split", "forget10", "--out", str(out), "--n", "2", "--max-asks", "1", "--max-new-tokens", "8",
                 "--no-progress"])
    assert code == 0
    summary = json.loads(out.with_suffix(".summary.json").read_text())
    assert summary["records"] == 2 and summary["requests"]["asked"] == 2
    assert len(json.loads(out.read_text())) == 2


def test_attack_relearn(micro, trained, family_model_dir, tmp_path):
    out = tmp_path / "relearn"
    assert main(["attack", "relearn", "--model", str(trained("llama2")), "--data", str(micro["data"]),
                 "--retain-model", str(family_model_dir("llama2")), "--out", str(out), "--steps", "1",
                 "--train-batch-size", "1", "--max-new-tokens", "4"]) == 0
    assert (out / "summary.json").is_file()


@pytest.mark.parametrize("name", ["qwen3", "llama2"])
def test_eval_nlu_local_task(name, micro, trained, tmp_path):
    from meow.data import load_file

    docs = [{"question": r["question"], "choices": [r["answer"], *r["perturbed_answer"][:2]], "label": 0}
            for r in load_file(micro["data"] / "forget10_perturbed.json")]
    tasks = tmp_path / "tasks"  # an input folder of its own: outputs never go inside an input
    tasks.mkdir()
    (tasks / "mc.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs))
    (tasks / "fam_mc.yaml").write_text(MC_YAML.format(name="fam_mc", data=tasks / "mc.jsonl"))
    out = tmp_path / "nlu"
    assert main(["eval-nlu", "--model", str(trained(name)), "--tasks", "fam_mc", "--include-path", str(tasks),
                 "--out", str(out)]) == 0
    nlu = json.loads((out / "nlu.json").read_text())
    assert nlu["tasks"]["fam_mc"]["n"] == len(docs)
    assert nlu["options"]["chat_applied"] is (prompt_format(trained(name))["kind"] == "chat")
