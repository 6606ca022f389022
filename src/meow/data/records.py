"""Question/answer records: load, validate and normalise TOFU-format and MEOW-reference files.

A record is a plain dict. Known fields:

    question: str            answer: str
    paraphrased_answer: str  perturbed_answer: list[str]
    inverted_answers: list[str]   (MEOW's inverted facts)
    memo: {"answer": float, "inverted_answers": [float, ...]}   (attached by `meow memo`)
    fact: str                (the key-fact span of `answer`; built-in benchmark)

Any other field is kept untouched through every stage.

Also read as-is: the MEOW reference release files, where the original answer is `undesired_answer`,
the inverted facts are `answer_0` ... `answer_k`, and MEMO scores are `<key>_rouge1`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from meow.errors import MeowError, where
from meow.schema import read_text_file

Record = dict[str, Any]

STRING_FIELDS = ("question", "answer", "paraphrased_answer", "fact")
LIST_FIELDS = ("perturbed_answer", "inverted_answers")
_REF_ANSWER = re.compile(r"^answer_(\d+)$")
_REF_SCORE = re.compile(r"^(answer_\d+|undesired_answer)_rouge1$")


def parse_text(path: Path, text: str) -> list[Any]:
    """A JSON list, a JSON object holding one list (e.g. {"data": [...]}), or JSON Lines."""
    stripped = text.lstrip()
    if not stripped:
        raise MeowError(f"{path}: file is empty")
    if stripped[0] == "[" or (stripped[0] == "{" and "\n" not in stripped.rstrip()):
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as e:
            raise MeowError(f"{path}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
        if isinstance(obj, dict):
            return [obj]
        return obj
    if stripped[0] == "{":
        try:  # a pretty-printed single object, or a wrapper {"data": [...]}
            obj = json.loads(text)
            if isinstance(obj, dict):
                lists = [v for v in obj.values() if isinstance(v, list) and v and isinstance(v[0], dict)]
                return lists[0] if len(lists) == 1 and "question" not in obj else [obj]
        except json.JSONDecodeError:
            pass
        rows = []
        for lineno, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise MeowError(f"{path}: line {lineno}: not valid JSON Lines ({e.msg})") from None
        return rows
    raise MeowError(f"{path}: not JSON (expected a list of records or JSON Lines)")


def from_meow_reference(rec: Record) -> Record:
    """`undesired_answer`, `answer_i`, `<key>_rouge1` -> `answer`, `inverted_answers`, `memo`."""
    if "undesired_answer" not in rec:
        return rec
    out = {k: v for k, v in rec.items() if not (_REF_ANSWER.match(k) or _REF_SCORE.match(k))}
    out.setdefault("answer", out.pop("undesired_answer"))
    out.pop("undesired_answer", None)
    idx = sorted(int(m.group(1)) for k in rec if (m := _REF_ANSWER.match(k)))
    if idx and "inverted_answers" not in rec:
        out["inverted_answers"] = [rec[f"answer_{i}"] for i in idx]
        if all(f"answer_{i}_rouge1" in rec for i in idx):
            memo = {"inverted_answers": [rec[f"answer_{i}_rouge1"] for i in idx], "metric": "memo"}
            if "undesired_answer_rouge1" in rec:
                memo["answer"] = rec["undesired_answer_rouge1"]
            out["memo"] = memo
    return out


def validate(rec: Any, path: object, index: int) -> Record:
    if not isinstance(rec, dict):
        raise MeowError(f"{where(path, index)}: expected an object with 'question' and 'answer', got {type(rec).__name__}")
    rec = from_meow_reference(rec)
    for name in ("question", "answer"):
        if name not in rec:
            raise MeowError(f"{where(path, index, name)}: missing")
    for name in STRING_FIELDS:
        if name in rec and not isinstance(rec[name], str):
            raise MeowError(f"{where(path, index, name)}: expected a string, got {type(rec[name]).__name__}")
    for name in LIST_FIELDS:
        if name not in rec:
            continue
        value = rec[name]
        if isinstance(value, str):  # some exports store a single perturbed answer as a string
            rec[name] = value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise MeowError(f"{where(path, index, name)}: expected a list of strings")
    if "memo" in rec and not isinstance(rec["memo"], dict):
        raise MeowError(f"{where(path, index, 'memo')}: expected an object of scores")
    return rec


def load_file(path: str | Path, text: bool = False) -> list[Record]:
    """Load and validate one JSON / JSON Lines file of records.

    `text`: also accept a text corpus (.txt, or a file of passages: see `meow.data.text`), returned as passage
    records {"text": ...}; without it a text corpus is refused with one line.
    """
    from meow.data import text as passages

    path = Path(path)
    if not path.exists():
        raise MeowError(f"{path}: file not found")
    if path.is_dir():
        raise MeowError(f"{path}: is a folder; name a file, or a folder together with a split")
    if path.suffix in passages.TEXT_SUFFIXES:
        if not text:
            raise passages.not_qa_error(path)
        return passages.read_txt(path)
    content = read_text_file(path)
    rows = parse_text(path, content)
    if not isinstance(rows, list):
        raise MeowError(f"{path}: expected a list of records at the top level, got {type(rows).__name__}")
    if not rows:
        raise MeowError(f"{path}: holds no records")
    return _checked(rows, path, text)


def _checked(rows: list[Any], source: object, text: bool) -> list[Record]:
    """QA records, or (with `text`) passage records; a row that is neither is one clear error."""
    from meow.data import text as passages

    if passages.looks_like_text(rows):
        if not text:
            raise passages.not_qa_error(source)
        return passages.passage_records(rows, source)
    for i, r in enumerate(rows):
        if not (isinstance(r, dict) and ("question" in r or "undesired_answer" in r or "answer" in r)):
            raise passages.neither_error(source, i, r)
    records = [validate(r, source, i) for i, r in enumerate(rows)]
    empty = [i for i, r in enumerate(records) if not r["answer"].strip()]
    if empty:
        from meow.errors import warn

        warn(f"{source}: {len(empty)} record(s) have an empty answer (first: record {empty[0]}); "
             "they have nothing to learn, forget or recall")
    return records


def split_path(data: str | Path, split: str, text: bool = False) -> Path | None:
    """`DIR/split.json` or `DIR/split.jsonl` (with `text` also `DIR/split.txt`), if one exists."""
    for suffix in (".json", ".jsonl", *((".txt",) if text else ())):
        p = Path(data) / f"{split}{suffix}"
        if p.is_file():
            return p
    return None


def load_hub(dataset_id: str, split: str | None, text: bool = False) -> list[Record]:
    """A `datasets` hub id such as `locuslab/TOFU` with its config name as the split."""
    try:
        import datasets
    except ImportError:  # pragma: no cover - datasets is a dependency
        raise MeowError("loading from the hub needs the 'datasets' package") from None
    try:
        ds = datasets.load_dataset(dataset_id, split)
    except Exception as e:
        raise MeowError(f"{dataset_id}: could not load split {split!r} from the hub ({type(e).__name__}: {e})") from None
    part = ds["train"] if "train" in ds else ds[next(iter(ds))]
    return _checked([dict(r) for r in part], f"{dataset_id}:{split}", text)


def load_records(data: str | Path, split: str | None = None, text: bool = False) -> list[Record]:
    """Load records from a file, from `DIR` + split name, or from a hub id `owner/name` + split.

    `data` may also be written `owner/name:split` for a hub data set. `text`: also accept a text corpus
    (passage records, see `meow.data.text`).
    """
    p = Path(data)
    if split is None and p.is_file():
        return load_file(p, text)
    if p.is_dir():
        if split is None:
            raise MeowError(f"{p}: is a folder; also give the split name (e.g. forget10)")
        found = split_path(p, split, text)
        if found is None:
            have = sorted(q.stem for q in p.iterdir() if q.suffix in (".json", ".jsonl"))
            raise MeowError(f"{p}: no split {split!r} (no {split}.json or {split}.jsonl); found: {', '.join(have) or 'none'}")
        return load_file(found, text)
    if p.is_file():
        return load_file(p, text)
    name = str(data)
    if ":" in name and split is None:
        name, split = name.rsplit(":", 1)
    if re.fullmatch(r"[\w.-]+/[\w.-]+", name) and not p.suffix:
        return load_hub(name, split, text)
    raise MeowError(f"{data}: file not found")
