"""Prompt format precedence (flag > meow.json > guess), the guess hint, and meow.json round trips through the CLI."""

from __future__ import annotations

import argparse
import json
import logging
import shutil

import pytest

from meow.cli import main
from meow.errors import MeowError
from meow.modeling import PromptFormat, load_lm, save_lm
from meow.modeling.prompt import PRESETS
from meow.modeling.prompt_cli import add_prompt_arguments, prompt_format_from_args


def args_of(*argv: str) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    add_prompt_arguments(p)
    return p.parse_args(list(argv))


@pytest.fixture()
def bare_dir(tiny_model_dir, tmp_path):
    """The tiny model without meow.json (as a downloaded checkpoint)."""
    out = tmp_path / "bare"
    shutil.copytree(tiny_model_dir, out)
    (out / "meow.json").unlink()
    return out


def test_guessed_format_logs_one_line_hint(bare_dir, caplog):
    with caplog.at_level(logging.WARNING, logger="meow"):
        lm = load_lm(bare_dir)
    assert lm.fmt == PromptFormat("plain")  # the tiny tokenizer has no chat template
    hints = [r.getMessage() for r in caplog.records if "guessed" in r.getMessage()]
    assert len(hints) == 1 and "\n" not in hints[0] and "--prompt-format" in hints[0] and str(bare_dir) in hints[0]


def test_flag_overrides_meow_json_which_overrides_the_guess(bare_dir, tmp_path, caplog):
    assert prompt_format_from_args(args_of(), bare_dir) is None
    fmt = prompt_format_from_args(args_of("--prompt-format", "tofu-llama2-chat"), bare_dir)
    assert fmt == PRESETS["tofu-llama2-chat"][0]
    lm = load_lm(bare_dir, fmt=fmt)
    save_lm(lm, tmp_path / "saved")
    saved = json.loads((tmp_path / "saved" / "meow.json").read_text())["format"]
    assert PromptFormat.from_dict(saved) == fmt
    with caplog.at_level(logging.WARNING, logger="meow"):
        assert load_lm(tmp_path / "saved").fmt == fmt  # meow.json, no guess
    assert not [r for r in caplog.records if "guessed" in r.getMessage()]
    assert load_lm(tmp_path / "saved", fmt=PromptFormat("plain")).fmt == PromptFormat("plain")  # flag wins
    # --system-prompt alone adjusts the saved format
    adjusted = prompt_format_from_args(args_of("--system-prompt", "<<SYS>>hi<</SYS>>"), tmp_path / "saved")
    assert adjusted.system == "<<SYS>>hi<</SYS>>" and adjusted.user_start == "[INST] " and adjusted.name is None


def test_option_errors_are_one_line(bare_dir):
    with pytest.raises(MeowError, match="--system-prompt needs a chat or tags"):
        prompt_format_from_args(args_of("--system-prompt", "x"), bare_dir)
    with pytest.raises(MeowError, match="need the chat prompt format"):
        prompt_format_from_args(args_of("--prompt-format", "tofu-phi", "--date-string", "1 Jan 2025"), bare_dir)
    with pytest.raises(MeowError, match="KEY=VALUE"):
        prompt_format_from_args(args_of("--prompt-format", "chat", "--template-var", "oops"), bare_dir)
    with pytest.raises(MeowError, match="choose plain, chat, tags"):
        prompt_format_from_args(args_of("--prompt-format", "llama9"), bare_dir)
    fmt = prompt_format_from_args(args_of("--prompt-format", "chat", "--template-var", "a=b", "--date-string", "d",
                                          "--template-var", "enable_thinking=False"), bare_dir)
    assert fmt.template_vars == {"a": "b", "date_string": "d", "enable_thinking": False}
    with pytest.raises(MeowError, match="no chat template"):
        load_lm(bare_dir, fmt=fmt)


def test_train_saves_the_format_and_eval_reuses_it(tiny_bench_dir, tiny_model_dir, tmp_path):
    out = tmp_path / "tagged"
    rc = main(["train", "--model", str(tiny_model_dir), "--data", str(tiny_bench_dir), "--split", "forget10",
               "--out", str(out), "--epochs", "1", "--batch-size", "8", "--check", "0",
               "--prompt-format", "tags:Q: |\\n|A:|"])
    assert rc == 0
    fmt = PromptFormat.from_dict(json.loads((out / "meow.json").read_text())["format"])
    assert (fmt.kind, fmt.user_start, fmt.user_end, fmt.assistant_start) == ("tags", "Q: ", "\n", "A:")
    assert load_lm(out).fmt == fmt


def test_instruction_prompts_in_each_format():
    msgs = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Invert: X."}]
    tags = PRESETS["tofu-llama2-chat"][0]
    assert tags.prompt_messages(None, msgs) == "Be brief.\n\n[INST] Invert: X. [/INST]"
    assert PromptFormat("plain").prompt_messages(None, msgs) == "Question: Be brief.\n\nInvert: X.\nAnswer:"


def test_prompt_flags_refused_for_non_hf_inverters(tiny_bench_dir, tmp_path, capsys):
    assert main(["invert", "--forget", str(tiny_bench_dir), "--forget-split", "forget10", "--out", str(tmp_path / "x.json"),
                 "--backend", "rules", "--prompt-format", "tofu-phi"]) == 2
    assert "--backend hf only" in capsys.readouterr().err
