"""Plain-file I/O shared by every stage: atomic writes, JSON / JSON Lines, append-only caches, the one output
policy (prepare_output, staged_dir) and the run-folder lock (run_lock)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
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


def read_json_file(path: str | Path) -> Any:
    """JSON content of a user-given file, or a one-line MeowError naming it (missing, a folder, unreadable, not JSON)."""
    from meow.errors import MeowError
    from meow.schema import read_text_file

    path = Path(path)
    if path.is_dir():
        raise MeowError(f"{path}: is a folder, not a JSON file")
    try:
        return json.loads(read_text_file(path))
    except json.JSONDecodeError as e:
        raise MeowError(f"{path}: not valid JSON ({e})") from None


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
    from meow.schema import read_text_file

    rows = []
    for line in read_text_file(path).splitlines():
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


def file_digest(path: str | Path | None) -> str | None:
    """Content hash of a file, or of a model folder's small metadata files (config.json, meow.json), for resume keys."""
    if path is None:
        return None
    p = Path(path)
    if p.is_dir():
        parts = [(q.name, file_digest(q)) for q in sorted(p.iterdir())
                 if q.name in ("config.json", "meow.json", "adapter_config.json") and q.is_file()]
        return stable_hash([str(p.resolve()), parts])
    if p.is_file():
        return hashlib.sha256(p.read_bytes()).hexdigest()[:16]
    return str(path)  # a hub id


def _same(a: Path, b: Path) -> bool:
    """Same path after resolving links, or the same file on disk (hard links)."""
    if a.resolve() == b.resolve():
        return True
    try:
        return a.exists() and b.exists() and a.samefile(b)
    except OSError:
        return False


def prepare_output(path: str | Path, *, kind: str, force: bool = False,
                   inputs: Iterable[str | Path | None] = (), option: str = "--out",
                   also: Iterable[str | Path] = (), replace_ok: bool = False,
                   holds_outputs: Iterable[str | Path | None] = ()) -> Path:
    """The one output policy (every command calls this before any computation starts).

    - `kind` is "dir" or "file": an existing path of the other kind is refused, `--force` or not;
    - an output may never be one of the command's inputs, nor a folder holding one, `--force` or not
      (`also`: side files the command writes next to a file output, e.g. OUT.summary.json, checked the same way);
    - nor inside an input folder (a model, a benchmark, an evaluation stays as it was: no `unlearn --out MODEL/sub`,
      no `memo --out MODEL/memo.json`), except inside `holds_outputs`: workspaces meant to collect outputs (a run
      folder, whose report goes to RUN/report);
    - an existing output (a non-empty folder, or a file) is only replaced with `force` (or `replace_ok`: the
      caller has its own resume rules, e.g. `meow demo`'s manifest);
    - writes stay atomic: files through `atomic_write_text`, folders through `staged_dir`.
    Returns the path. Every refusal is a one-line MeowError naming `option`.
    """
    from meow.errors import MeowError

    out = Path(path)
    if kind not in ("dir", "file"):
        raise ValueError(f"kind must be 'dir' or 'file', not {kind!r}")
    if str(path).strip() == "":
        raise MeowError(f"{option}: empty path")
    if out.exists() or out.is_symlink():
        if kind == "dir" and not out.is_dir():
            raise MeowError(f"{option} {out}: is a file, but a folder is expected here")
        if kind == "file" and not out.is_file():
            raise MeowError(f"{option} {out}: is a folder, but a file is expected here")
    if out.parent.exists() and not out.parent.is_dir():
        raise MeowError(f"{option} {out}: {out.parent} is a file, not a folder")
    written = [out, *(Path(a) for a in also)]
    for extra in written[1:]:
        if extra.is_dir():
            raise MeowError(f"{option} {out}: would write {extra}, which is a folder")
    workspaces = {Path(w).resolve() for w in holds_outputs if w}
    for item in inputs:
        if item is None or str(item) == "":
            continue
        src = Path(item)
        if not src.exists():
            continue
        if src.is_dir() and src.resolve() not in workspaces and any(
                src.resolve() in t.resolve().parents for t in written):
            raise MeowError(f"{option} {out}: is inside the input folder {item}; meow never writes into its inputs, "
                            "choose a path outside it")
        for target in written:
            if _same(src, target) or (target == out and kind == "dir" and out.exists()
                                      and out.resolve() in src.resolve().parents):
                kind_in = "folder" if src.is_dir() else "file"
                raise MeowError(f"{option} {out}: would overwrite the input {kind_in} {item}; choose another path")
    if out.exists() and not (force or replace_ok) and (out.is_file() or any(out.iterdir())):
        what = "" if out.is_file() else " and is not empty"
        raise MeowError(f"{option} {out}: already exists{what}; pass --force to replace it or choose another path")
    return out


