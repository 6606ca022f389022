"""The evaluation splits: TOFU file names, loading (folders, files, hub ids), validation, `--limit`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from meow.errors import MeowError, where
from meow.evaluate.base import FORGET, HOLDOUT, REAL_AUTHORS, RETAIN, SPLITS, WORLD_FACTS

SPLIT_FLAGS = {FORGET: "--forget", RETAIN: "--retain", REAL_AUTHORS: "--real-authors", WORLD_FACTS: "--world-facts",
               HOLDOUT: "--holdout"}
REQUIRED = {FORGET: ("paraphrased_answer", "perturbed_answer"), RETAIN: ("paraphrased_answer", "perturbed_answer"),
            REAL_AUTHORS: ("perturbed_answer",), WORLD_FACTS: ("perturbed_answer",), HOLDOUT: ()}


def split_files(forget_split: str) -> dict[str, str]:
    """TOFU file names for a forget split: forget10 -> forget10_perturbed, retain_perturbed, ..., holdout10."""
    base = forget_split.removesuffix("_perturbed")
    names = {FORGET: f"{base}_perturbed", RETAIN: "retain_perturbed", REAL_AUTHORS: "real_authors_perturbed",
             WORLD_FACTS: "world_facts_perturbed"}
    m = re.fullmatch(r"forget(\d*|_\d+)", base)  # forget10 -> holdout10; known facts: forget -> holdout, forget_3 -> holdout_3
    if m:
        names[HOLDOUT] = f"holdout{m.group(1)}"
    return names


def load_splits(data: str | Path | None = None, forget_split: str = "forget10",
                files: dict[str, str | Path | None] | None = None
                ) -> tuple[dict[str, list[dict]], dict[str, str], dict[str, str]]:
    """Load the evaluation splits from a folder of TOFU-named files (or a hub id) and/or explicit files.

    Returns (records per split, source per split, reason per split that was not found). The forget split is
    required; a missing background split only leaves the numbers that need it unreported, with the reason.
    """
    from meow.data import load_file, load_records, split_path

    files = {k: v for k, v in (files or {}).items() if v}
    unknown = sorted(set(files) - set(SPLITS))
    if unknown:
        raise MeowError(f"unknown split(s) {', '.join(unknown)}; known: {', '.join(SPLITS)}")
    if data is None and FORGET not in files:
        raise MeowError("no forget set: give --data DIR (TOFU-named files) or --forget FILE")
    names = split_files(forget_split)
    p = Path(data) if data is not None else None
    if p is not None and p.is_file():
        raise MeowError(f"{data}: --data takes a folder of TOFU-named files or a hub id; name single files with "
                        "--forget, --retain, --real-authors, --world-facts, --holdout")
    if p is not None and not p.exists() and not re.fullmatch(r"[\w-][\w.-]*/[\w.-]+", str(data)):
        raise MeowError(f"{data}: folder not found")
    splits: dict[str, list[dict]] = {}
    sources: dict[str, str] = {}
    absent: dict[str, str] = {}
    for split in SPLITS:
        if split in files:
            splits[split], sources[split] = load_file(files[split]), str(files[split])
            continue
        name = names.get(split)
        if p is None or name is None:
            why = f"not given ({SPLIT_FLAGS[split]} FILE)"
            absent[split] = why if name or p is None else f"{why}; no holdout name derives from {forget_split!r}"
            continue
        if p.is_dir():
            found = split_path(p, name)
            if found is None:
                have = sorted(q.stem for q in p.iterdir() if q.suffix in (".json", ".jsonl"))
                msg = f"{p}: no {split} split {name!r} (no {name}.json or {name}.jsonl)"
                if split == FORGET:
                    raise MeowError(f"{msg}; found: {', '.join(have) or 'no JSON files'}")
                absent[split] = msg
                continue
            splits[split], sources[split] = load_file(found), str(found)
        else:  # a hub id such as locuslab/TOFU
            try:
                splits[split], sources[split] = load_records(str(data), name), f"{data}:{name}"
            except MeowError as e:
                if split == FORGET:
                    raise
                absent[split] = str(e)
    return splits, sources, absent


def check_splits(splits: dict[str, list[dict]], sources: dict[str, str] | None = None) -> None:
    """Every split is known and non-empty; every record has what its split's metrics need."""
    sources = sources or {}
    for split, records in splits.items():
        if split not in SPLITS:
            raise MeowError(f"unknown split {split!r}; known: {', '.join(SPLITS)}")
        src = sources.get(split, f"{split} split")
        if not records:
            raise MeowError(f"{src}: holds no records")
        for i, rec in enumerate(records):
            for name in ("question", "answer", *REQUIRED[split]):
                value = rec.get(name) if isinstance(rec, dict) else None
                if value is None:
                    why = "needed for the truth ratio" if name in REQUIRED[split] else "required"
                    raise MeowError(f"{where(src, i, name)}: missing ({why} on the {split} set)")
                if name == "perturbed_answer":
                    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
                        raise MeowError(f"{where(src, i, name)}: expected a non-empty list of strings")
                    if not all(v.strip() for v in value):
                        raise MeowError(f"{where(src, i, name)}: holds an empty answer")
                elif not isinstance(value, str):
                    raise MeowError(f"{where(src, i, name)}: expected a string, got {type(value).__name__}")
                elif not value.strip():
                    raise MeowError(f"{where(src, i, name)}: empty")


def limit_splits(splits: dict[str, list[dict]], limit: int | None) -> tuple[dict[str, list[dict]], dict[str, Any]]:
    """The first `limit` records of every split, and {"n": limit, "kept": {split: n}, "of": {split: total}}."""
    if not limit:
        return splits, {}
    kept = {s: recs[:limit] for s, recs in splits.items()}
    return kept, {"n": limit, "kept": {s: len(r) for s, r in kept.items()}, "of": {s: len(r) for s, r in splits.items()}}
