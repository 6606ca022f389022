"""Which linear layers LoRA adapts, per architecture (`config.model_type`): every linear layer of the transformer
blocks, never the output head or the embeddings.

This is what TOFU (`locuslab/tofu`, utils.py `find_all_linear_names`: every `nn.Linear` but `lm_head`) and
open-unlearning's LoRA configs train; peft's own per-architecture default is only `q_proj, v_proj`. Named lists
make the choice visible in `adapter_config.json` and independent of how an architecture happens to name its head;
an architecture not listed gets peft's `all-linear` (every linear layer except the output layer).
"""

from __future__ import annotations

from typing import Any

from meow.errors import MeowError

ATTENTION = ["q_proj", "k_proj", "v_proj", "o_proj"]
GATED_MLP = ["gate_proj", "up_proj", "down_proj"]

LORA_TARGETS: dict[str, list[str]] = {
    **{t: ATTENTION + GATED_MLP for t in (
        "llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "gemma3_text", "olmo", "olmo2", "granite",
        "cohere", "stablelm", "smollm3", "helium", "glm")},
    "phi": ["q_proj", "k_proj", "v_proj", "dense", "fc1", "fc2"],  # Phi-1 / 1.5 / 2
    "phi3": ["qkv_proj", "o_proj", "gate_up_proj", "down_proj"],  # Phi-3 / 3.5 / 4-mini: fused projections
    "gpt2": ["c_attn", "c_proj", "c_fc"],
    "gpt_neox": ["query_key_value", "dense", "dense_h_to_4h", "dense_4h_to_h"],  # Pythia
    "gptj": ["q_proj", "k_proj", "v_proj", "out_proj", "fc_in", "fc_out"],
    "opt": ["q_proj", "k_proj", "v_proj", "out_proj", "fc1", "fc2"],
    "falcon": ["query_key_value", "dense", "dense_h_to_4h", "dense_4h_to_h"],
}


def _embedding_names(model: Any) -> set[str]:
    """Leaf names of the input and output embeddings (`embed_tokens`, `lm_head`, `wte`, ...)."""
    modules = {id(m) for m in (model.get_input_embeddings(), model.get_output_embeddings()) if m is not None}
    return {name.rsplit(".", 1)[-1] for name, m in model.named_modules() if id(m) in modules}


def lora_targets(model: Any, requested: list[str] | None = None) -> list[str] | str:
    """The `target_modules` for peft's LoraConfig: `requested` (checked), the architecture's list, or `all-linear`.

    A requested or listed name that no module of the model has is a one-line MeowError, as is a request for the
    embeddings or the output head (their LoRA would change the vocabulary rows of every token, tied or not).
    """
    leaves = {name.rsplit(".", 1)[-1] for name, _ in model.named_modules() if name}
    model_type = getattr(model.config, "model_type", "?")
    banned = _embedding_names(model)
    if requested:
        names = list(requested)
        bad = sorted(set(names) & banned)
        if bad:
            raise MeowError(f"--lora-target-modules: {', '.join(bad)} is the embedding or output layer; LoRA "
                            "adapts the transformer blocks only (drop it)")
        missing = sorted(set(names) - leaves)
        if missing:
            raise MeowError(f"--lora-target-modules: {model_type} model has no module named {', '.join(missing)} "
                            f"(its linear layers: {', '.join(linear_names(model))})")
        return names
    names = LORA_TARGETS.get(model_type)
    if names is None or not set(names) <= leaves:
        return "all-linear"
    return list(names)


def linear_names(model: Any) -> list[str]:
    """Distinct leaf names of the model's linear layers (for error messages and tests)."""
    import torch

    return sorted({name.rsplit(".", 1)[-1] for name, m in model.named_modules() if isinstance(m, torch.nn.Linear)})


def adapted_modules(model: Any) -> list[str]:
    """Full names of the modules a peft model carries LoRA weights on."""
    return sorted(name for name, m in model.named_modules() if hasattr(m, "lora_A") and len(m.lora_A))