def replace_dir(tmp: Path, out: Path) -> None:
    """Move the complete folder `tmp` to `out`; an existing `out` is replaced only now (renames, not copies)."""
    if out.exists():
        old = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.old"))
        os.replace(out, old / "x")
        os.replace(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, out)


@contextmanager
def staged_dir(out: str | Path) -> Iterator[Path]:
    """Write a whole output folder atomically: yields a temporary sibling; on success it replaces `out`, on any
    error (or Ctrl-C) it is removed and `out` is left as it was."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.tmp"))
    try:
        yield tmp
        os.chmod(tmp, 0o755)  # mkdtemp makes 0700 folders; results are meant to be shared
        replace_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


# ---------------------------------------------------------------- run-folder lock

LOCK_FILE = ".meow.lock"


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    except OSError:
        return False
    return True


def _refuse_or_clear(lock: Path, folder: Path, what: str, host: str) -> None:
    """A lock file is there: MeowError naming its holder if that process runs, else move the stale file away
    (by a rename, so that of two processes taking over the same stale lock only one wins)."""
    import time

    from meow.errors import MeowError

    try:
        text = lock.read_text(encoding="utf-8", errors="replace")  # garbage is a torn lock, not a crash
        age = time.time() - lock.stat().st_mtime
    except FileNotFoundError:
        return
    try:
        holder = json.loads(text)
        pid, their_host = int(holder["pid"]), str(holder.get("host", ""))
    except (ValueError, KeyError, TypeError):
        if age < 5:  # being written by the process that just created it
            raise MeowError(f"{folder}: {what} is being locked by another process; try again") from None
        holder, pid, their_host = {}, -1, host  # torn and old: stale
    started = holder.get("started", "?")
    if their_host != host:
        raise MeowError(f"{folder}: {what} is in use by pid {pid} on {their_host} (started {started}); "
                        f"if that process is gone, delete {lock}")
    if _pid_alive(pid):
        raise MeowError(f"{folder}: {what} is in use by pid {pid} (started {started}); wait for it to finish or "
                        f"use another folder (if no such process is working here, delete {lock})")
    grave = lock.with_name(f"{LOCK_FILE}.stale-{os.getpid()}")
    try:
        os.replace(lock, grave)
    except FileNotFoundError:
        return
    if grave.read_text(encoding="utf-8", errors="replace") != text:  # someone else took it over meanwhile: put theirs back
        with contextlib.suppress(FileExistsError):
            os.link(grave, lock)
    grave.unlink(missing_ok=True)


@contextmanager
def run_lock(folder: str | Path, what: str = "run folder") -> Iterator[Path]:
    """Hold `folder/.meow.lock` while a command works in `folder` (`meow demo`, `meow sweep`).

    The lock file is created with O_EXCL and holds {"pid", "host", "started"}. A second process stops at once
    with a one-line MeowError naming the holder's pid and start time; the lock of a process that no longer runs
    (same host) is taken over. The file is removed on exit.
    """
    import datetime as dt
    import socket

    from meow.errors import MeowError

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    lock = folder / LOCK_FILE
    me = {"pid": os.getpid(), "host": socket.gethostname(),
          "started": dt.datetime.now().astimezone().isoformat(timespec="seconds")}
    for _ in range(5):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            _refuse_or_clear(lock, folder, what, me["host"])
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(me, f)
            f.flush()
            os.fsync(f.fileno())
        break
    else:
        raise MeowError(f"{folder}: could not take the lock {lock}; try again")
    try:
        yield lock
    finally:
        try:
            if json.loads(lock.read_text(encoding="utf-8")).get("pid") == me["pid"]:
                lock.unlink()
        except (OSError, ValueError, AttributeError):
            pass


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
