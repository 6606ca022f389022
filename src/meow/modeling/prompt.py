"""How a question/answer pair becomes text. Recorded in every model folder (`meow.json`) and reused by every stage.

Three kinds (`PromptFormat.kind`):

- `plain`: meow's own "Question: {q}\\nAnswer:" followed by " {a}" (the tiny models are trained with it);
- `tags`: `user_start + q + user_end + assistant_start` followed by `a`, as TOFU (`config/model_config.yaml`,
  `data_module.py::convert_raw_data_to_model_format`) and open-unlearning (`configs/model/*.yaml` template_args with
  `apply_chat_template: False`, `src/data/utils.py::preprocess_chat_instance`) build it; `system` (open-unlearning's
  `system_prompt_with_special_tokens`) is written verbatim in front. `assistant_end` only separates in-context
  examples in open-unlearning; the answer itself ends with the tokenizer's EOS, as in both references;
- `chat`: the tokenizer's chat template applied to the whole conversation (`system`, user, assistant) with
  template variables such as Llama-3's `date_string`, as open-unlearning does with `apply_chat_template: True`.
  The prompt is the rendered conversation up to the assistant content, so a template that writes more than its
  generation prompt before an answer (Qwen3's empty `<think>\\n\\n</think>\\n\\n`) is scored in the context the
  model sees. The text after the content up to its first special token (`<|eot_id|>`, `<|im_end|>`,
  `<end_of_turn>`, `</s>`) is the end of the turn.

Named presets (`PRESETS`) copy the reference configs; `parse` reads `--prompt-format` values.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from meow.errors import MeowError

PLAIN_QUESTION = "Question: {question}\nAnswer:"
KINDS = ("plain", "tags", "chat")
_SENTINEL = "MEOWANSWERSENTINEL"  # letters only: survives templates that trim or strip content


@dataclass(frozen=True)
class ChatParts:
    """What a chat template writes around the assistant content (worked out once per tokenizer and format)."""

    lead: str  # text between the generation prompt and the content (Llama-2's " "), part of the continuation
    suffix: str  # text after the content (e.g. "<|im_end|>\n")
    trims: bool  # the template strips the content's surrounding whitespace


@dataclass(frozen=True)
class PromptFormat:
    """A prompt format: `kind` (plain | tags | chat), `system` prompt, tags, template variables, preset name."""

    kind: str = "plain"
    system: str | None = None
    user_start: str = ""
    user_end: str = ""
    assistant_start: str = ""
    assistant_end: str = ""
    template_vars: dict[str, Any] = field(default_factory=dict)
    name: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise MeowError(f"prompt format kind {self.kind!r}: choose from {', '.join(KINDS)}")

    # ------------------------------------------------------------------ text

    def prompt(self, tokenizer: Any, question: str) -> str:
        """The text before the answer (what generation continues)."""
        if self.kind == "chat":
            return self._chat_prompt(tokenizer, question)
        if self.kind == "tags":
            return (self.system or "") + self.user_start + question + self.user_end + self.assistant_start
        return PLAIN_QUESTION.format(question=question)

    def continuation(self, answer: str, tokenizer: Any = None) -> str:
        """The answer as written after the prompt: " a" (plain), a (tags), the template's lead + a (chat)."""
        if self.kind == "plain":
            return " " + answer
        if self.kind == "tags":
            return answer
        parts = self.chat_parts(_need(tokenizer))
        return parts.lead + (answer.strip() if parts.trims else answer)

    def suffix(self, tokenizer: Any) -> str:
        """Text after the answer that carries the end-of-turn token ("" for plain and tags: EOS is added as an id)."""
        return self.chat_parts(tokenizer).suffix if self.kind == "chat" else ""

    def end_of_turn_id(self, tokenizer: Any) -> int | None:
        """The token that ends an answer: the first special token of the chat suffix, else the tokenizer's EOS."""
        if self.kind == "chat" and getattr(tokenizer, "chat_template", None):
            ids = tokenizer(self.suffix(tokenizer), add_special_tokens=False)["input_ids"]
            special = special_ids(tokenizer)
            found = next((i for i in ids if i in special), None)
            if found is not None:
                return found
        return tokenizer.eos_token_id

    def stop_ids(self, tokenizer: Any) -> list[int]:
        """Generation stops on any of these: the end-of-turn token and the tokenizer's EOS."""
        ids = [self.end_of_turn_id(tokenizer), tokenizer.eos_token_id]
        return list(dict.fromkeys(i for i in ids if i is not None))

    def prompt_messages(self, tokenizer: Any, messages: list[dict[str, str]]) -> str:
        """An instruction conversation (system + user messages) as a generation prompt in this format (the hf
        inverter). Chat: the template with this format's system prompt, if any, in place of the messages' own."""
        system = "\n".join(m["content"] for m in messages if m["role"] == "system")
        user = "\n\n".join(m["content"] for m in messages if m["role"] != "system")
        if self.kind == "chat":
            system = self.system if self.system is not None else system
            msgs = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": user}]
            return tokenizer.apply_chat_template(msgs, add_generation_prompt=True, tokenize=False, **self.template_vars)
        if self.kind == "tags":
            head = self.system if self.system is not None else (system + "\n\n" if system else "")
            return head + self.user_start + user + self.user_end + self.assistant_start
        return PLAIN_QUESTION.format(question=(system + "\n\n" if system else "") + user)

    @property
    def prompt_has_special_tokens(self) -> bool:
        """Chat templates write their own special tokens (BOS included when the model uses one)."""
        return self.kind == "chat"

    # ------------------------------------------------------------------ chat templates

    def _render(self, tokenizer: Any, question: str, answer: str | None) -> str:
        messages = [{"role": "system", "content": self.system}] if self.system else []
        messages.append({"role": "user", "content": question})
        if answer is not None:
            messages.append({"role": "assistant", "content": answer})
        try:
            return tokenizer.apply_chat_template(messages, add_generation_prompt=answer is None, tokenize=False,
                                                 **self.template_vars)
        except Exception as e:
            first = (str(e).strip().splitlines() or [type(e).__name__])[0]
            raise MeowError(f"prompt format 'chat': the tokenizer's chat template failed ({first})") from None

    def _chat_prompt(self, tokenizer: Any, question: str) -> str:
        """Rendered once per (format, question) and kept on the tokenizer (MEMO asks for each window)."""
        cache = tokenizer.__dict__.setdefault("_meow_chat_prompts", {})
        key = (repr(self), question)
        if key not in cache:
            if len(cache) >= 100_000:
                cache.clear()
            full = self._render(tokenizer, question, _SENTINEL)
            head = full[: full.index(_SENTINEL)]
            cache[key] = head[: len(head) - len(self.chat_parts(tokenizer).lead)]
        return cache[key]

    def chat_parts(self, tokenizer: Any) -> ChatParts:
        """Lead, suffix and trimming of the template, found by rendering a sentinel answer (cached per tokenizer)."""
        if not getattr(tokenizer, "chat_template", None):
            raise MeowError("prompt format 'chat': the tokenizer has no chat template; pass --prompt-format plain, "
                            "tags:... or a tags preset such as tofu-llama2-chat")
        cache = tokenizer.__dict__.setdefault("_meow_chat_parts", {})
        key = repr(self)
        if key not in cache:
            full = self._render(tokenizer, "Q", _SENTINEL)
            if _SENTINEL not in full:
                raise MeowError("prompt format 'chat': the chat template does not write the assistant's answer")
            head, suffix = full.split(_SENTINEL, 1)
            gen = self._render(tokenizer, "Q", None)
            lead = head[len(gen):] if head.startswith(gen) and not head[len(gen):].strip() else ""
            padded = " \t" + _SENTINEL + "\t "
            trims = padded not in self._render(tokenizer, "Q", padded)
            cache[key] = ChatParts(lead, suffix, trims)
        return cache[key]

    # ------------------------------------------------------------------ records

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PromptFormat:
        """From meow.json (older files hold only kind and system)."""
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        unknown = sorted(set(d) - set(known))
        if unknown:
            raise MeowError(f"meow.json format: unknown field(s) {', '.join(unknown)}")
        return cls(**{**known, "template_vars": dict(known.get("template_vars") or {})})

    @classmethod
    def for_tokenizer(cls, tokenizer: Any) -> PromptFormat:
        """The guess for a folder without meow.json: the chat template if the tokenizer has one, else plain."""
        return cls("chat") if getattr(tokenizer, "chat_template", None) else cls("plain")


