"""Small random-initialised models of real architectures around a real tokenizer: real code paths, no weights.

`random_model(arch, tokenizer_dir, out)` writes an ordinary Hugging Face folder (config, weights, tokenizer, no
meow.json) that `meow train --model OUT` and every other stage load exactly as they load a hub checkpoint. The
vocabulary is the tokenizer's own (all of it, special tokens included), so prompt formats, chat templates, BOS/EOS
and end-of-turn tokens are those of the real model family; only the width and depth are tiny (or, for
`bench/gpu_check.py`, about 1B parameters).

`FAMILIES` names the combinations the tests run (`tests/pipeline/test_families.py`, `tests/modeling/test_family_models.py`), each like a released model:

| family  | architecture (model_type)        | tokenizer                          | like                          |
|---------|----------------------------------|------------------------------------|-------------------------------|
| llama2  | LlamaForCausalLM (llama)         | Llama-2 SentencePiece, no template | Llama-2-7b (TOFU's target)    |
| llama3  | LlamaForCausalLM (llama), GQA    | Llama-3 byte-level BPE + template  | Llama-3.x-Instruct            |
| qwen3   | Qwen3ForCausalLM (qwen3), GQA    | Qwen3 + ChatML template (think)    | Qwen3 / Qwen2.5-Instruct      |
| phi     | PhiForCausalLM (phi)             | Qwen3's byte-level BPE, no BOS, no template, EOS <|endoftext|> | Phi-1.5 (TOFU's second model: GPT-2-style BPE) |
| gemma3  | Gemma3ForCausalLM (gemma3_text)  | Gemma-3 (262k) + template          | Gemma-3-it                    |
| mistral | MistralForCausalLM (mistral)     | Llama-2 SentencePiece + [INST] template | Mistral-7B-Instruct-v0.1 |
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from meow.errors import MeowError

# Mistral-7B-Instruct-v0.1's template (user/assistant alternate, BOS written by the template, EOS ends a turn)
MISTRAL_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
    "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token }}"
    "{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}"
)

ARCHS = ("llama", "qwen3", "phi", "gemma3_text", "gemma2", "mistral")
ALIASES = {"gemma3": "gemma3_text", "gemma": "gemma3_text", "qwen": "qwen3"}


@dataclass(frozen=True)
class Shape:
    """Width and depth. `heads` query heads share `kv_heads` key/value heads (GQA when fewer)."""

    hidden_size: int = 32
    layers: int = 2
    heads: int = 2
    kv_heads: int = 2
    intermediate_size: int = 64
    max_positions: int = 512
    tied: bool | None = None  # input and output embeddings shared (None: as the released family does)


@dataclass(frozen=True)
class Family:
    """A tokenizer fixture (`.fixtures/tokenizers/<tokenizer>`) in an architecture, with the released model's quirks."""

    name: str
    arch: str
    tokenizer: str
    shape: Shape = field(default_factory=Shape)
    chat_template: str | None = None  # set one where the released tokenizer has it and the fixture lacks it
    no_chat_template: bool = False  # a base model: drop the fixture's template
    eos_token: str | None = None  # where the released model's EOS differs from the fixture's


FAMILIES: dict[str, Family] = {f.name: f for f in (
    Family("llama2", "llama", "llama2"),
    Family("llama3", "llama", "llama3", Shape(heads=4, kv_heads=2)),
    Family("qwen3", "qwen3", "qwen3", Shape(heads=4, kv_heads=2)),
    Family("phi", "phi", "qwen3", no_chat_template=True, eos_token="<|endoftext|>"),
    Family("gemma3", "gemma3_text", "gemma3", Shape(heads=2, kv_heads=1)),
    Family("mistral", "mistral", "llama2", Shape(heads=4, kv_heads=2), chat_template=MISTRAL_TEMPLATE),
)}


def arch_name(arch: str) -> str:
    name = ALIASES.get(arch, arch)
    if name not in ARCHS:
        raise MeowError(f"unknown architecture {arch!r}; choose from {', '.join(ARCHS)} (or {', '.join(ALIASES)})")
    return name


