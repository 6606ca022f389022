"""`hf` inverter: a local transformers causal LM (folder or hub id) writes the inverted answers.

The instruction of docs/method.md section 2 goes through the tokenizer's chat template (system + user message; merged into
one user message when the template has no system role), or, without a template, a plain prompt. Generation
is batched by `meow.modeling.generate`; each batch is sampled with its own seed (seed, attempt, batch start)
and its replies are handed back (and cached) as soon as the batch is done. The model is loaded only when
some request is not already in the cache.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from meow.errors import MeowError
from meow.invert.base import INVERTERS, Reply, Request
from meow.options import DTYPES

PLAIN_TEMPLATE = "{system}\n\n{user}\nAnswers:\n"


def build_prompt(tokenizer: Any, messages: list[dict[str, str]]) -> str:
    """Chat template when the tokenizer has one, else a plain instruction prompt."""
    if getattr(tokenizer, "chat_template", None):
        try:
            return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        except Exception:  # e.g. templates that reject a system role
            merged = [{"role": "user", "content": "\n\n".join(m["content"] for m in messages)}]
            return tokenizer.apply_chat_template(merged, tokenize=False, add_generation_prompt=True)
    system = "\n".join(m["content"] for m in messages if m["role"] == "system")
    user = "\n".join(m["content"] for m in messages if m["role"] != "system")
    return PLAIN_TEMPLATE.format(system=system, user=user)


@INVERTERS.register("hf")
@dataclass
class HFInverter:
    """Sampled answers from a local causal LM (module docstring)."""

    name: ClassVar[str] = "hf"
    cacheable: ClassVar[bool] = True
    model: str | None = None
    temperature: float = field(default=0.9, metadata={"ge": 0})
    max_new_tokens: int = field(default=256, metadata={"ge": 1})
    batch_size: int = field(default=16, metadata={"ge": 1})
    dtype: str = field(default="auto", metadata={"choices": DTYPES})
    device: str | None = None
    seed: int = field(default=0, metadata={"ge": 0})
    prompt_format: dict | None = None  # PromptFormat.to_dict() from --prompt-format (None: build_prompt)

    def __post_init__(self) -> None:
        if not self.model:
            raise MeowError("the hf backend needs --model (a model folder or hub id)")
        from meow.config import check_device

        check_device(self.device)
        if self.batch_size < 1 or self.max_new_tokens < 1:
            raise MeowError("--batch-size and --max-new-tokens must be at least 1")
        self._lm: Any = None

    def identity(self) -> dict[str, Any]:
        return {"model": str(self.model), "temperature": self.temperature, "max_new_tokens": self.max_new_tokens,
                "seed": self.seed, **({"prompt_format": self.prompt_format} if self.prompt_format else {})}

    def prepare(self, records: list[dict]) -> None:
        pass

    def lm(self) -> Any:
        if self._lm is None:
            from meow.modeling import PromptFormat, load_lm

            fmt = PromptFormat.from_dict(self.prompt_format) if self.prompt_format else None
            self._lm = load_lm(self.model, dtype=self.dtype, device=self.device, fmt=fmt)
        return self._lm

    def run(self, requests: list[Request]) -> Iterator[tuple[Request, Reply]]:
        if not requests:
            return
        from meow.modeling import generate

        lm = self.lm()
        for start in range(0, len(requests), self.batch_size):
            chunk = requests[start:start + self.batch_size]
            prompts = [lm.fmt.prompt_messages(lm.tokenizer, r.messages) if self.prompt_format
                       else build_prompt(lm.tokenizer, r.messages) for r in chunk]
            seed = self.seed + 1_000_003 * chunk[0].attempt + start
            texts = generate(lm, prompts, max_new_tokens=self.max_new_tokens, batch_size=self.batch_size,
                             temperature=self.temperature, seed=seed)
            for req, text in zip(chunk, texts):
                yield req, Reply(text=text)
