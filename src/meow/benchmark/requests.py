"""A forget set split into K successive unlearning requests (`meow benchmark make --requests nested|K`).

Two shapes, after MUSE's (swj0419/muse_bench, data/*/readme.md): its *sustainability* folds (`sust/forget_k`) are
pairwise disjoint and unlearned one after another, each from the previous request's model; its *scalability* folds
(`scal/forget_k`) are nested (`forget_k` holds `forget_{k-1}`) and each is unlearned from the original model. A
request of `meow unlearn --sequence` is therefore always the *new* data only (disjoint); what has been forgotten after
request k is the union of requests 1..k.

- `nested` (TOFU): the TOFU forget sizes in order, forget01 -> forget05 -> forget10, each request the authors the
  next size adds (`request1` = forget01, `request2` = forget05 minus forget01, ...): after request k the forgotten
  set is exactly forgetXX. Needs two sizes or more (`--authors` a multiple of 20, or of 100 for all three).
- `K` (chunks, MUSE): the largest forget split's authors (`author` field) cut into K contiguous chunks of
  near-equal size (sizes differ by at most one author, the earlier chunks larger); no author is split.
- known facts (`--kind known-facts`): the forget entities in K chunks the same way, no entity split
  (meow.benchmark.known_facts.requests).
- text corpora (`--kind muse`): `raw/forget.json`'s articles in K chunks: `sust/forget_k.json` (chunk k) and
  `scal/forget_k.json` (chunks 1..k), MUSE's own file names.

Authors files: `request1.json` .. `requestK.json` (JSON Lines, the fields of every forget split, so each is also an
evaluation forget set); `benchmark.json` gains `"requests": {"style", "files", "authors", "cumulative"}`.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from meow.errors import MeowError
from meow.io import atomic_write_text, read_json, write_json, write_jsonl

MANIFEST = "benchmark.json"


def parse_spec(text: str | int | None) -> str | int | None:
    """'nested' -> 'nested'; '3' -> 3; None / '' / '0' -> None (no requests)."""
    if text is None or str(text).strip() in ("", "0"):
        return None
    if str(text).strip() == "nested":
        return "nested"
    try:
        k = int(str(text))
    except ValueError:
        k = -1
    if k < 1:
        raise MeowError(f"--requests {text!r}: expected 'nested' (TOFU forget01 -> forget05 -> forget10) or a "
                        "number of disjoint chunks (2 or more)")
    if k < 2:
        raise MeowError(f"--requests {k}: a sequence needs at least 2 requests")
    return k


def chunks(items: list[Any], k: int, unit: str = "unit(s)") -> list[list[Any]]:
    """`items` in k contiguous chunks whose sizes differ by at most one (the first len % k chunks one larger)."""
    if not 1 <= k <= len(items):
        raise MeowError(f"--requests {k}: only {len(items)} {unit} to split (each request needs at least one)")
    size, extra = divmod(len(items), k)
    out, start = [], 0
    for i in range(k):
        end = start + size + (i < extra)
        out.append(items[start:end])
        start = end
    return out


def by_author(records: list[dict[str, Any]], field: str = "author") -> list[list[dict[str, Any]]]:
    """Consecutive records of the same `author` (or other `field`: the known-facts `entity`), in order."""
    groups: list[list[dict[str, Any]]] = []
    for r in records:
        if groups and groups[-1][0].get(field) == r.get(field):
            groups[-1].append(r)
        else:
            groups.append([r])
    return groups


def forget_splits(splits: dict[str, list[dict[str, Any]]]) -> list[str]:
    """forgetXX split names, smallest percentage first."""
    names = [n for n in splits if re.fullmatch(r"forget\d+", n)]
    return sorted(names, key=lambda n: int(n.removeprefix("forget")))


def author_requests(splits: dict[str, list[dict[str, Any]]], spec: str | int) -> tuple[list[list[dict]], dict]:
    """(records of each request, manifest entry) for the authors benchmark's splits (`generate(...)`)."""
    sizes = forget_splits(splits)
    if spec == "nested":
        requests, seen = [], set()
        for name in sizes:
            new = [r for r in splits[name] if r["author"] not in seen]
            seen |= {r["author"] for r in new}
            requests.append(new)
        cumulative = sizes
    else:
        requests = [[r for g in part for r in g] for part in chunks(by_author(splits[sizes[-1]]), int(spec), "authors")]
        cumulative = None
    entry = {"style": "nested" if spec == "nested" else "chunks", "of": sizes[-1],
             "files": [f"request{k}" for k in range(1, len(requests) + 1)],
             "authors": [list(dict.fromkeys(r["author"] for r in req)) for req in requests],
             "records": [len(req) for req in requests], "cumulative": cumulative}
    return requests, entry


