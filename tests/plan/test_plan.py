"""`meow plan` against the models themselves: parameter, gradient and AdamW-state bytes exactly (counted on the
torch objects), activations within a stated factor of the tensors autograd saves, and the whole peak within a
factor of the process's measured RSS growth on the real SmolLM2-135M (CPU)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys

import pytest
import torch
from realtok import real_model_dir

from meow.cli import main
from meow.plan import PRESETS, Setup, load_arch, plan

# Published parameter counts (model cards / the checkpoints' safetensors metadata): independent of meow.plan.arch.
PUBLISHED = {"llama-2-7b": 6_738_415_616, "llama-3.1-8b": 8_030_261_248, "llama-3.2-1b": 1_235_814_400,
             "smollm2-135m": 134_515_008}


def meta_model(config: dict):
    from transformers import AutoConfig, AutoModelForCausalLM

    cfg = AutoConfig.for_model(**config)
    with torch.device("meta"):
        return AutoModelForCausalLM.from_config(cfg)


def unique_numel(params) -> int:
    return sum(p.numel() for p in {id(p): p for p in params}.values())


def test_presets_match_published_counts():
    assert {name: load_arch(arch=name).params() for name in PRESETS} == PUBLISHED


@pytest.mark.parametrize("name", ["smollm2-135m"])  # GQA, tied: the 1B preset takes 20 s on meta
def test_counts_match_the_torch_model(name):
    """Parameters, LoRA adapters (meow's targets, peft's own layers) and RMU's trained set and truncated copy,
    counted on a model built on the meta device (no memory)."""
    from peft import LoraConfig, get_peft_model

    from meow.modeling.lora import lora_targets
    from meow.unlearn.methods.rmu import frozen_prefix

    arch, model = load_arch(arch=name), meta_model(PRESETS[name])
    assert unique_numel(model.parameters()) == arch.params()
    rmu = plan(arch, Setup(method="rmu"))
    trained = [p for n, p in model.named_parameters() if n in {f"model.layers.{i}.mlp.down_proj.weight" for i in (5, 6, 7)}]
    assert rmu.trainable == unique_numel(trained) and rmu.gradients == 4 * rmu.trainable
    ref, _ = frozen_prefix(model, "model.layers.7")
    assert rmu.reference == 4 * unique_numel(ref.parameters())
    lora = get_peft_model(copy.deepcopy(model), LoraConfig(r=8, target_modules=lora_targets(model)))
    adapters = [p for p in lora.parameters() if p.requires_grad]
    assert plan(arch, Setup(lora_r=8)).trainable == unique_numel(adapters)


def test_gradients_and_optimizer_state_exact(tiny_model_dir):
    """One AdamW step (the Trainer's default optimizer) on the tiny model: the bytes of .grad and of the optimizer
    state tensors equal the plan's; sharded engines divide them by the device count, DDP does not."""
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    ids = torch.randint(3, model.config.vocab_size, (2, 16))
    model(input_ids=ids, labels=ids).loss.backward()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    opt.step()
    params = {id(p): p for p in model.parameters()}.values()
    grads = sum(p.grad.numel() * p.grad.element_size() for p in params)
    state = sum(t.numel() * t.element_size() for s in opt.state.values() for k, t in s.items() if k != "step")
    p = plan(load_arch(str(tiny_model_dir)), Setup(method="ga"))
    assert (p.parameters, p.gradients, p.optimizer) == (sum(q.numel() * 4 for q in params), grads, state)
    fsdp = plan(load_arch(str(tiny_model_dir)), Setup(method="ga", engine="fsdp", gpus=4))
    zero2 = plan(load_arch(str(tiny_model_dir)), Setup(method="ga", engine="zero2", gpus=4))
    ddp = plan(load_arch(str(tiny_model_dir)), Setup(method="ga", engine="ddp", gpus=4))
    assert (fsdp.parameters, fsdp.gradients, fsdp.optimizer) == (p.parameters / 4, grads / 4, state / 4)
    assert (zero2.parameters, zero2.gradients) == (p.parameters, grads / 4)
    assert (ddp.parameters, ddp.gradients, ddp.optimizer) == (p.parameters, grads, state)


def saved_activation_bytes(model, ids) -> int:
    """Bytes of the distinct non-parameter tensors autograd saves for backward in forward + NLL."""
    params = {p.untyped_storage().data_ptr() for p in model.parameters()}
    seen: dict[int, int] = {}

    def pack(t):
        s = t.untyped_storage()
        if s.data_ptr() not in params:
            seen[s.data_ptr()] = s.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        logits = model(input_ids=ids).logits
        torch.log_softmax(logits.float(), -1)[:, :-1].gather(-1, ids[:, 1:, None]).mean()
    return sum(seen.values())


@pytest.mark.parametrize("which", ["tiny", "smollm2"])
def test_activations_within_a_factor(which, tiny_model_dir):
    """The plan lists the block's saved tensors one by one; autograd shares some of them (a view saved by two
    ops), so the plan is an upper bound, and within 25% of what is saved (measured 0.84 on SmolLM2, 0.88 on the
    tiny model at 2 x 64 tokens): measured / plan in [0.75, 1.0]."""
    from transformers import AutoModelForCausalLM

    path = tiny_model_dir if which == "tiny" else real_model_dir()  # skips locally / fails in CI when missing
    model = AutoModelForCausalLM.from_pretrained(path)
    ids = torch.randint(3, model.config.vocab_size, (2, 64), generator=torch.Generator().manual_seed(0))
    planned = plan(load_arch(str(path)), Setup(method="ga", batch_size=2, max_length=64)).activations
    assert 0.75 <= saved_activation_bytes(model, ids) / planned <= 1.0


RSS_STEP = r"""
import json, resource, sys, threading, time, psutil, torch
from transformers import AutoModelForCausalLM
torch.manual_seed(0)
model = AutoModelForCausalLM.from_pretrained(sys.argv[1])
ids = torch.randint(3, model.config.vocab_size, (int(sys.argv[2]), int(sys.argv[3])))
with torch.no_grad():  # the weights may be memory-mapped: read them all so that they count in the base RSS
    sum(float(p.sum()) for p in model.parameters())
proc, peak, done = psutil.Process(), [0], []
def sample():
    while not done:
        peak[0] = max(peak[0], proc.memory_info().rss)
        time.sleep(0.001)
base = proc.memory_info().rss
thread = threading.Thread(target=sample); thread.start()
opt = torch.optim.AdamW(model.parameters(), lr=1e-5)
logits = model(input_ids=ids).logits
torch.log_softmax(logits.float(), -1)[:, :-1].gather(-1, ids[:, 1:, None]).mean().backward()
del logits
opt.step()
done.append(1); thread.join()
print(json.dumps({"base": base, "peak": peak[0]}))
"""


def test_peak_rss_of_a_real_training_step():
    """SmolLM2-135M on CPU, one full fine-tuning step (2 x 128 tokens, AdamW): the process's RSS grows, over its
    size with the weights loaded, by gradients + AdamW state + activations (+ the logits' gradient, a transient
    the plan leaves out, 2 x 128 x V x 4 = 50 MB, and allocator slack; minus the activations already freed when
    the last gradients appear). Measured growth / plan 0.94 (busy 2-core machine); bound [0.8, 1.15]: gradients and
    state are exact and 1.5 GB of the 1.9 GB, the activations' 0.45 GB within 25% (above) and 50 MB of transient."""
    smollm2 = real_model_dir()  # the fixture of scripts/fetch_fixtures.py: skips locally / fails in CI when missing
    out = subprocess.run([sys.executable, "-c", RSS_STEP, str(smollm2), "2", "128"], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    rss = json.loads(out.stdout.splitlines()[-1])
    p = plan(load_arch(str(smollm2)), Setup(method="ga", batch_size=2, max_length=128))
    ratio = (rss["peak"] - rss["base"]) / (p.gradients + p.optimizer + p.activations)
    assert 0.8 <= ratio <= 1.15, ratio


def test_cli_text_json_and_errors(tmp_path, capsys):
    assert main(["plan", "--arch", "llama-2-7b", "--method", "npo", "--ref-mode", "model", "--engine", "fsdp",
                 "--gpus", "8", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    w, n, params = 4, 8, PUBLISHED["llama-2-7b"]
    assert (got["parameters"], got["gradients"], got["optimizer"]) == (params * w / n, params * w / n,
                                                                      2 * params * w / n)
    assert got["reference"] == params * w  # one unsharded frozen copy per device
    cached = plan(load_arch(arch="llama-2-7b"), Setup(method="npo"))
    lora = plan(load_arch(arch="llama-2-7b"), Setup(method="npo", ref_mode="model", lora_r=8))
    assert cached.reference == 0 and lora.reference == 0 and lora.trainable == 4096 * 8 * 2 * 4 * 32 + \
        (4096 + 11008) * 8 * 3 * 32  # r (in + out) on q k v o (4096 x 4096) and gate up down (4096 x 11008)
    assert main(["plan", "--arch", "smollm2-135m", "--lora", "8"]) == 0
    assert "parameters" in capsys.readouterr().out
    (tmp_path / "config.json").write_text('{"model_type": "gpt2"}')
    assert main(["plan", "--model", str(tmp_path)]) == 2
    assert "not a Llama-style decoder config" in capsys.readouterr().err
    assert main(["plan", "--model", str(tmp_path / "missing")]) == 2
    assert main(["plan", "--arch", "llama-2-7b", "--method", "nope"]) == 2
