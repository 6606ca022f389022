"""`--prompt-format`, `--system-prompt`, `--template-var` / `--date-string`: one set of options for every stage that
prompts a model. Precedence: these flags > the model folder's meow.json > a guess from the tokenizer."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import Any

from meow.errors import MeowError
from meow.modeling.prompt import PRESETS, PromptFormat, parse


def add_prompt_arguments(parser: argparse.ArgumentParser | Any) -> None:
    g = parser.add_argument_group("prompt format (default: the model folder's meow.json, else guessed)")
    g.add_argument("--prompt-format", default=None, metavar="NAME",
                   help="plain, chat (the tokenizer's chat template), tags:USER_START|USER_END|ASSISTANT_START"
                   "[|ASSISTANT_END] (escapes \\n \\t \\| \\\\), or a preset: " + ", ".join(sorted(PRESETS)))
    g.add_argument("--system-prompt", default=None, metavar="TEXT",
                   help="system prompt (chat: a system message; tags: text written before the first tag); "
                   "'' removes the saved one")
    g.add_argument("--template-var", action="append", default=None, metavar="KEY=VALUE",
                   help="chat template variable, repeatable (e.g. date_string=10 Apr 2025, enable_thinking=false)")
    g.add_argument("--date-string", default=None, metavar="TEXT",
                   help="chat template variable date_string (Llama-3.x), e.g. '10 Apr 2025'")


def _template_vars(args: argparse.Namespace) -> dict[str, Any]:
    """KEY=VALUE pairs; true / false become booleans (e.g. Qwen3's enable_thinking=false)."""
    out: dict[str, Any] = {}
    for item in getattr(args, "template_var", None) or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise MeowError(f"--template-var {item!r}: write KEY=VALUE")
        out[key.strip()] = {"true": True, "false": False}.get(value.strip().lower(), value)
    if getattr(args, "date_string", None) is not None:
        out["date_string"] = args.date_string
    return out


def _base_format(model_dir: str | Path | None) -> PromptFormat:
    """The format the model would get without flags (meow.json, else the guess), for flags that only adjust it."""
    from meow.modeling.lm import read_meta

    local = Path(str(model_dir)) if model_dir else None
    meta = read_meta(local) if local is not None and local.is_dir() else {}
    if "format" in meta:
        return PromptFormat.from_dict(meta["format"])
    try:
        from transformers import AutoTokenizer

        return PromptFormat.for_tokenizer(AutoTokenizer.from_pretrained(str(model_dir)))
    except Exception:
        return PromptFormat("plain")


def prompt_format_from_args(args: argparse.Namespace, model_dir: str | Path | None) -> PromptFormat | None:
    """The format the flags ask for, or None when none was given (then meow.json or the guess apply)."""
    spec, system, variables = getattr(args, "prompt_format", None), getattr(args, "system_prompt", None), \
        _template_vars(args)
    if spec is None and system is None and not variables:
        return None
    fmt = parse(spec) if spec is not None else _base_format(model_dir)
    if system is not None:
        if fmt.kind == "plain":
            raise MeowError("--system-prompt needs a chat or tags prompt format (see --prompt-format)")
        fmt = replace(fmt, system=system or None, name=None)
    if variables:
        if fmt.kind != "chat":
            raise MeowError("--template-var / --date-string need the chat prompt format (see --prompt-format)")
        fmt = replace(fmt, template_vars={**fmt.template_vars, **variables}, name=None)
    return fmt