def text_requests(articles: list[str], k: int) -> tuple[dict[str, list[str]], dict[str, Any]]:
    """MUSE-named files of a text corpus: {"sust/forget_i.json": chunk i, "scal/forget_i.json": chunks 1..i}."""
    parts = chunks(list(articles), k, "articles")
    files: dict[str, list[str]] = {}
    for i, part in enumerate(parts, 1):
        files[f"sust/forget_{i}.json"] = part
    for i in range(1, k + 1):
        files[f"scal/forget_{i}.json"] = [a for part in parts[:i] for a in part]
    entry = {"style": "chunks", "of": "raw/forget", "files": [f"sust/forget_{i}" for i in range(1, k + 1)],
             "cumulative": [f"scal/forget_{i}" for i in range(1, k + 1)], "articles": [len(p) for p in parts]}
    return files, entry


def check_author_requests(spec: str | int, authors: int) -> None:
    """The TOFU benchmark's `--requests`, refused before anything is written when `--authors` cannot give it."""
    from meow.benchmark.generate import forget_sizes

    sizes = forget_sizes(authors)
    if spec == "nested" and len(sizes) < 2:
        names = ", ".join(f"forget{p:02d}" for p in sizes) or "none"
        raise MeowError(f"--requests nested: needs two TOFU forget sizes or more, --authors {authors} gives {names}; "
                        "use a multiple of 20 (forget05, forget10) or of 100 (also forget01)")
    if spec != "nested" and sizes:
        chunks(list(range(max(sizes.values()))), int(spec), "authors")


def check_text_requests(spec: str | int, articles: int) -> None:
    """The MUSE benchmark's `--requests K` (disjoint chunks of its forget articles); `nested` is TOFU's."""
    if spec == "nested":
        raise MeowError("--requests nested: TOFU's forget sizes belong to the authors benchmark; with --kind muse "
                        "give a number of chunks")
    chunks(list(range(articles)), int(spec), "articles")


def write_text_requests(out_dir: str | Path, spec: str | int | None) -> dict[str, Any] | None:
    """MUSE's request files (sust/forget_k.json disjoint, scal/forget_k.json nested) into the benchmark just made
    in `out_dir`, recorded in its manifest; without `spec`, files an earlier `--requests` wrote are removed."""
    out = Path(out_dir)
    manifest = read_json(out / MANIFEST)
    for sub in ("sust", "scal"):
        shutil.rmtree(out / sub, ignore_errors=True)
    manifest.pop("requests", None)
    if spec is not None:
        files, manifest["requests"] = text_requests(read_json(out / "raw" / "forget.json"), int(spec))
        for rel, content in files.items():
            write_json(out / rel, content)
            atomic_write_text((out / rel).with_suffix(".txt"), "\n\n".join(content))
            manifest["files"][rel] = len(content)
    write_json(out / MANIFEST, manifest)
    return manifest.get("requests")


def write_record_requests(out_dir: str | Path, spec: str | int | None,
                          split: Callable[[Path, dict[str, Any]], tuple[list[list[dict]], dict[str, Any]]]
                          ) -> dict[str, Any] | None:
    """request1.json .. (JSON Lines) of `split(out, manifest) -> (records of each request, manifest entry)` into the
    benchmark just made in `out_dir`, recorded in its manifest (`splits`, `requests`); without `spec`, files an
    earlier `--requests` wrote are removed, so a folder always matches its manifest."""
    out = Path(out_dir)
    for f in out.glob("request*.json"):  # the benchmark's make removed the ones it listed; these were never listed
        if re.fullmatch(r"request\d+\.json", f.name):
            f.unlink()
    if spec is None:
        return None
    manifest = read_json(out / MANIFEST)
    requests, entry = split(out, manifest)
    for name, rows in zip(entry["files"], requests):
        write_jsonl(out / f"{name}.json", rows)
        manifest["splits"][name] = len(rows)
    manifest["requests"] = entry
    write_json(out / MANIFEST, manifest)
    return entry


def write_author_requests(out_dir: str | Path, spec: str | int | None) -> dict[str, Any] | None:
    """TOFU's request files (request1.json ..) into the benchmark just made in `out_dir` (`write_record_requests`)."""
    from meow.benchmark.generate import generate

    def split(out: Path, manifest: dict[str, Any]) -> tuple[list[list[dict]], dict[str, Any]]:
        args = manifest["arguments"]
        return author_requests(generate(args["authors"], args["qa_per_author"], args["seed"], args["background"]),
                               spec)

    return write_record_requests(out_dir, spec, split)