def _need(tokenizer: Any) -> Any:
    if tokenizer is None:
        raise TypeError("a chat prompt format needs the tokenizer")
    return tokenizer


def special_ids(tokenizer: Any) -> set[int]:
    """Ids of the tokenizer's special tokens: named ones and added tokens marked special (e.g. <|eot_id|>)."""
    cached = tokenizer.__dict__.get("_meow_special_ids")
    if cached is None:
        cached = set(tokenizer.all_special_ids)
        decoder = getattr(tokenizer, "added_tokens_decoder", {}) or {}
        cached.update(i for i, t in decoder.items() if getattr(t, "special", False))
        tokenizer.__dict__["_meow_special_ids"] = cached
    return cached


# ---------------------------------------------------------------------- presets

_SYS = "You are a helpful assistant."
_QA = {"user_start": "Question: ", "user_end": "\n", "assistant_start": "Answer: ", "assistant_end": "\n\n"}

#: name -> (format, reference file). Tags and system prompts copied from the reference configs.
PRESETS: dict[str, tuple[PromptFormat, str]] = {
    "tofu-llama2-chat": (PromptFormat("tags", user_start="[INST] ", user_end=" [/INST]", assistant_start="",
                                      assistant_end=" ", name="tofu-llama2-chat"),
                         "locuslab/tofu config/model_config.yaml (llama2-7b); locuslab/open-unlearning "
                         "configs/model/Llama-2-7b-chat-hf.yaml"),
    "tofu-phi": (PromptFormat("tags", **_QA, name="tofu-phi"),
                 "locuslab/tofu config/model_config.yaml (phi, stablelm, pythia-1.4); locuslab/open-unlearning "
                 "configs/model/phi-1_5.yaml"),
    "ou-llama2-base": (PromptFormat("tags", **_QA, name="ou-llama2-base"),
                       "locuslab/open-unlearning configs/model/Llama-2-7b-hf.yaml, Llama-2-13b-hf.yaml"),
    "ou-llama3-instruct": (PromptFormat("chat", system=_SYS, template_vars={"date_string": "10 Apr 2025"},
                                        name="ou-llama3-instruct"),
                           "locuslab/open-unlearning configs/model/Llama-3.1-8B-Instruct.yaml, "
                           "Llama-3.2-1B-Instruct.yaml, Llama-3.2-3B-Instruct.yaml"),
    "ou-phi3.5-instruct": (PromptFormat("chat", system=_SYS, name="ou-phi3.5-instruct"),
                           "locuslab/open-unlearning configs/model/Phi-3.5-mini-instruct.yaml"),
    "ou-qwen2.5-instruct": (PromptFormat("chat", system=_SYS, name="ou-qwen2.5-instruct"),
                            "locuslab/open-unlearning configs/model/Qwen2.5-{0.5B,1.5B,3B,7B}-Instruct.yaml"),
    "ou-gemma-it": (PromptFormat("chat", name="ou-gemma-it"), "locuslab/open-unlearning configs/model/gemma-7b-it.yaml"),
    "ou-zephyr": (PromptFormat("chat", system=_SYS, template_vars={"date_string": "10 Apr 2025"}, name="ou-zephyr"),
                  "locuslab/open-unlearning configs/model/zephyr-7b-beta.yaml"),
}
PRESETS["ou-llama2-chat"] = (replace(PRESETS["tofu-llama2-chat"][0], name="ou-llama2-chat"),
                             "locuslab/open-unlearning configs/model/Llama-2-7b-chat-hf.yaml")