def model_config(arch: str, vocab_size: int, shape: Shape, tokenizer: Any) -> Any:
    """The transformers config of `arch` at `shape`, with the tokenizer's vocabulary and special tokens."""
    import transformers

    arch = arch_name(arch)
    head_dim = shape.hidden_size // shape.heads
    common = {
        "vocab_size": vocab_size, "hidden_size": shape.hidden_size, "num_hidden_layers": shape.layers,
        "num_attention_heads": shape.heads, "num_key_value_heads": shape.kv_heads,
        "intermediate_size": shape.intermediate_size, "max_position_embeddings": shape.max_positions,
        "bos_token_id": tokenizer.bos_token_id, "eos_token_id": tokenizer.eos_token_id,
        "pad_token_id": tokenizer.pad_token_id,
    }

    def tied(default: bool) -> bool:
        return default if shape.tied is None else shape.tied

    if arch == "llama":
        return transformers.LlamaConfig(**common, tie_word_embeddings=tied(False))
    if arch == "mistral":
        return transformers.MistralConfig(**common, head_dim=head_dim, sliding_window=shape.max_positions,
                                          tie_word_embeddings=tied(False))
    if arch == "qwen3":  # q/k RMSNorm per head, tied embeddings as in Qwen3-0.6B
        return transformers.Qwen3Config(**common, head_dim=head_dim, tie_word_embeddings=tied(True))
    if arch == "phi":  # partial rotary (0.5), LayerNorm, biased linears, parallel attention/MLP as in Phi-1.5
        return transformers.PhiConfig(**common, tie_word_embeddings=tied(False))
    # Gemma: tied embeddings (the 262k vocabulary dominates), sliding-window and global layers (+ logit
    # soft-capping in Gemma-2)
    cls = transformers.Gemma3TextConfig if arch == "gemma3_text" else transformers.Gemma2Config
    layer_types = ["sliding_attention" if (i + 1) % 2 else "full_attention" for i in range(shape.layers)]
    return cls(**common, head_dim=head_dim, query_pre_attn_scalar=head_dim, sliding_window=16,
               layer_types=layer_types, tie_word_embeddings=tied(True))


def load_tokenizer(tokenizer_dir: str | Path, family: Family | None = None) -> Any:
    from transformers import AutoTokenizer

    try:
        tok = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    except Exception as e:  # transformers raises OSError, ValueError, ...
        raise MeowError(f"{tokenizer_dir}: could not load a tokenizer ({type(e).__name__})") from None
    if family is not None:
        if family.no_chat_template:
            tok.chat_template = None
        if family.chat_template and not tok.chat_template:
            tok.chat_template = family.chat_template
        if family.eos_token:
            tok.eos_token = family.eos_token
    return tok


def build_model(arch: str, tokenizer: Any, shape: Shape | None = None, seed: int = 0, dtype: str = "float32",
                device: str | None = None) -> Any:
    """A randomly initialised `arch` model (in memory) for `tokenizer`'s whole vocabulary."""
    import torch
    from transformers import AutoModelForCausalLM

    config = model_config(arch, len(tokenizer), shape or Shape(), tokenizer)
    torch.manual_seed(seed)
    with torch.device(device or "cpu"):
        model = AutoModelForCausalLM.from_config(config, dtype=getattr(torch, dtype))
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    model.generation_config.pad_token_id = pad
    return model


def random_lm(arch: str, tokenizer_dir: str | Path, shape: Shape | None = None, seed: int = 0) -> Any:
    """`meow train --init random --arch ARCH --tokenizer-from DIR`: an LM with the prompt format its tokenizer implies."""
    from meow.modeling.lm import LM, prepare_tokenizer
    from meow.modeling.prompt import PromptFormat

    tok = load_tokenizer(tokenizer_dir)
    return LM(build_model(arch_name(arch), tok, shape, seed), prepare_tokenizer(tok), PromptFormat.for_tokenizer(tok))


def random_model(arch: str, tokenizer_dir: str | Path, out: str | Path, shape: Shape | None = None, seed: int = 0,
                 dtype: str = "float32", family: Family | None = None, device: str | None = None) -> Path:
    """Save a randomly initialised `arch` model with the tokenizer of `tokenizer_dir` (and its quirks) into `out`.

    `dtype` is the dtype the weights are stored in and recorded as the config's `dtype` (what `--dtype auto` reads);
    `device` is where the weights are initialised (a GPU initialises a 1B model in a second, a CPU in a minute).
    """
    tok = load_tokenizer(tokenizer_dir, family)
    model = build_model(arch, tok, shape, seed, dtype, device)
    out = Path(out)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


def family_model(name: str, tokenizers: str | Path, out: str | Path, shape: Shape | None = None, seed: int = 0,
                 dtype: str = "float32") -> Path:
    """`random_model` for one of `FAMILIES`; `tokenizers` holds the fixture folders (`llama2/`, `qwen3/`, ...)."""
    if name not in FAMILIES:
        raise MeowError(f"unknown model family {name!r}; choose from {', '.join(FAMILIES)}")
    fam = FAMILIES[name]
    return random_model(fam.arch, Path(tokenizers) / fam.tokenizer, out, shape or fam.shape, seed, dtype, fam)


def parameter_count(model: Any) -> int:
    """Distinct parameters (tied embeddings counted once)."""
    return sum(p.numel() for p in {id(p): p for p in model.parameters()}.values())
