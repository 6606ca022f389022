"""Memory per device of one unlearning setup, from the model's shapes: `plan(arch, Setup(...))`.

With P parameters, T of them trained, w bytes per weight (--dtype), N devices:

    parameters   P w               (FSDP / ZeRO-3: P w / N, each device holds its shard)
    gradients    T w               (FSDP / ZeRO-2 / ZeRO-3: T w / N)
    optimizer    2 T w             AdamW's two moments, in the weights' dtype as torch keeps them (sharded likewise)
    reference    P w               a frozen copy, once (KL methods; NPO / DPO with --ref-mode model); none with
                                   cached reference log-probs (one number per row) or LoRA (the reference is the
                                   base with adapters off); RMU: its truncated copy, embeddings + layers 0..L (+ final norm)
    activations  a G B S (n_layer (10 h + 4 I) + 3 h + 2 V)
                 tensors saved for the backward pass: a = 4 bytes (fp32; 2 under --precision bf16/fp16), G row
                 groups each forward pass (forget, alt, retain: `Method.groups()`), B rows per device, S tokens.
                 Per token and layer a Llama block keeps about 10 h (RMSNorm inputs and outputs twice, q / k / v
                 and the attention output, the o_proj input) + 4 I (gate, up, silu(gate), their product) values;
                 then the final norm (3 h) and the logits with their log-softmax (2 V). With gradient
                 checkpointing only each layer's input (h) is kept, plus one layer recomputed at a time. LoRA
                 keeps the same (each adapter reads the frozen layer's input, which is then saved anyway).

T is P (full fine-tuning), the LoRA adapters (r (in + out) per adapted linear, meow's targets: every linear of
the blocks), or RMU's --trainable parameters (by default three down_proj matrices). The sharded terms assume
even shards (FSDP pads each flat parameter to a multiple of N). Not counted: the data, the CUDA context / CPU
libraries, allocator fragmentation, temporary buffers of one operation (the largest: the logits' gradient in
the backward pass, G B S V a), DDP's gradient buckets (up to one more gradient copy).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from meow.errors import MeowError
from meow.plan.arch import Arch

ENGINES = ("single", "ddp", "fsdp", "zero2", "zero3")
BYTES = {"float64": 8, "float32": 4, "bfloat16": 2, "float16": 2}
PARAM_SHARDED = {"fsdp", "zero3"}
STATE_SHARDED = {"fsdp", "zero2", "zero3"}
MLP = ("gate_proj", "up_proj", "down_proj")
LAYER_RE = re.compile(r".*layers\\?\.(\d+)")


@dataclass
class Setup:
    method: str = "meow_gd"
    lora_r: int = 0
    engine: str = "single"
    gpus: int = 1
    batch_size: int = 4
    max_length: int = 512
    dtype: str = "float32"
    precision: str = "fp32"
    gradient_checkpointing: bool = False
    ref_mode: str = "cached"
    ref_device: str = "same"
    method_options: dict[str, Any] | None = None


@dataclass
class Plan:
    params: int
    trainable: int
    parameters: float
    gradients: float
    optimizer: float
    reference: float
    activations: float
    groups: tuple[str, ...]
    notes: list[str]

    @property
    def total(self) -> float:
        return self.parameters + self.gradients + self.optimizer + self.reference + self.activations

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "groups": list(self.groups), "total": self.total}


def method_instance(setup: Setup) -> Any:
    from meow.unlearn.methods import METHODS

    return METHODS.get(setup.method)(**(setup.method_options or {}))


def trainable_params(arch: Arch, setup: Setup, method: Any) -> int:
    if setup.lora_r:
        return arch.lora_params(setup.lora_r)
    patterns = getattr(method, "trainable", None)
    if patterns is None or any(p == ".*" for p in patterns):
        return arch.params()
    sizes = {f"model.layers.{i}.{'mlp' if name in MLP else 'self_attn'}.{name}.weight": a * b
             for i in range(arch.layers) for name, (a, b) in arch.linears().items()}
    return sum(n for key, n in sizes.items() if any(re.fullmatch(p, key) for p in patterns))


def rmu_layers(arch: Arch, method: Any) -> int | None:
    """RMU: how many decoder layers its loss runs through (its --layer index + 1); None for other methods."""
    layer = getattr(method, "layer", None)
    if layer is None or not hasattr(method, "steering_coeff"):
        return None
    found = LAYER_RE.fullmatch(layer)
    if not found:
        raise MeowError(f"rmu: cannot read a layer index from --layer {layer!r}")
    return min(int(found.group(1)) + 1, arch.layers)


def reference_params(arch: Arch, setup: Setup, method: Any) -> tuple[int, str | None]:
    """Parameters of the kept reference and why (None: no reference on the device)."""
    upto = rmu_layers(arch, method)
    if upto is not None:
        if not getattr(method, "retain_weight", 0.0):
            return 0, None
        # embeddings, layers 0..L, and the final norm, which the copy keeps unused
        return arch.embedding_params() + upto * arch.layer_params() + arch.hidden, f"RMU's copy up to layer {upto - 1}"
    kept = method.needs_ref_model or (method.ref_logprobs and setup.ref_mode == "model")
    if not kept:
        return 0, "reference log-probs cached before training" if method.ref_logprobs else None
    if setup.lora_r:
        return 0, "LoRA: the reference is the base model with adapters disabled"
    if setup.ref_device == "cpu":
        return 0, "--ref-device cpu: the frozen copy lives in host memory"
    return arch.params(), "a frozen full copy"


def activation_bytes(arch: Arch, setup: Setup, groups: int, layers: int | None = None) -> float:
    """Saved activations; `layers`: the loss reads layer `layers - 1`'s output (RMU), no head is kept."""
    a = 2 if setup.precision in ("bf16", "fp16") else 4
    h, i = arch.hidden, arch.intermediate
    per_layer = h if setup.gradient_checkpointing else 10 * h + 4 * i
    extra = 10 * h + 4 * i if setup.gradient_checkpointing else 0
    head = 3 * h + 2 * arch.vocab if layers is None else 0
    per_token = (arch.layers if layers is None else layers) * per_layer + extra + head
    return float(a * groups * setup.batch_size * setup.max_length * per_token)


def plan(arch: Arch, setup: Setup) -> Plan:
    if setup.engine not in ENGINES:
        raise MeowError(f"--engine: choose from {', '.join(ENGINES)}, got {setup.engine!r}")
    if setup.dtype not in BYTES:
        raise MeowError(f"--dtype: choose from {', '.join(BYTES)}, got {setup.dtype!r}")
    if setup.gpus < 1 or (setup.engine == "single" and setup.gpus != 1):
        raise MeowError(f"--gpus: {setup.gpus} devices with engine {setup.engine!r} (single: 1; others: >= 1)")
    method = method_instance(setup)
    w, n = BYTES[setup.dtype], setup.gpus
    total, trained = arch.params(), trainable_params(arch, setup, method)
    base = total + (trained if setup.lora_r else 0)  # adapters are parameters too
    shard_p = n if setup.engine in PARAM_SHARDED else 1
    shard_s = n if setup.engine in STATE_SHARDED else 1
    ref, why = reference_params(arch, setup, method)
    upto = rmu_layers(arch, method)
    groups = method.groups()
    notes = [f"reference: {why}"] if why else []
    return Plan(params=total, trainable=trained, parameters=base * w / shard_p, gradients=trained * w / shard_s,
                optimizer=2 * trained * w / shard_s, reference=float(ref * w),
                activations=activation_bytes(arch, setup, len(groups), upto), groups=groups, notes=notes)
