"""Read MUSE's evaluation files: a local folder in muse_bench's layout, or the hub data sets themselves.

Local folder (what muse_bench's `load_data.py` writes under data/news/, and `meow benchmark make --kind muse`):

    verbmem/forget.json        [{"prompt", "gt"}]
    knowmem/forget_qa.json, knowmem/forget_qa_icl.json, knowmem/retain_qa.json, knowmem/retain_qa_icl.json
                               [{"question", "answer"}]
    privleak/forget.json, privleak/retain.json, privleak/holdout.json
                               ["text", ...] (or [{"text"}])

Hub id (e.g. `muse-bench/MUSE-News`, `muse-bench/MUSE-Books`), or a downloaded copy of such a hub repository (a
folder of parquet files): `datasets.load_dataset(id_or_folder, config, split=split)`
with configs `verbmem` (split forget), `knowmem` (forget_qa, retain_qa, forget_qa_icl, retain_qa_icl) and
`privleak` (forget, retain, holdout), as `load_data.py` does. A file or split that is absent leaves its metric
out of the evaluation (with the reason in summary.json).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from meow.errors import MeowError
from meow.schema import AnyOf, ListOf, Obj, Schema, Str, check, read_text_file

SETS = {  # name -> (config, split, fields)
    "verbmem_forget": ("verbmem", "forget", ("prompt", "gt")),
    "knowmem_forget_qa": ("knowmem", "forget_qa", ("question", "answer")),
    "knowmem_forget_qa_icl": ("knowmem", "forget_qa_icl", ("question", "answer")),
    "knowmem_retain_qa": ("knowmem", "retain_qa", ("question", "answer")),
    "knowmem_retain_qa_icl": ("knowmem", "retain_qa_icl", ("question", "answer")),
    "privleak_forget": ("privleak", "forget", ("text",)),
    "privleak_retain": ("privleak", "retain", ("text",)),
    "privleak_holdout": ("privleak", "holdout", ("text",)),
}
HUB_ID = re.compile(r"[\w.-]+/[\w.-]+")


@dataclass
class MuseData:
    """The loaded sets ({name: rows}), where each came from, and why any is absent."""

    sets: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)


def row_schema(fields: tuple[str, ...]) -> ListOf:
    """A MUSE file: a non-empty list of objects holding non-empty strings `fields` (privleak: or bare strings)."""
    item: Schema = Obj({name: Str() for name in fields})
    return ListOf(AnyOf((Str(), item)) if fields == ("text",) else item, label="record")


def _rows(raw: Any, fields: tuple[str, ...], source: str) -> list[dict[str, str]]:
    check(raw, row_schema(fields), source)
    return [{"text": row} if isinstance(row, str) else {name: row[name] for name in fields} for row in raw]


def _read_local(root: Path, config: str, split: str) -> tuple[Any, str] | None:
    import json

    for suffix in (".json", ".jsonl"):
        path = root / config / f"{split}{suffix}"
        if path.is_file():
            text = read_text_file(path)
            if suffix == ".json":
                try:
                    return json.loads(text), str(path)
                except json.JSONDecodeError as e:
                    raise MeowError(f"{path}: not valid JSON (line {e.lineno}: {e.msg})") from None
            raw = []
            for n, line in enumerate(text.splitlines(), 1):
                try:
                    raw.extend([json.loads(line)] if line.strip() else [])
                except json.JSONDecodeError as e:
                    raise MeowError(f"{path}: line {n}: not valid JSON ({e.msg})") from None
            return raw, str(path)
    return None


def _read_hub(dataset_id: str, config: str, split: str) -> tuple[Any, str] | None:
    """Rows of one hub split; None if the data set has no such config/split; one-line error if it cannot load."""
    import datasets

    try:
        ds = datasets.load_dataset(dataset_id, config, split=split)
    except ValueError as e:  # unknown split / config of a data set that did load
        if "split" in str(e).lower() or "config" in str(e).lower():
            return None
        raise MeowError(f"{dataset_id}: could not load {config}/{split} ({type(e).__name__}: "
                        f"{str(e).splitlines()[0] if str(e) else ''})") from None
    except Exception as e:  # offline, unknown repo, network errors: many exception types
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise MeowError(f"{dataset_id}: could not load {config}/{split} from the hub ({type(e).__name__}: {first}); "
                        "offline? give a local folder in MUSE's layout instead (muse_bench's load_data.py writes "
                        "one; `meow benchmark make --kind muse` writes a mini one)") from None
    return [dict(r) for r in ds], f"{dataset_id}:{config}/{split}"


def _has_json_layout(root: Path) -> bool:
    return any((root / config / f"{split}{x}").is_file() for config, split, _ in SETS.values() for x in (".json", ".jsonl"))


def load_muse(data: str | Path, only: tuple[str, ...] | None = None) -> MuseData:
    """Every set in `SETS` (or those in `only`) found in `data` (a folder or a hub id)."""
    p = Path(data)
    if p.is_dir() and not _has_json_layout(p) and any(p.rglob("*.parquet")):  # a downloaded copy of the hub repo
        def read(config: str, split: str) -> tuple[Any, str] | None:
            return _read_hub(str(p), config, split)
    elif p.is_dir():
        def read(config: str, split: str) -> tuple[Any, str] | None:
            return _read_local(p, config, split)
    elif HUB_ID.fullmatch(str(data)) and not p.suffix:
        def read(config: str, split: str) -> tuple[Any, str] | None:
            return _read_hub(str(data), config, split)
    else:
        raise MeowError(f"--data {data}: not a folder in MUSE's layout (verbmem/, knowmem/, privleak/) nor a hub id "
                        "such as muse-bench/MUSE-News")
    out = MuseData()
    for name, (config, split, fields) in SETS.items():
        if only is not None and name not in only:
            continue
        got = read(config, split)
        if got is None:
            out.missing[name] = f"no {config}/{split} in {data}"
            continue
        out.sets[name] = _rows(got[0], fields, got[1])
        out.sources[name] = got[1]
    if not out.sets:
        inner = [c for c in ("news", "books") if (p / c).is_dir()]
        hint = f"; give {' or '.join(str(p / c) for c in inner)}" if inner else ""
        raise MeowError(f"--data {data}: none of MUSE's files found (expected e.g. {p / 'verbmem' / 'forget.json'})"
                        + hint)
    return out
