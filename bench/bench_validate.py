"""Inverting long answers: linear near-copy validation and sentence-start checks vs the old ways.

    python bench/bench_validate.py [--records 6] [--chars 20000] [--old-chars 1000,2000,4000]

Two things made the rules backend slow on long answers: `near_equal` aligned content words with difflib
(quadratic in the worst case), and the rules backend asked "does the text before this word end a sentence?"
with a `$`-anchored regex over the whole prefix `text[:i]` at every capitalised word (quadratic always). Now
`near_equal` is a subsequence test plus a multiset difference, and the prefix checks look at the last 120
characters only (`rules.slots.ends_with`).

Long answers are built by joining answers of the built-in benchmark up to --chars characters; each gets the
candidates a backend would send (one fact replaced, a clause appended, a sentence dropped, a negation added).
Reported, per record: `validate()` with the new `near_equal` on the long answers; the old difflib `near_equal`
(re-implemented here as it was) on shorter answers, whose time grows quadratically; the whole rules backend
(`invert_records(..., "rules")`) on the long answers; and the agreement of old and new decisions on every
normal-length (answer, candidate) pair of the benchmark. The last line is the headline, e.g.
`validate: 0.03 s/record at 20000 chars (new); old difflib 2.1 s/record at 4000 chars; rules backend 0.7 s/record;
decisions agree on 2400/2400 normal pairs`. CPU time (one thread) is reported; wall time also counts other work.
"""

from __future__ import annotations

import argparse
import difflib
import time
from typing import Any

NAME = "validate_linear"


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="bench_validate", description=__doc__.splitlines()[0])
    p.add_argument("--records", type=int, default=6, help="long records")
    p.add_argument("--chars", type=int, default=20000, help="length of a long answer")
    p.add_argument("--old-chars", default="1000,2000,4000", help="answer lengths for the old difflib way")
    p.add_argument("--skip-rules", action="store_true", help="do not time the whole rules backend")
    return p.parse_args(argv)


def old_near_equal(candidate: str, original: str) -> bool:
    """meow <= 0.x: difflib opcodes over content words (quadratic in the answer length)."""
    from meow.invert.lexicon import NEGATIONS
    from meow.invert.validate import content_words

    a, b = content_words(original), content_words(candidate)
    ops = [op for op in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes() if op[0] != "equal"]
    kinds = {op[0] for op in ops}
    if "replace" in kinds or kinds == {"insert", "delete"}:
        return False
    return not any(set(a[i1:i2] + b[j1:j2]) & NEGATIONS for _, i1, i2, j1, j2 in ops)


def long_records(n: int, chars: int) -> list[dict[str, Any]]:
    from meow.benchmark.generate import generate

    full = generate(20, 10, 0, 4)["full"]
    out = []
    for i in range(n):
        parts, j = [], i
        while sum(map(len, parts)) + len(parts) < chars:
            parts.append(full[j % len(full)]["answer"])
            j += 7
        out.append({"question": full[i]["question"], "answer": " ".join(parts)})
    return out


def candidates(answer: str) -> list[tuple[str, None]]:
    """What a backend sends: one fact replaced (valid), one clause added, one sentence dropped, one negation."""
    words = answer.split()
    mid = len(words) // 2
    replaced = " ".join([*words[:mid], "Zanzibar", *words[mid + 1:]])
    added = answer + " She also won a prize."
    dropped = answer.split(". ", 1)[-1]
    negated = " ".join([*words[:mid], "not", *words[mid:]])
    return [(replaced, None), (added, None), (dropped, None), (negated, None)]


def prefix_checks(text: str) -> tuple[float, float, bool]:
    """CPU seconds of the sentence-start check at every capitalised word: whole prefix (old) vs window (new),
    and whether both give the same answers."""
    import re

    from meow.invert.rules.slots import SENT_START, ends_with

    starts = [m.start() for m in re.finditer(r"[A-Z]", text)]
    t = time.process_time()
    old = [bool(SENT_START.search(text[:i])) for i in starts]
    t_old = time.process_time() - t
    t = time.process_time()
    new = [bool(ends_with(SENT_START, text, i)) for i in starts]
    return t_old, time.process_time() - t, old == new


def time_validate(records: list[dict[str, Any]], near: Any) -> float:
    """CPU seconds per record of `validate()` with the given near_equal."""
    import importlib

    v = importlib.import_module("meow.invert.validate")  # the module (the package re-exports a function `validate`)
    real = v.near_equal
    v.near_equal = near
    try:
        start = time.process_time()
        for r in records:
            v.validate(candidates(r["answer"]), r, n=4)
        return (time.process_time() - start) / len(records)
    finally:
        v.near_equal = real


def agreement() -> tuple[int, int]:
    """Old and new decisions on every normal-length pair of the benchmark (answers vs perturbed / paraphrased
    answers, and small edits of the answer)."""
    from meow.benchmark.generate import generate
    from meow.invert.validate import near_equal

    pairs = []
    for r in generate(40, 10, 0, 20)["full"]:
        a = r["answer"]
        words = a.split()
        pairs += [(c, a) for c in r.get("perturbed_answer", [])]
        pairs += [(r["paraphrased_answer"], a)] if isinstance(r.get("paraphrased_answer"), str) else []
        pairs += [(" ".join(words[:-1]), a), (a + " indeed", a), ("Not " + a, a), (" ".join(words[1:] + words[:1]), a)]
    same = sum(near_equal(c, a) == old_near_equal(c, a) for c, a in pairs)
    return same, len(pairs)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse(argv)
    from meow.invert import invert_records
    from meow.invert.validate import near_equal

    records = long_records(args.records, args.chars)
    new = time_validate(records, near_equal)
    print(f"new near_equal: validate() {new:.4f} s/record at {args.chars} chars")
    old = {}
    for chars in (int(c) for c in args.old_chars.split(",") if c):
        old[chars] = time_validate(long_records(max(1, args.records // 3), chars), old_near_equal)
        print(f"old difflib near_equal: validate() {old[chars]:.4f} s/record at {chars} chars")
    rules = None
    if not args.skip_rules:
        start = time.process_time()
        invert_records(records, "rules", n=4, progress=False)
        rules = (time.process_time() - start) / len(records)
        print(f"rules backend (whole invert_records): {rules:.3f} s/record at {args.chars} chars")
    p_old, p_new, p_same = prefix_checks(records[0]["answer"])
    print(f"sentence-start checks at every capital of one {args.chars}-char answer: whole prefix {p_old:.3f} s, "
          f"last 120 chars {p_new:.4f} s ({p_old / max(p_new, 1e-9):.0f}x), same answers: {p_same}")
    same, total = agreement()
    longest = max(old) if old else None
    print(f"{NAME}: validate {new:.3f} s/record at {args.chars} chars (new)"
          + (f"; old difflib {old[longest]:.3f} s/record at {longest} chars" if longest else "")
          + (f"; rules backend {rules:.2f} s/record" if rules is not None else "")
          + f"; prefix checks {p_old / max(p_new, 1e-9):.0f}x faster; decisions agree on {same}/{total} normal pairs")
    return {"new_s_per_record": new, "chars": args.chars, "old_s_per_record": old, "rules_s_per_record": rules,
            "prefix_old_s": p_old, "prefix_new_s": p_new, "prefix_same": p_same, "agree": same, "pairs": total}


if __name__ == "__main__":
    main()
