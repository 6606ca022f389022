"""`meow invert`: N inverted answers per question/answer record (MEOW step 1)."""

from __future__ import annotations

import argparse
from typing import Any

GENERAL = ("data", "split", "out", "backend", "n", "seed", "cache", "max_asks")
CLI_NAMES = {"forget": "data", "forget_split": "split"}  # the shared option names -> invert_file's arguments


def add_commands(sub: argparse._SubParsersAction) -> None:
    from meow import options as O
    from meow.invert import INVERTERS
    from meow.modeling.prompt_cli import add_prompt_arguments

    p = sub.add_parser(
        "invert", help="write N inverted answers (same form, contradicted key fact) per record",
        description="For each record, N answers that keep the form of the original answer but contradict its key "
        "fact, in the list field `inverted_answers` (every input field is kept). Backends: rules (offline, "
        "deterministic), openai (any OpenAI-compatible server), hf (a local transformers model). Writes OUT, "
        "OUT.summary.json, OUT.config.yaml and, for LLM backends, a reply cache that makes a re-run resume.")
    O.forget(p, "the forget records (JSON list or JSON Lines), or a folder together with --forget-split",
             old=("--data",))
    O.forget_split(p, help="split name inside the --forget folder (e.g. forget10)", old=("--split",))
    O.out(p, "output records file (.json or .jsonl); never the input file", required=False)
    p.add_argument("--backend", choices=INVERTERS.names(), help="how inverted answers are made")
    p.add_argument("--n", type=int, default=None, help="inverted answers per record (default: 4)")
    p.add_argument("--seed", type=int, default=None, help="seed for choices and sampling (default: 0)")
    p.add_argument("--cache", default=None, help="reply cache, JSON Lines (default: OUT.cache.jsonl)")
    p.add_argument("--max-asks", type=int, default=None,
                   help="LLM backends: asks per record at most, re-asking when fewer than N were valid (default: 2)")
    O.config(p, "these options")
    O.progress(p)
    O.force(p, "replace --out if it exists (the reply cache is kept)")
    llm = p.add_argument_group("openai and hf backends")
    O.model(llm, "openai: model name served; hf: model folder or hub id", required=False, default=None)
    llm.add_argument("--temperature", type=float, default=None, help="sampling temperature (default: 0.9)")
    api = p.add_argument_group("openai backend")
    api.add_argument("--base-url", default=None, help="server URL up to /v1 (default: https://api.openai.com/v1)")
    api.add_argument("--api-key-env", default=None,
                     help="environment variable holding the API key (default: OPENAI_API_KEY; unset = no key)")
    api.add_argument("--max-tokens", type=int, default=None, help="reply length limit (default: 512)")
    api.add_argument("--concurrency", type=int, default=None, help="requests in flight at most (default: 8)")
    api.add_argument("--timeout", type=float, default=None, help="seconds to wait for a reply (default: 60)")
    api.add_argument("--max-retries", type=int, default=None,
                     help="retries of a request after 429, 5xx, timeouts, connection errors (default: 5)")
    api.add_argument("--backoff", type=float, default=None,
                     help="first retry wait in seconds, doubled each retry, plus jitter (default: 1)")
    api.add_argument("--max-backoff", type=float, default=None, help="longest wait between retries (default: 60)")
    hf = p.add_argument_group("hf backend")
    hf.add_argument("--max-new-tokens", type=int, default=None, help="tokens generated per reply (default: 256)")
    hf.add_argument("--batch-size", type=int, default=None, help="prompts per generation batch (default: 16)")
    O.dtype(hf, default=None)
    O.device(hf)
    add_prompt_arguments(p)  # hf backend only
    p.set_defaults(func=run_invert)


BACKEND_OPTIONS = ("model", "temperature", "base_url", "api_key_env", "max_tokens", "concurrency", "timeout",
                   "max_retries", "backoff", "max_backoff", "max_new_tokens", "batch_size", "dtype", "device")


def options(args: argparse.Namespace) -> dict[str, Any]:
    """defaults < --config YAML < flags."""
    from meow.config import load_yaml
    from meow.errors import MeowError

    values: dict[str, Any] = {"n": 4, "seed": 0, "max_asks": 2}
    if args.config:
        loaded = {k.replace("-", "_"): v for k, v in load_yaml(args.config).items()}
        loaded = {CLI_NAMES.get(k, k): v for k, v in loaded.items()}  # forget / forget_split, as the flags
        unknown = sorted(set(loaded) - set(GENERAL) - set(BACKEND_OPTIONS))
        if unknown:
            raise MeowError(f"{args.config}: unknown option(s) {', '.join(unknown)}")
        values.update(loaded)
    flags = {CLI_NAMES.get(k, k): v for k, v in vars(args).items() if v is not None}
    values.update({k: flags[k] for k in (*GENERAL, *BACKEND_OPTIONS) if k in flags})
    for name, flag in (("data", "forget"), ("out", "out"), ("backend", "backend")):
        if not values.get(name):
            raise MeowError(f"--{flag} is required (as a flag or in --config)")
    return values


def run_invert(args: argparse.Namespace) -> int:
    from meow.errors import MeowError
    from meow.invert import format_summary, invert_file
    from meow.invert.api import side_path
    from meow.io import prepare_output
    from meow.modeling.prompt_cli import prompt_format_from_args

    values = options(args)
    prepare_output(values["out"], kind="file", force=args.force, inputs=[args.config, values["data"]])
    fmt = prompt_format_from_args(args, values.get("model"))
    if fmt is not None:
        if values["backend"] != "hf":
            raise MeowError("--prompt-format, --system-prompt and --template-var apply to --backend hf only")
        values["prompt_format"] = fmt.to_dict()
    general = {k: values.pop(k) for k in GENERAL if k in values}
    summary = invert_file(**general, progress=args.progress, force=args.force, **values)
    print(format_summary(summary))
    print(f"wrote {general['out']} and {side_path(general['out'], '.summary.json')}")
    return 0
