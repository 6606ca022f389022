"""A small Llama built from scratch, with a byte-level BPE tokenizer trained on the data: fully offline.

Used by the tests and the demo; real users pass a hub id or model folder instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

BOS, EOS, PAD, UNK = "<s>", "</s>", "<pad>", "<unk>"


@dataclass
class TinyConfig:
    """Shape of the from-scratch model (defaults memorise the default built-in benchmark in about 2 minutes)."""

    hidden_size: int = field(default=128, metadata={"help": "model width", "ge": 1})
    layers: int = field(default=4, metadata={"help": "transformer blocks", "ge": 1})
    heads: int = field(default=4, metadata={"help": "attention heads (must divide --hidden-size)", "ge": 1})
    intermediate_size: int = field(default=512, metadata={"help": "MLP width", "ge": 1})
    vocab_size: int = field(default=2000, metadata={"help": "BPE vocabulary size (the byte alphabet and 4 special tokens come first)", "ge": 260})
    max_positions: int = field(default=512, metadata={"help": "longest sequence", "ge": 1})

    def validate(self) -> None:
        """Across fields: attention heads split the width evenly, into an even head size (RoPE rotates pairs)."""
        from meow.errors import MeowError

        if self.hidden_size % self.heads or (self.hidden_size // self.heads) % 2:
            raise MeowError(f"--hidden-size {self.hidden_size} must split into --heads {self.heads} heads of an even "
                            f"size (hidden_size / heads: a whole, even number, as RoPE rotates pairs)")


def train_tokenizer(texts: Iterable[str], vocab_size: int = 2000) -> Any:
    """Byte-level BPE (exact round trip for any text) with <s> prepended; EOS ends training rows."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[PAD, BOS, EOS, UNK],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(sorted(set(texts)), trainer=trainer)
    bos_id = tok.token_to_id(BOS)
    tok.post_processor = processors.TemplateProcessing(single=f"{BOS} $A", pair=f"{BOS} $A $B",
                                                       special_tokens=[(BOS, bos_id)])
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=BOS, eos_token=EOS, pad_token=PAD,
                                   unk_token=UNK, clean_up_tokenization_spaces=False)


def build_tiny_model(tokenizer: Any, cfg: TinyConfig, seed: int = 0) -> Any:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=cfg.hidden_size,
        num_hidden_layers=cfg.layers,
        num_attention_heads=cfg.heads,
        num_key_value_heads=cfg.heads,
        intermediate_size=cfg.intermediate_size,
        max_position_embeddings=cfg.max_positions,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        attn_implementation="eager",  # ~10% faster than sdpa at this size on CPU
    )
    torch.manual_seed(seed)
    return LlamaForCausalLM(config)


def record_texts(records: Iterable[dict]) -> list[str]:
    """Every piece of text a tokenizer should know: questions, answers and their variants."""
    out: list[str] = []
    for r in records:
        if "question" not in r and isinstance(r.get("text"), str):  # a passage (meow.data.text)
            out.append(r["text"])
            out.extend(v for v in r.get("inverted_answers", []) if isinstance(v, str))
            continue
        out.append(f"Question: {r['question']}\nAnswer: {r['answer']}")
        for key in ("paraphrased_answer", "paraphrased_question"):
            if isinstance(r.get(key), str):
                out.append(r[key])
        for key in ("perturbed_answer", "inverted_answers"):
            out.extend(v for v in r.get(key, []) if isinstance(v, str))
    return out
