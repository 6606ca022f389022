"""`invert_records` / `invert_file`: run a backend over records, validate, cache, re-ask, summarise.

Every record comes back with all its input fields plus

    inverted_answers: [str, ...]       at most n valid inverted answers
    invert: {"backend", "kept", "dropped": [{"text", "reason"}], "note", "asks", ...backend details}

LLM backends (cacheable) are asked again, up to `max_asks` times in all, for records that got fewer than n
valid answers; every raw reply is cached under a key of (backend, model and sampling options, prompt,
attempt), so a re-run after an interruption or a failure asks only for what is missing.
"""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from itertools import chain
from pathlib import Path
from typing import Any

from meow.errors import MeowError, where
from meow.invert.base import INVERTERS, Reply, Request, messages
from meow.invert.cache import ReplyCache, reply_key
from meow.invert.validate import Validated, split_reply, validate
from meow.io import stable_hash, write_json, write_records

DEFAULT_MAX_ASKS = 2


def make_backend(name: str, **options: Any) -> Any:
    """Build a registered backend from its options (unknown options are a user error)."""
    from meow.config import check_fields

    cls = INVERTERS.get(name)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(k for k, v in options.items() if k not in known and v is not None)
    if unknown:
        raise MeowError(f"backend {name!r} does not take option(s) {', '.join(unknown)}; "
                        f"it takes: {', '.join(sorted(known)) or 'none'}")
    given = {k: v for k, v in options.items() if k in known and v is not None}
    check_fields(cls, given)  # declared ranges (field metadata), as for every other option
    return cls(**given)


def invert_records(records: list[dict], backend: str, n: int = 4, seed: int = 0, cache_path: str | Path | None = None,
                   max_asks: int = DEFAULT_MAX_ASKS, progress: bool = True, **backend_options: Any
                   ) -> tuple[list[dict], dict]:
    """Inverted answers for each record -> (records with `inverted_answers` and `invert`, summary).

    Passage records (`text`, see meow.data.text) are inverted as a whole: internally they are records with an
    empty question and the passage as the answer (LLM backends get the passage instruction, `passage_messages`),
    and come back as they were plus `inverted_answers` (the inverted passages) and `invert`.
    """
    from meow.data.text import is_text

    if is_text(records):
        views = [{"question": "", "answer": r["text"]} for r in records]
        out, summary = invert_records(views, backend, n, seed, cache_path, max_asks, progress, **backend_options)
        return [{**r, "inverted_answers": o["inverted_answers"], "invert": o["invert"]}
                for r, o in zip(records, out)], summary
    if n < 1:
        raise MeowError(f"--n must be at least 1, got {n}")
    if max_asks < 1:
        raise MeowError(f"--max-asks must be at least 1, got {max_asks}")
    for i, r in enumerate(records):
        for name in ("question", "answer"):
            if not isinstance(r, dict) or not isinstance(r.get(name), str):
                raise MeowError(f"{where('records', i, name)}: expected a string")
    start = time.monotonic()
    inverter = make_backend(backend, seed=seed, **backend_options)
    inverter.prepare(records)
    cache = ReplyCache(cache_path if inverter.cacheable else None)
    identity = {"backend": backend, **inverter.identity()}
    states = [Validated() for _ in records]
    notes: list[str | None] = [None] * len(records)
    details: list[dict] = [{} for _ in records]
    asks = [0] * len(records)
    counts = Counter()
    def save(req: Request, text: str) -> None:
        if req.key not in cache:
            cache.put(req.key, text, backend=backend, model=identity.get("model"),
                      input=stable_hash([req.question, req.answer]), attempt=req.attempt)
            counts["cached_now"] += 1

    if inverter.cacheable and hasattr(inverter, "on_reply"):
        inverter.on_reply = save  # cached by the backend's worker the moment it arrives (survives Ctrl-C)
    for attempt in range(max_asks if inverter.cacheable else 1):
        requests = [_request(records, i, n, attempt, identity) for i, s in enumerate(states) if len(s.kept) < n]
        if not requests:
            break
        cached = [(r, Reply(text=cache.get(r.key))) for r in requests if r.key in cache]
        fresh = [r for r in requests if r.key not in cache]
        counts["from_cache"] += len(cached)
        counts["asked"] += len(fresh)
        replies = inverter.run(fresh)
        if progress and fresh:
            from tqdm.auto import tqdm

            label = f"invert ({backend})" + (f", ask {attempt + 1}" if attempt else "")
            replies = tqdm(replies, total=len(fresh), desc=label, unit="record", leave=False)
        try:
            for req, reply in chain(cached, replies):
                if inverter.cacheable and reply.text is not None:
                    save(req, reply.text)
                _absorb(records[req.index], reply, n, states[req.index])
                asks[req.index] += 1
                notes[req.index] = reply.note or notes[req.index]
                details[req.index].update(reply.details)
        except MeowError as e:
            if cache.path is None:
                raise
            raise MeowError(f"{e}; {counts['cached_now']} replies of this run are saved in {cache.path}: "
                            "run the same command again to resume") from None
    out = [_output(r, backend, n, s, notes[i], asks[i], details[i]) for i, (r, s) in enumerate(zip(records, states))]
    summary = summarise(out, backend, n, counts, time.monotonic() - start)
    return out, summary


def _request(records: list[dict], i: int, n: int, attempt: int, identity: dict) -> Request:
    q, a = records[i].get("question", ""), records[i]["answer"]
    return Request(i, q, a, n, attempt, key=reply_key(identity, messages(q, a, n), attempt))


