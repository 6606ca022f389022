"""Load and save models: standard Hugging Face folders plus `meow.json` (prompt format and provenance)."""

from __future__ import annotations

import logging
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from meow import __version__, options
from meow.errors import MeowError
from meow.io import write_json
from meow.modeling.prompt import PromptFormat, guessed

META_FILE = "meow.json"
DTYPES = options.DTYPES  # the one list (meow.options), also behind every --dtype


@dataclass
class LM:
    """A model, its tokenizer and the prompt format it was trained with."""

    model: Any
    tokenizer: Any
    fmt: PromptFormat = field(default_factory=PromptFormat)
    meta: dict[str, Any] = field(default_factory=dict)
    path: str | None = None

    def prompts(self, questions: list[str]) -> list[str]:
        return [self.fmt.prompt(self.tokenizer, q) for q in questions]

    def continuations(self, answers: list[str]) -> list[str]:
        return [self.fmt.continuation(a, self.tokenizer) for a in answers]

    @property
    def device(self) -> Any:
        return next(self.model.parameters()).device


def prepare_tokenizer(tokenizer: Any) -> Any:
    """Make sure there is a pad token (EOS stands in, as is usual for causal LMs)."""
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def read_meta(path: str | Path) -> dict[str, Any]:
    p = Path(path) / META_FILE
    if not p.is_file():
        return {}
    from meow.io import read_json_file

    meta = read_json_file(p)
    if not isinstance(meta, dict):
        raise MeowError(f"{p}: expected a JSON object (meow's model metadata), got {type(meta).__name__}")
    return meta


def _torch_dtype(dtype: str) -> Any:
    import torch

    if dtype not in DTYPES:
        raise MeowError(f"unknown dtype {dtype!r}; choose from {', '.join(DTYPES)}")
    return "auto" if dtype == "auto" else getattr(torch, dtype)


def load_lm(path_or_id: str | Path, dtype: str = "auto", device: str | None = None,
            fmt: PromptFormat | None = None) -> LM:
    """Load a causal LM from a local folder or a hub id; one-line MeowError if it cannot be loaded.

    Prompt format: `fmt` (from --prompt-format) > the folder's meow.json > a guess from the tokenizer (logged).
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    name = str(path_or_id)
    local = Path(name)
    looks_local = name.startswith(("/", ".", "~")) or name.count("/") > 1 or "\\" in name
    if not local.exists() and looks_local:
        raise MeowError(f"{name}: model folder not found")
    if local.exists() and not (local / "config.json").is_file() and not (local / "adapter_config.json").is_file():
        raise MeowError(f"{name}: not a model folder (no config.json)")
    meta = read_meta(local) if local.is_dir() else {}
    torch_dtype = _torch_dtype(dtype)
    hf_logging.disable_progress_bar()  # one bar per shard of a 1 MB model is noise; stages show their own
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # the one-line MeowError below says it; no warning lines before it
    try:
        what = "tokenizer"
        tokenizer = AutoTokenizer.from_pretrained(name)
        what = "model"
        if (local / "adapter_config.json").is_file() and not (local / "config.json").is_file():
            from peft import AutoPeftModelForCausalLM

            model = AutoPeftModelForCausalLM.from_pretrained(name, dtype=torch_dtype)
        else:
            model = AutoModelForCausalLM.from_pretrained(name, dtype=torch_dtype)
    except MeowError:
        raise
    except Exception as e:  # transformers raises many types (OSError, ValueError, HFValidationError...)
        raise MeowError(f"{name}: could not load the {what} ({_first_line(e)})") from None
    finally:
        hf_logging.set_verbosity(verbosity)
        hf_logging.enable_progress_bar()
    if device:
        model.to(device)
    model.eval()
    if fmt is None:
        fmt = PromptFormat.from_dict(meta["format"]) if "format" in meta else guessed(tokenizer, name)
    check_format(name, fmt, tokenizer)
    if fmt.kind == "chat":
        try:
            fmt.chat_parts(tokenizer)  # a chat template that cannot be used fails here, in one line
        except MeowError as e:
            raise MeowError(f"{name}: {e}") from None
    return LM(model, prepare_tokenizer(tokenizer), fmt, meta, name)


def _first_line(e: Exception) -> str:
    """`Type: first line of the message`; an empty or cut-off first line gets a hint of what is usually missing."""
    lines = [ln.strip() for ln in str(e).strip().splitlines() if ln.strip()]
    first = lines[0] if lines else ""
    if "backend tokenizer" in first:  # transformers ends this line with ':' and lists nothing useful after it
        first = "no usable tokenizer.json, tokenizer.model or vocab files"
    return f"{type(e).__name__}: {first.rstrip(': ')}" if first else type(e).__name__


def check_format(name: str, fmt: PromptFormat, tokenizer: Any) -> None:
    """A chat prompt format needs the tokenizer's chat template: one line instead of transformers' traceback."""
    if fmt.kind == "chat" and not getattr(tokenizer, "chat_template", None):
        raise MeowError(f"{name}: the prompt format is 'chat' but the tokenizer has no chat template "
                        f"(no chat_template.jinja / tokenizer_config.json 'chat_template'); add the template, or "
                        f"set a non-chat prompt format in {META_FILE}")


def save_lm(lm: LM, out_dir: str | Path, meta: dict[str, Any] | None = None, model: Any = None) -> Path:
    """Write the HF folder and meow.json into a temporary sibling, then move it into place (atomic for readers).

    An existing `out_dir` is replaced only once the new folder is complete.
    """
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.tmp"))
    try:
        (model or lm.model).save_pretrained(tmp)
        lm.tokenizer.save_pretrained(tmp)
        full_meta = {**lm.meta, **(meta or {}), "format": lm.fmt.to_dict(), "meow_version": __version__}
        write_json(tmp / META_FILE, full_meta)
        if out.exists():
            old = out.with_name(f".{out.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    lm.meta, lm.path = full_meta, str(out)
    logging.getLogger(__name__).info("saved model to %s", out)
    return out