PRESETS["ou-phi-1.5"] = (replace(PRESETS["tofu-phi"][0], name="ou-phi-1.5"),
                         "locuslab/open-unlearning configs/model/phi-1_5.yaml")

_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", "|": "|", "r": "\r"}


def _unescape(s: str) -> str:
    out, i = [], 0
    while i < len(s):
        if s[i] == "\\" and i + 1 < len(s) and s[i + 1] in _ESCAPES:
            out.append(_ESCAPES[s[i + 1]])
            i += 2
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def _split_tags(s: str) -> list[str]:
    parts, cur, i = [], "", 0
    while i < len(s):
        if s[i] == "\\" and i + 1 < len(s):
            cur += s[i: i + 2]
            i += 2
            continue
        if s[i] == "|":
            parts.append(cur)
            cur = ""
        else:
            cur += s[i]
        i += 1
    return [*parts, cur]


def parse(spec: str) -> PromptFormat:
    """`plain`, `chat`, a preset name, or `tags:USER_START|USER_END|ASSISTANT_START[|ASSISTANT_END]` (escapes
    \\n, \\t, \\\\, \\|), e.g. `tags:[INST] | [/INST]||` or `tags:Question: |\\n|Answer: |\\n\\n`."""
    if spec in PRESETS:
        return PRESETS[spec][0]
    if spec in ("plain", "chat"):
        return PromptFormat(spec)
    if spec.startswith("tags:"):
        tags = [_unescape(t) for t in _split_tags(spec[len("tags:"):])]
        if len(tags) not in (3, 4):
            raise MeowError(f"--prompt-format {spec!r}: tags: takes USER_START|USER_END|ASSISTANT_START"
                            "[|ASSISTANT_END] (3 or 4 fields separated by |)")
        return PromptFormat("tags", user_start=tags[0], user_end=tags[1], assistant_start=tags[2],
                            assistant_end=tags[3] if len(tags) == 4 else "")
    raise MeowError(f"--prompt-format {spec!r}: choose plain, chat, tags:..., or a preset "
                    f"({', '.join(sorted(PRESETS))})")


def guessed(tokenizer: Any, where: str) -> PromptFormat:
    """The guess for a folder without a recorded format, with a one-line hint."""
    fmt = PromptFormat.for_tokenizer(tokenizer)
    how = "the tokenizer's chat template" if fmt.kind == "chat" else "no chat template"
    logging.getLogger("meow").warning(
        "%s: no meow.json, so the prompt format is guessed: %s (%s); pass --prompt-format (plain, chat, tags:..., "
        "or a preset such as tofu-llama2-chat) if the model was trained otherwise", where, fmt.kind, how)
    return fmt