def _absorb(record: dict, reply: Reply, n: int, state: Validated) -> None:
    state.dropped.extend(reply.dropped)
    if reply.candidates is not None:
        validate([(c, None) for c in reply.candidates], record, n, state)
    elif reply.text is not None:
        validate(split_reply(reply.text), record, n, state)


def _output(record: dict, backend: str, n: int, state: Validated, note: str | None, asks: int,
            details: dict) -> dict:
    if note is None and len(state.kept) < n:
        note = f"{len(state.kept)} of {n} valid inverted answers after {asks} ask(s)"
    info = {"backend": backend, "kept": len(state.kept), "dropped": state.dropped, "note": note, "asks": asks,
            **details}
    return {**record, "inverted_answers": list(state.kept), "invert": info}


def summarise(records: list[dict], backend: str, n: int, counts: Counter, seconds: float) -> dict:
    kept = [r["invert"]["kept"] for r in records]
    reasons = Counter(d["reason"] for r in records for d in r["invert"]["dropped"])
    notes = Counter(r["invert"]["note"].split(":")[0] for r in records if r["invert"]["note"])
    return {
        "backend": backend, "n": n, "records": len(records),
        "full": sum(k == n for k in kept), "fewer": sum(0 < k < n for k in kept), "none": sum(k == 0 for k in kept),
        "inverted_answers": sum(kept), "dropped": dict(sorted(reasons.items())), "notes": dict(notes.most_common()),
        "requests": {"asked": counts["asked"], "from_cache": counts["from_cache"]}, "seconds": round(seconds, 2),
    }


def format_summary(summary: dict) -> str:
    """A few readable lines for the terminal."""
    total = max(summary["records"], 1)
    lines = [
        f"inverted {summary['records']} records with {summary['backend']} (n={summary['n']}): "
        f"{summary['full']} full ({summary['full'] / total:.0%}), {summary['fewer']} fewer, {summary['none']} none; "
        f"{summary['inverted_answers']} inverted answers",
        f"requests: {summary['requests']['asked']} asked, {summary['requests']['from_cache']} from cache; "
        f"{summary['seconds']} s",
    ]
    if summary["dropped"]:
        lines.append("dropped: " + ", ".join(f"{k} {v}" for k, v in summary["dropped"].items()))
    if summary["notes"]:
        lines.append("notes: " + "; ".join(f"{k} ({v})" for k, v in summary["notes"].items()))
    return "\n".join(lines)


def side_path(out: str | Path, suffix: str) -> Path:
    """`inv.json` -> `inv.summary.json` etc. (files written next to the output)."""
    out = Path(out)
    stem = out.name[: -len(out.suffix)] if out.suffix else out.name
    return out.with_name(stem + suffix)


def invert_file(data: str | Path, out: str | Path, backend: str, n: int = 4, seed: int = 0, split: str | None = None,
                cache: str | Path | None = None, max_asks: int = DEFAULT_MAX_ASKS, progress: bool = True,
                force: bool = False, **backend_options: Any) -> dict:
    """Read records, invert them, write OUT (atomic), OUT's `.summary.json` and `.config.yaml`; return the summary.

    An existing OUT is replaced only with `force` (meow.io.prepare_output); the cache is resumed, never replaced."""
    from meow.config import save_config
    from meow.data import load_records, split_path
    from meow.io import prepare_output

    out = Path(out)
    source = split_path(data, split) if split and Path(data).is_dir() else None
    cacheable = INVERTERS.get(backend).cacheable
    cache_path = (Path(cache) if cache else side_path(out, ".cache.jsonl")) if cacheable else None
    inputs = [data, source, backend_options.get("model") if backend == "hf" else None]
    prepare_output(out, kind="file", force=force, inputs=inputs,
                   also=[side_path(out, ".summary.json"), side_path(out, ".config.yaml")])
    if cache:  # the cache is read and appended to (a re-run resumes), never an input or OUT
        written = [out, side_path(out, ".summary.json"), side_path(out, ".config.yaml")]
        clash = next((w for w in written if w.resolve() == Path(cache).resolve()), None)
        if clash is not None:
            raise MeowError(f"--cache {cache}: is also the output file {clash}; the cache needs a path of its own "
                            f"(default: {side_path(out, '.cache.jsonl')})")
        prepare_output(cache, kind="file", inputs=[*inputs, out], option="--cache", replace_ok=True)
        if cache_path is None:
            from meow.errors import warn

            warn(f"--cache {cache}: the {backend} backend keeps no replies to cache; ignored")
    if cache_path is not None:
        prepare_output(cache_path, kind="file", inputs=[*inputs, out], option="--cache", replace_ok=True)
    records = load_records(data, split, text=True)  # QA records or passages
    options = {k: v for k, v in backend_options.items() if v is not None}
    config = {"data": str(data), "split": split, "out": str(out), "backend": backend, "n": n, "seed": seed,
              **({"max_asks": max_asks, "cache": str(cache_path)} if cacheable else {}), **options}
    result, summary = invert_records(records, backend, n=n, seed=seed, cache_path=cache_path, max_asks=max_asks,
                                     progress=progress, **options)
    write_records(out, result)
    summary = {**summary, "data": str(data), "out": str(out), "config": config}
    write_json(side_path(out, ".summary.json"), summary)
    save_config(config, side_path(out, ".config.yaml"))
    return summary
