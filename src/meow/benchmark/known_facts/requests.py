"""The known-facts benchmark's request splits and forget-set sizes, always in whole entities.

- Requests (`meow benchmark make --kind known-facts --requests K`, for `meow unlearn --sequence`): the forget
  entities, in their benchmark.json order (`roles.forget`, bank order), cut into K contiguous chunks whose sizes
  differ by at most one entity (the earlier chunks larger; meow.benchmark.requests.chunks), written as
  `request1.json .. requestK.json` with the forget split's fields; benchmark.json gains `"requests": {"style":
  "chunks", "of": "forget", "files", "entities", "records", "cumulative"}`, where `cumulative[k-1]` is the nested
  size that request 1..k together equal.
- Sizes (MUSE's scalability setting, TOFU's forget01 within forget05 within forget10): `forget_k.json` (and
  `forget_k_perturbed.json`) = the first k forget entities, k = 1 .. `--forget-entities`, so `forget_N` holds the
  same questions as `forget`; `holdout_k.json` = the neighbours of the same kind as one of those k entities (a
  neighbour is chosen by kind: meow.benchmark.known_facts.make), absent when there are none. `meow sweep --grid
  forget_size=1,2,4 --data D` picks `forget_1`, `forget_2`, `forget_4` (`size_split`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from meow.benchmark.requests import by_author, chunks, write_record_requests
from meow.errors import MeowError
from meow.io import read_json

MANIFEST = "benchmark.json"
UNIT = "forget entities (--forget-entities)"


def size_name(k: int) -> str:
    """The forget split of the first k forget entities: 3 -> 'forget_3'."""
    return f"forget_{k}"


def size_splits(forget: list[dict[str, Any]], holdout: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """{forget_k, forget_k_perturbed, holdout_k} for k = 1 .. the number of forget entities (`forget`'s records are
    grouped by entity, in order; `holdout` is the neighbour split)."""
    out: dict[str, list[dict[str, Any]]] = {}
    groups = by_author(forget, "entity")
    for k in range(1, len(groups) + 1):
        rows = [r for g in groups[:k] for r in g]
        kinds = {r["kind"] for r in rows}
        out[size_name(k)] = out[f"{size_name(k)}_perturbed"] = rows
        near = [r for r in holdout if r["kind"] in kinds]
        if near:
            out[f"holdout_{k}"] = near
    return out


def entity_requests(forget: list[dict[str, Any]], k: int) -> tuple[list[list[dict[str, Any]]], dict[str, Any]]:
    """(records of each request, manifest entry): the forget entities in k chunks, none split."""
    parts = chunks(by_author(forget, "entity"), k, UNIT)
    requests = [[r for g in part for r in g] for part in parts]
    ends = [sum(len(p) for p in parts[:i]) for i in range(1, k + 1)]
    entry = {"style": "chunks", "of": "forget", "files": [f"request{i}" for i in range(1, k + 1)],
             "entities": [[g[0]["entity"] for g in part] for part in parts], "records": [len(r) for r in requests],
             "cumulative": [size_name(n) for n in ends]}
    return requests, entry


def check_entity_requests(spec: str | int, forget_entities: int) -> None:
    """`--requests` for `--kind known-facts`, refused before anything is probed or written."""
    if spec == "nested":
        raise MeowError("--requests nested: TOFU's forget sizes belong to the authors benchmark; with --kind "
                        "known-facts give a number of requests (the forget entities in that many chunks; the nested "
                        "sizes forget_1 .. forget_N are always written)")
    chunks(list(range(max(forget_entities, 0))), int(spec), UNIT)


def write_entity_requests(out_dir: str | Path, spec: str | int | None) -> dict[str, Any] | None:
    """request1.json .. into the benchmark just made in `out_dir` (meow.benchmark.requests.write_record_requests)."""
    from meow.data import load_records

    return write_record_requests(out_dir, spec, lambda out, _: entity_requests(load_records(out / "forget.json"),
                                                                                int(spec or 0)))


def size_split(value: Any, data: str | Path) -> str:
    """`meow sweep --grid forget_size=K` on a known-facts folder: K whole entities -> 'forget_K'."""
    try:
        n = len(read_json(Path(data) / MANIFEST)["roles"]["forget"])
    except (OSError, ValueError, KeyError, TypeError, MeowError):
        n = 0
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or not 1 <= value <= n:
        raise MeowError(f"--grid forget_size={value!r}: expected a number of forget entities, 1 to {n} (the nested "
                        f"splits forget_1 .. forget_{n} of {data})")
    return size_name(int(value))
