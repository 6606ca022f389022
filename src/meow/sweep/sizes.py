"""The `forget_size` grid axis of `meow sweep`: MUSE's scalability setting, each forget-set size unlearned from the
original model. The benchmark of `--data` (the one whose `holds` claims it, meow.benchmark.registry `for_data`) says
which split a size names (`Benchmark.size_split`): TOFU / the built-in authors, a percentage of the authors
(`--grid forget_size=1,5,10`: forget01, forget05, forget10); known facts, a number of whole entities
(`forget_size=1,2,4`: forget_1, forget_2, forget_4, meow.benchmark.known_facts.requests).

A point's forget set is the records of `--forget` (e.g. the inverted, MEMO-scored forget10) whose questions are in
that split of `--data` (the sizes are nested: forget01 within forget05 within forget10), written to
OUT/forget/<split>.json; it is evaluated on that split (`<split>_perturbed`, its holdout), and its forget quality
compares against the retain model's values on the same questions (the retain evaluation, made on --forget-split,
is restricted to them: give the largest size as --forget-split, the default forget10).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from meow.errors import MeowError

SIZE_KEY = "forget_size"


def size_split(value: Any, data: Any) -> str:
    """The forget split of `data` that one `forget_size` value names, as its benchmark defines it."""
    from meow.benchmark import BENCHMARKS

    return BENCHMARKS.for_data(data).size_split(value, data)


def size_point(value: Any, forget: str, data: Any, eval_files: Any, folder: Path, retain_ev: Any
               ) -> tuple[str, dict[str, list[dict]], dict[str, str], dict[str, str], Any]:
    """(forget file, splits, sources, absent, retain evaluation) of one forget size."""
    from meow.data import load_records
    from meow.evaluate import load_splits
    from meow.io import write_records
    from meow.unlearn.sequence_eval import slice_forget

    if data is None:
        raise MeowError("--grid forget_size: needs --data DIR (the nested forget splits that select each size)")
    split = size_split(value, data)
    try:
        splits, sources, absent = load_splits(data, split, {k: v for k, v in (eval_files or {}).items()
                                                            if k != "forget"})
    except MeowError as e:
        raise MeowError(f"--grid forget_size={value}: {e}") from None
    questions = [r["question"] for r in splits["forget"]]
    by_q = {r.get("question"): r for r in load_records(forget)}
    lacking = [q for q in questions if q not in by_q]
    if lacking:
        raise MeowError(f"{forget}: lacks {len(lacking)} question(s) of {split} (first: {lacking[0]!r}); give the "
                        "largest forget set (e.g. the inverted forget10) as --forget")
    path = folder / f"{split}.json"
    write_records(path, [by_q[q] for q in questions])
    data_ev = getattr(retain_ev, "data", retain_ev)
    sliced = slice_forget(data_ev, questions) if data_ev is not None else None
    return str(path), splits, sources, absent, sliced if sliced is not None else retain_ev
