"""Append-only JSON Lines cache of raw backend replies, so an interrupted or failed run resumes for free.

One line per reply: `{"key", "backend", "model", "input", "attempt", "text"}`. The key hashes everything
that determines the reply (backend, model and sampling options, the prompt messages, the attempt number);
`input` hashes the record's question and answer, for people reading the file. Credentials never enter it.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from meow.io import append_jsonl, read_jsonl_tolerant, stable_hash


def reply_key(identity: dict[str, Any], prompt: Any, attempt: int) -> str:
    return stable_hash({"identity": identity, "prompt": prompt, "attempt": attempt}, n=32)


def repair_torn_tail(path: Path) -> None:
    """A last line without its newline (a write cut short by a kill) is cut off, so the next append starts a
    fresh line; if that last line is a whole JSON object it only gets its newline."""
    import json
    import os

    if not path.is_file() or path.stat().st_size == 0:
        return
    with open(path, "rb+") as f:
        f.seek(-1, os.SEEK_END)
        if f.read(1) == b"\n":
            return
        f.seek(0)
        data = f.read()
        cut = data.rfind(b"\n") + 1
        try:
            json.loads(data[cut:].decode("utf-8"))
            f.seek(0, os.SEEK_END)
            f.write(b"\n")
        except (ValueError, UnicodeDecodeError):
            f.truncate(cut)
        f.flush()
        os.fsync(f.fileno())


class ReplyCache:
    """Key -> raw reply text, backed by a JSONL file (or memory only when `path` is None)."""

    def __init__(self, path: str | Path | None):
        self.path = Path(path) if path else None
        self._lock = threading.Lock()
        self._rows: dict[str, str] = {}
        if self.path:
            repair_torn_tail(self.path)
            for row in read_jsonl_tolerant(self.path):
                if isinstance(row, dict) and isinstance(row.get("key"), str) and isinstance(row.get("text"), str):
                    self._rows[row["key"]] = row["text"]

    def __contains__(self, key: str) -> bool:
        return key in self._rows

    def __len__(self) -> int:
        return len(self._rows)

    def get(self, key: str) -> str | None:
        return self._rows.get(key)

    def put(self, key: str, text: str, **info: Any) -> None:
        """Record one reply; written and fsync'd at once (thread-safe)."""
        with self._lock:
            self._rows[key] = text
            if self.path:
                append_jsonl(self.path, {"key": key, **info, "text": text})
