"""Random real-architecture models, LoRA targets per architecture, `--dtype` and gradient checkpointing with LoRA."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from meow.cli import main
from meow.errors import MeowError
from meow.modeling.families import FAMILIES, Shape, model_config, parameter_count
from meow.modeling.lora import LORA_TARGETS, adapted_modules, linear_names, lora_targets

TOKENS = SimpleNamespace(bos_token_id=1, eos_token_id=2, pad_token_id=0)
EXPECTED_CLASS = {"llama": "LlamaForCausalLM", "qwen3": "Qwen3ForCausalLM", "phi": "PhiForCausalLM",
                  "gemma3_text": "Gemma3ForCausalLM", "mistral": "MistralForCausalLM"}


def small(arch: str, shape: Shape | None = None):
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    return AutoModelForCausalLM.from_config(model_config(arch, 101, shape or Shape(), TOKENS))


@pytest.mark.parametrize("name", list(FAMILIES))
def test_lora_targets_are_every_block_linear_and_never_the_head(name):
    from peft import LoraConfig, get_peft_model

    fam = FAMILIES[name]
    model = small(fam.arch, fam.shape)
    assert type(model).__name__ == EXPECTED_CLASS[fam.arch]
    targets = lora_targets(model)
    assert targets == LORA_TARGETS[model.config.model_type]
    block_linears = sorted(n for n, m in model.named_modules() if isinstance(m, torch.nn.Linear) and "lm_head" not in n)
    adapted = adapted_modules(get_peft_model(model, LoraConfig(r=2, target_modules=targets)))
    assert [a.removeprefix("base_model.model.") for a in adapted] == block_linears  # all of them, nothing else
    assert len(adapted) == fam.shape.layers * len(targets)


def test_phi_targets_its_own_layer_names():
    assert LORA_TARGETS["phi"] == ["q_proj", "k_proj", "v_proj", "dense", "fc1", "fc2"]
    assert set(LORA_TARGETS["phi"]) == set(linear_names(small("phi"))) - {"lm_head"}


def test_requested_targets_are_checked():
    model = small("llama")
    assert lora_targets(model, ["q_proj", "v_proj"]) == ["q_proj", "v_proj"]
    with pytest.raises(MeowError, match="lm_head is the embedding or output layer") as e:
        lora_targets(model, ["q_proj", "lm_head"])
    assert "\n" not in str(e.value)
    with pytest.raises(MeowError, match=r"llama model has no module named dense.*its linear layers: down_proj"):
        lora_targets(model, ["dense"])
    with pytest.raises(MeowError, match="embed_tokens is the embedding"):
        lora_targets(model, ["embed_tokens"])


def test_unknown_architecture_falls_back_to_all_linear():
    model = small("llama")
    model.config.model_type = "someday"
    assert lora_targets(model) == "all-linear"


def test_gemma_is_tied_and_gqa_shapes():
    fam = FAMILIES["gemma3"]
    model = small(fam.arch, fam.shape)
    assert model.get_output_embeddings().weight is model.get_input_embeddings().weight
    assert parameter_count(model) < sum(p.numel() for p in model.state_dict().values())
    attn = model.model.layers[0].self_attn
    assert attn.k_proj.out_features * fam.shape.heads == attn.q_proj.out_features * fam.shape.kv_heads


def test_unknown_family_and_arch_are_one_line_errors(tmp_path):
    from meow.modeling.families import arch_name, family_model

    with pytest.raises(MeowError, match="unknown model family 'bert'"):
        family_model("bert", tmp_path, tmp_path / "o")
    with pytest.raises(MeowError, match="unknown architecture 'gpt9'"):
        arch_name("gpt9")
    assert arch_name("gemma3") == "gemma3_text"


def test_family_folder_is_a_hub_like_checkpoint(family_model_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = family_model_dir("mistral")
    assert not (folder / "meow.json").exists()
    tok = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder)
    assert model.config.vocab_size == len(tok) == 32000
    text = tok.apply_chat_template([{"role": "user", "content": "Hi?"}], add_generation_prompt=True, tokenize=False)
    assert text == "<s>[INST] Hi? [/INST]"  # Mistral-Instruct's template on the Llama-2 SentencePiece vocabulary
    phi = AutoTokenizer.from_pretrained(family_model_dir("phi"))
    assert phi.chat_template is None and phi.eos_token == "<|endoftext|>" and phi.bos_token is None


# ------------------------------------------------------------------------------------------- dtype and precision

@pytest.fixture(scope="module")
def bf16_llama(tmp_path_factory) -> Path:
    """A Llama-2-family model stored in bfloat16 (config.json "dtype": "bfloat16")."""
    from realtok import FIXTURES, real_tokenizer_dir

    from meow.modeling.families import family_model

    real_tokenizer_dir("llama2")
    return family_model("llama2", FIXTURES, tmp_path_factory.mktemp("bf16") / "llama2", dtype="bfloat16")


@pytest.fixture(scope="module")
def forget_file(tmp_path_factory) -> Path:
    from meow.benchmark import make_benchmark

    data = tmp_path_factory.mktemp("data")
    make_benchmark(data, authors=10, qa_per_author=2, seed=0, background=2)
    return data / "forget10.json"


def saved_dtype(folder: Path) -> str:
    return json.loads((folder / "config.json").read_text())["dtype"]


def test_dtype_auto_honours_the_checkpoint(bf16_llama, tmp_path):
    from meow.modeling import load_lm

    assert saved_dtype(bf16_llama) == "bfloat16"
    assert load_lm(bf16_llama).model.dtype == torch.bfloat16  # default --dtype auto
    assert load_lm(bf16_llama, dtype="float32").model.dtype == torch.float32
    old = tmp_path / "old"  # a transformers 4.x folder names the field torch_dtype
    old.mkdir()
    for f in bf16_llama.iterdir():
        (old / f.name).write_bytes(f.read_bytes())
    config = json.loads((old / "config.json").read_text())
    config["torch_dtype"] = config.pop("dtype")
    (old / "config.json").write_text(json.dumps(config))
    assert load_lm(old).model.dtype == torch.bfloat16
    with pytest.raises(MeowError, match="unknown dtype 'fp8'"):
        load_lm(old, dtype="fp8")


FAST = ["--method", "ga", "--max-steps", "1", "--batch-size", "2", "--grad-accum", "1", "--warmup-epochs", "0",
        "--lr", "1e-3"]


@pytest.mark.parametrize("dtype, expected", [(None, "float32"), ("auto", "bfloat16")])
def test_unlearn_trains_in_float32_unless_asked(bf16_llama, forget_file, tmp_path, dtype, expected):
    out = tmp_path / "u"
    assert main(["unlearn", "--model", str(bf16_llama), "--forget", str(forget_file), "--out", str(out), *FAST,
                 *(["--dtype", dtype] if dtype else [])]) == 0
    assert saved_dtype(out) == expected


def test_train_precision_bf16_on_cpu_and_dtype(bf16_llama, forget_file, tmp_path):
    out = tmp_path / "t"
    assert main(["train", "--model", str(bf16_llama), "--data", str(forget_file), "--out", str(out), "--epochs", "1",
                 "--batch-size", "2", "--precision", "bf16", "--dtype", "bfloat16", "--check", "0"]) == 0
    assert saved_dtype(out) == "bfloat16"


def test_gradient_checkpointing_with_lora_is_on_and_changes_nothing(family_model_dir, forget_file, tmp_path):
    """Same adapter after one step with and without checkpointing; the model really checkpoints when asked."""
    from safetensors.torch import load_file
    from transformers import TrainerCallback

    from meow.unlearn import resolve_configs, unlearn

    seen = {}

    class Probe(TrainerCallback):
        def on_train_begin(self, args, state, control, model=None, **kw):
            seen["checkpointing"] = model.base_model.model.is_activation_checkpointing
            seen["inputs_need_grad"] = model.get_input_embeddings().weight.requires_grad is False

    adapters = {}
    for gc in (False, True):
        cfg, method = resolve_configs(None, {"method": "ga", "max_steps": 1, "batch_size": 2, "grad_accum": 1,
                                             "warmup_epochs": 0, "lr": 1e-3, "lora_r": 4,
                                             "gradient_checkpointing": gc, "dtype": "float64"})
        out = tmp_path / f"gc{gc}"
        unlearn(str(family_model_dir("llama2")), str(forget_file), str(out), cfg, method, callbacks=[Probe()])
        assert seen["checkpointing"] is gc and seen["inputs_need_grad"]
        adapters[gc] = load_file(out / "adapter_model.safetensors")
    assert adapters[False].keys() == adapters[True].keys()
    # float64, since equality is the claim: checkpointing recomputes the same forward, so at most the order of
    # float64 sums differs (~1e-15 relative on gradients of size ~1e-2); AdamW's first step is lr g / (|g| + eps),
    # which moves by lr eps |dg| / g^2 < 1e-20 for such g, and lora_A's gradients are exactly 0 (B starts at 0).
    # 1e-9 absolute holds on any CPU unless a gradient is within ~1e-13 of 0; float32's 2^-24 gave no such margin
    for k in adapters[False]:
        assert adapters[True][k].dtype == torch.float64
        torch.testing.assert_close(adapters[True][k], adapters[False][k], rtol=0, atol=1e-9)
    assert any(adapters[True][k].abs().max() > 0 for k in adapters[True] if "lora_B" in k)  # it did train


# ------------------------------------------------------------------------------------ one-line loading errors

def copy_folder(src: Path, dst: Path, skip: tuple[str, ...] = ()) -> Path:
    dst.mkdir()
    for f in src.iterdir():
        if f.name not in skip:
            (dst / f.name).write_bytes(f.read_bytes())
    return dst


def test_folders_that_do_not_load_are_one_line_errors(family_model_dir, tmp_path):
    from meow.modeling import load_lm

    src = family_model_dir("mistral")
    cases = {
        "no_weights": (("model.safetensors",), "could not load the model (OSError: Error no file named "
                                               "model.safetensors"),
        "no_tokenizer": (("tokenizer.json", "tokenizer_config.json"), "could not load the tokenizer"),
    }
    for name, (skip, message) in cases.items():
        folder = copy_folder(src, tmp_path / name, skip)
        with pytest.raises(MeowError) as e:
            load_lm(folder)
        assert message in str(e.value) and "\n" not in str(e.value), str(e.value)


def test_chat_format_without_a_chat_template_is_one_line(family_model_dir, tmp_path):
    from meow.modeling import load_lm

    folder = copy_folder(family_model_dir("mistral"), tmp_path / "m", ("chat_template.jinja",))
    (folder / "meow.json").write_text(json.dumps({"format": {"kind": "chat"}}))
    with pytest.raises(MeowError, match="the prompt format is 'chat' but the tokenizer has no chat template") as e:
        load_lm(folder)
    assert "\n" not in str(e.value)


def test_train_init_random_arch_around_a_real_tokenizer(forget_file, tmp_path):
    from realtok import real_tokenizer_dir

    tok_dir = real_tokenizer_dir("qwen3")
    out = tmp_path / "q"
    assert main(["train", "--init", "random", "--arch", "qwen3", "--tokenizer-from", str(tok_dir), "--data",
                 str(forget_file), "--out", str(out), "--epochs", "1", "--batch-size", "2", "--hidden-size", "32",
                 "--layers", "1", "--heads", "2", "--intermediate-size", "64", "--check", "0"]) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["model_type"] == "qwen3" and config["vocab_size"] == 151669 and config["num_hidden_layers"] == 1
    meta = json.loads((out / "meow.json").read_text())
    assert meta["format"]["kind"] == "chat" and meta["base_model"].startswith("random qwen3")
    with pytest.raises(MeowError, match="--init random needs --tokenizer-from"):
        from meow.modeling.train import train

        train(str(forget_file), None, str(tmp_path / "x"), init="random")
