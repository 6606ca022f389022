"""A decoder's shapes (from a config.json, a model folder, or a preset) and its exact parameter count.

Covers the Llama-style decoders (llama, mistral, qwen2/3, smollm, ...): embeddings V x h; per layer attention
q / o of h x (heads x head_dim) and k / v of h x (kv_heads x head_dim) (+ biases with `attention_bias`), a gated
MLP of three h x I matrices (+ biases with `mlp_bias`), two RMSNorm weights of h; a final norm h; an output layer
V x h unless tied to the embeddings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from meow.errors import MeowError

# config.json fields of a few public models (their published shapes), for `meow plan --arch NAME`
PRESETS: dict[str, dict[str, Any]] = {
    "llama-2-7b": {"model_type": "llama", "hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32,
                   "num_key_value_heads": 32, "intermediate_size": 11008, "vocab_size": 32000,
                   "tie_word_embeddings": False},
    "llama-3.1-8b": {"model_type": "llama", "hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32,
                     "num_key_value_heads": 8, "intermediate_size": 14336, "vocab_size": 128256,
                     "tie_word_embeddings": False},
    "llama-3.2-1b": {"model_type": "llama", "hidden_size": 2048, "num_hidden_layers": 16, "num_attention_heads": 32,
                     "num_key_value_heads": 8, "intermediate_size": 8192, "vocab_size": 128256,
                     "tie_word_embeddings": True},
    "smollm2-135m": {"model_type": "llama", "hidden_size": 576, "num_hidden_layers": 30, "num_attention_heads": 9,
                     "num_key_value_heads": 3, "intermediate_size": 1536, "vocab_size": 49152,
                     "tie_word_embeddings": True},
}
LORA_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")  # meow.modeling.lora


@dataclass(frozen=True)
class Arch:
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    intermediate: int
    vocab: int
    tied: bool
    head_dim: int
    attention_bias: bool = False
    mlp_bias: bool = False
    name: str = ""

    @property
    def q_dim(self) -> int:
        return self.heads * self.head_dim

    @property
    def kv_dim(self) -> int:
        return self.kv_heads * self.head_dim

    def linears(self) -> dict[str, tuple[int, int]]:
        """(in, out) features of each linear layer of one decoder block."""
        h, i = self.hidden, self.intermediate
        return {"q_proj": (h, self.q_dim), "k_proj": (h, self.kv_dim), "v_proj": (h, self.kv_dim),
                "o_proj": (self.q_dim, h), "gate_proj": (h, i), "up_proj": (h, i), "down_proj": (i, h)}

    def layer_params(self) -> int:
        weights = sum(a * b for a, b in self.linears().values())
        bias = (self.q_dim + 2 * self.kv_dim + self.hidden) * self.attention_bias
        bias += (2 * self.intermediate + self.hidden) * self.mlp_bias
        return weights + bias + 2 * self.hidden  # + input / post-attention RMSNorm weights

    def embedding_params(self) -> int:
        return self.vocab * self.hidden

    def params(self) -> int:
        """Distinct parameters (a tied output layer is the embedding, counted once)."""
        head = 0 if self.tied else self.vocab * self.hidden
        return self.embedding_params() + self.layers * self.layer_params() + self.hidden + head

    def lora_params(self, r: int, modules: tuple[str, ...] = LORA_MODULES) -> int:
        """LoRA A (r x in) and B (out x r) on each adapted linear layer of every block."""
        return self.layers * sum(r * (a + b) for name, (a, b) in self.linears().items() if name in modules)


def arch_from_config(config: dict[str, Any], source: str = "config") -> Arch:
    need = ("hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "vocab_size")
    missing = [k for k in need if k not in config]
    if missing:
        raise MeowError(f"{source}: not a Llama-style decoder config (no {', '.join(missing)}; model_type "
                        f"{config.get('model_type', '?')!r})")
    heads = int(config["num_attention_heads"])
    head_dim = config.get("head_dim") or int(config["hidden_size"]) // heads
    return Arch(hidden=int(config["hidden_size"]), layers=int(config["num_hidden_layers"]), heads=heads,
                kv_heads=int(config.get("num_key_value_heads") or heads),
                intermediate=int(config["intermediate_size"]), vocab=int(config["vocab_size"]),
                tied=bool(config.get("tie_word_embeddings", True)), head_dim=int(head_dim),
                attention_bias=bool(config.get("attention_bias", False)), mlp_bias=bool(config.get("mlp_bias", False)),
                name=str(config.get("_name_or_path") or source))


def load_arch(model: str | None = None, arch: str | None = None) -> Arch:
    """From `--arch NAME` (a preset) or `--model PATH` (a model folder or its config.json); never the hub."""
    if arch:
        if arch not in PRESETS:
            raise MeowError(f"--arch: unknown preset {arch!r}; choose from {', '.join(PRESETS)}")
        return arch_from_config(PRESETS[arch], arch)
    if not model:
        raise MeowError("give --model (a model folder or config.json) or --arch (one of: " + ", ".join(PRESETS) + ")")
    path = Path(model)
    path = path / "config.json" if path.is_dir() else path
    if not path.is_file():
        raise MeowError(f"--model: {model}: no such model folder or config.json (meow plan reads local configs only; "
                        f"presets: --arch {' | '.join(PRESETS)})")
    try:
        config = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise MeowError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(config, dict):
        raise MeowError(f"{path}: expected a JSON object")
    return arch_from_config(config.get("text_config", config), str(path))
