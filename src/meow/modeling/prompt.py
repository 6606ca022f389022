"""How a question/answer pair becomes text. Recorded in every model folder (`meow.json`) and reused by every stage."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

PLAIN_QUESTION = "Question: {question}\nAnswer:"


@dataclass(frozen=True)
class PromptFormat:
    """`plain`: "Question: {q}\\nAnswer:" followed by " {a}"; `chat`: the tokenizer's chat template."""

    kind: str = "plain"
    system: str | None = None

    def prompt(self, tokenizer: Any, question: str) -> str:
        if self.kind == "chat":
            messages = ([{"role": "system", "content": self.system}] if self.system else []) + [
                {"role": "user", "content": question}
            ]
            return tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        return PLAIN_QUESTION.format(question=question)

    def continuation(self, answer: str) -> str:
        return answer if self.kind == "chat" else " " + answer

    @property
    def prompt_has_special_tokens(self) -> bool:
        """Chat templates write BOS themselves; plain prompts get the tokenizer's special tokens added."""
        return self.kind == "chat"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def for_tokenizer(cls, tokenizer: Any) -> PromptFormat:
        return cls("chat") if getattr(tokenizer, "chat_template", None) else cls("plain")
