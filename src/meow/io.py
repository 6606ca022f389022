"""Plain-file I/O shared by every stage: atomic writes, JSON / JSON Lines, append-only caches."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write to a temporary file beside `path`, then rename: readers never see half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600 files; results are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def dumps(obj: Any, strict: bool = False) -> str:
    """Indented JSON; `strict`: refuse NaN / Infinity (ValueError) so the file is valid JSON for any reader."""
    return json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=not strict) + "\n"


def write_json(path: str | Path, obj: Any, strict: bool = False) -> None:
    atomic_write_text(path, dumps(obj, strict))


def write_jsonl(path: str | Path, rows: Iterable[Any]) -> None:
    atomic_write_text(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


def write_records(path: str | Path, rows: list[dict]) -> None:
    """Write records as JSON Lines if the name ends in .jsonl, else as a JSON list."""
    if str(path).endswith(".jsonl"):
        write_jsonl(path, rows)
    else:
        write_json(path, rows)


def read_json(path: str | Path) -> Any:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def append_jsonl(path: str | Path, row: Any) -> None:
    """Append one line and flush it to disk: the cache survives an interrupted run."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(row, ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())


def read_jsonl_tolerant(path: str | Path) -> list[Any]:
    """Read a JSON Lines cache, skipping a torn last line left by an interrupted write."""
    path = Path(path)
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return rows


def stable_hash(obj: Any, n: int = 16) -> str:
    """Short content hash of any JSON-serialisable object (keys sorted)."""
    blob = json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:n]


def refuse_overwrite(out: str | Path, inputs: list[str | None], written: tuple[str, ...]) -> None:
    """One-line MeowError if the output folder is an input, or one of the files it will write is an input."""
    from meow.errors import MeowError

    out = Path(out)
    files = {(out / n).resolve() for n in written}
    for item in filter(None, inputs):
        p = Path(item)
        if p.exists() and (p.resolve() == out.resolve() or p.resolve() in files):
            raise MeowError(f"--out {out}: would overwrite the input {item}; choose another folder")


def prepare_output(path: str | Path, *, kind: str, force: bool = False,
                   inputs: Iterable[str | Path | None] = (), option: str = "--out") -> Path:
    """The one output policy (every command calls this before any computation starts).

    - `kind` is "dir" or "file": an existing path of the other kind is refused;
    - an output may never be (or contain, or lie inside) one of the command's inputs, `--force` or not;
    - an existing output (a non-empty folder, or a file) is only replaced with `force`.
    Returns the path; writes stay atomic (callers write through `atomic_write_text` / temp folders).
    """
    from meow.errors import MeowError

    out = Path(path)
    if kind not in ("dir", "file"):
        raise ValueError(f"kind must be 'dir' or 'file', not {kind!r}")
    if out.exists():
        if kind == "dir" and not out.is_dir():
            raise MeowError(f"{option} {out}: is a file, but a folder is expected here")
        if kind == "file" and out.is_dir():
            raise MeowError(f"{option} {out}: is a folder, but a file is expected here")
    target = out.resolve()
    for item in inputs:
        if item is None or str(item) == "":
            continue
        src = Path(item)
        if not src.exists():
            continue
        src = src.resolve()
        if src == target or target in src.parents or src in target.parents:
            raise MeowError(f"{option} {out}: would overwrite the input {item}; choose another path")
    if out.exists() and not force and (out.is_file() or any(out.iterdir())):
        raise MeowError(f"{option} {out}: already exists; pass --force to replace it or choose another path")
    return out


def package_versions(*packages: str) -> dict[str, str]:
    """meow, python, torch, transformers and the given packages' versions, recorded next to results."""
    import platform
    from importlib import metadata

    from meow import __version__

    out = {"meow": __version__, "python": platform.python_version()}
    for pkg in ("torch", "transformers", *packages):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out
