"""Text corpora: plain passages (MUSE's raw/ files, news articles, book chapters) instead of QA records.

A passage record is a dict with a `text` field (and no `question`); other fields are kept, e.g.
`inverted_answers` (the passage with its facts inverted, written by `meow invert`) and `memo`. Accepted files:

    .txt                      passages separated by blank lines (MUSE writes raw/<split>.txt as "\\n\\n".join(texts))
    .json / .jsonl            a list of strings (MUSE's raw/ and privleak/ files), or objects with a `text` field
    owner/name:config/split   a hub data set whose rows have a `text` column (e.g. muse-bench/MUSE-News raw)

Training rows: each passage is tokenised with the tokenizer's leading special tokens (BOS), then cut into
consecutive chunks of at most `max_length` tokens, each chunk starting with those special tokens (as MUSE's
`DefaultDataset` does for .txt corpora); the loss covers every token (labels = input_ids).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from meow.errors import MeowError, where
from meow.schema import AnyOf, ListOf, Obj, Str, check, read_text_file

Record = dict[str, Any]
Encoded = dict[str, list[int]]
TEXT_SUFFIXES = (".txt",)
_BLANK_LINE = re.compile(r"\n[ \t]*\n")


PASSAGE = AnyOf((Str(), Obj({"text": Str(), "inverted_answers": ListOf(Str(), nonempty=False, label="passage")},
                            optional=frozenset({"inverted_answers"}))))
CORPUS = ListOf(PASSAGE, label="record")


def is_passage(row: Any) -> bool:
    """A string, or an object holding a `text` string and no QA `question`."""
    return isinstance(row, str) or (isinstance(row, dict) and isinstance(row.get("text"), str) and "question" not in row)


def _passage_like(row: Any) -> bool:
    """Meant as a passage: a string, or an object with a `text` field (of any type) and no QA fields."""
    return isinstance(row, str) or (isinstance(row, dict) and "text" in row and "question" not in row
                                    and "answer" not in row)


def is_text(records: list[Record]) -> bool:
    """True for a list of passage records (as `load_records(..., text=True)` returns them)."""
    return bool(records) and all(isinstance(r, dict) and "text" in r and "question" not in r for r in records)


def looks_like_text(rows: list[Any]) -> bool:
    """Rows of a parsed file are passages: the first row that is either a QA record or a passage is a passage (so
    the first row that is not is the one named in the error)."""
    for r in rows:
        if _passage_like(r):
            return True
        if isinstance(r, dict) and ("question" in r or "answer" in r or "undesired_answer" in r):
            return False
    return False


def split_passages(text: str) -> list[str]:
    """Blank-line separated passages of a .txt corpus, stripped; empty ones dropped."""
    return [p.strip() for p in _BLANK_LINE.split(text.replace("\r\n", "\n")) if p.strip()]


def passage_records(rows: list[Any], source: object) -> list[Record]:
    """Passage records from strings / `text` objects checked against CORPUS; one line naming the first bad row."""
    check(rows, CORPUS, source)
    return [{"text": row} if isinstance(row, str) else dict(row) for row in rows]


def read_txt(path: Path) -> list[Record]:
    text = read_text_file(path)
    passages = split_passages(text)
    if not passages:
        raise MeowError(f"{path}: holds no text")
    return [{"text": p} for p in passages]


def not_qa_error(path: object) -> MeowError:
    return MeowError(f"{path}: is a text corpus (passages), but this stage needs question/answer records "
                     "('question' and 'answer' fields)")


def neither_error(path: object, index: int, row: Any) -> MeowError:
    got = type(row).__name__ if not isinstance(row, dict) else "an object with fields " + ", ".join(
        sorted(map(str, row))[:6])
    return MeowError(f"{where(path, index)}: expected an object with 'question' and 'answer' (a QA record) or a "
                     f"passage (a string, or an object with 'text'); got {got}")


# ---------------------------------------------------------------- tokens


def special_prefix(tokenizer: Any) -> list[int]:
    """The ids the tokenizer puts before any text (BOS for Llama-style tokenizers, nothing for others)."""
    ids = list(tokenizer("", add_special_tokens=True)["input_ids"])
    while ids and ids[-1] == tokenizer.eos_token_id != tokenizer.bos_token_id:  # a trailing EOS is no prefix
        ids.pop()
    return ids


def chunk_ids(tokenizer: Any, text: str, max_length: int) -> list[list[int]]:
    """[prefix + text tokens [k*s, (k+1)*s)) for k = 0, 1, ...], s = max_length - len(prefix)."""
    prefix = special_prefix(tokenizer)
    size = max_length - len(prefix)
    if size < 1:
        raise MeowError(f"--max-length {max_length}: too short for a passage chunk (the tokenizer adds "
                        f"{len(prefix)} special token(s) before every chunk)")
    body = tokenizer(text, add_special_tokens=False)["input_ids"]
    return [prefix + body[i:i + size] for i in range(0, len(body), size)] or [prefix]


def encode_passage(tokenizer: Any, text: str, max_length: int) -> list[Encoded]:
    """Training rows of one passage: its chunks, every token labelled (see the module docstring)."""
    return [{"input_ids": ids, "labels": list(ids)} for ids in chunk_ids(tokenizer, text, max_length)]
