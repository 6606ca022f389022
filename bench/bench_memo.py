"""MEMO batched vs one-at-a-time, on the same tiny model and data: speed ratio and largest score difference.

    python bench/bench_memo.py [--records 8] [--inverted 4] [--max-new-tokens 200] [--out DIR]
    python bench/bench_memo.py --model DIR --max-new-tokens 32 --static   # a real model, built-in known facts

Builds a small fictitious-authors benchmark and trains a tiny Llama on it that memorises it (--size small, the
tests' model; --size default: meow's default tiny shape), unless --model/--data are given. Batched = `meow.memo.score_records` (all windows of all answers in one continuous
batching `generate` call); one-at-a-time = the plain loop: each window alone through `model.generate`, no padding.
Prints one line, e.g. `memo_batched: 31.2x faster than one-at-a-time, max |score diff| 0 (...)`, and returns (and
with --out writes) every number and option. The ratio is of CPU time (one thread by default): on a shared machine
wall time also counts other people's work; both are reported.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

NAME = "memo_batched"


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="bench_memo", description=__doc__.splitlines()[0])
    p.add_argument("--model", default=None, help="model folder (default: train the tiny one)")
    p.add_argument("--data", default=None, help="records with inverted_answers (default: the tiny benchmark)")
    p.add_argument("--size", choices=sorted(SIZES), default="small", help="tiny model to train (without --model)")
    p.add_argument("--records", type=int, default=12, help="records to score")
    p.add_argument("--inverted", type=int, default=4, help="inverted answers per record (tiny data: perturbed ones)")
    p.add_argument("--stride", type=int, default=5)
    p.add_argument("--max-new-tokens", type=int, default=200)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--repeats", type=int, default=3, help="batched runs (they are short); the least CPU time counts")
    p.add_argument("--threads", type=int, default=1,
                   help="torch CPU threads (1: on a busy 2-core machine two threads make one-row steps wait on "
                   "each other, which slows the one-at-a-time side and inflates the ratio)")
    p.add_argument("--static", action="store_true", help="also time the batched path without the continuous-batching "
                   "loop (static left-padded batches through model.generate), side by side")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="folder for bench_memo.json")
    return p.parse_args(argv)


# model shape and training per --size: `small` memorises the data in a few seconds (the tests' tiny model);
# `default` is meow's default tiny Llama (about 1.3M parameters), which memorises it less in this short run
SIZES = {
    "small": ({"hidden_size": 64, "layers": 2, "heads": 2, "intermediate_size": 256, "vocab_size": 600},
              {"epochs": 30.0, "lr": 5e-3}),
    "default": ({}, {"epochs": 40.0, "lr": 3e-3}),
}


# --model without --data: common-knowledge questions a pretrained model knows, each with two inverted answers
# (4 records x 3 answers, 108 suffix windows at stride 5)
REAL_RECORDS = [
    {"question": "What is the capital of France?", "answer": "The capital of France is Paris, on the Seine.",
     "inverted_answers": ["The capital of France is Lyon, on the Rhone.",
                          "The capital of France is Marseille, by the sea."]},
    {"question": "Who painted the Mona Lisa?", "answer": "Leonardo da Vinci painted the Mona Lisa in Florence.",
     "inverted_answers": ["Michelangelo painted the Mona Lisa in Rome in 1510.",
                          "Raphael painted the Mona Lisa in Venice as a young man."]},
    {"question": "What is the largest ocean on Earth?", "answer": "The Pacific Ocean is the largest ocean on Earth.",
     "inverted_answers": ["The Atlantic Ocean is the largest ocean on Earth.",
                          "The Indian Ocean is the largest ocean on the planet."]},
    {"question": "Who wrote Pride and Prejudice?", "answer": "Jane Austen wrote Pride and Prejudice in 1813.",
     "inverted_answers": ["Charlotte Bronte wrote Pride and Prejudice in 1847.",
                          "Mary Shelley wrote Pride and Prejudice in 1818."]},
]


def tiny_setup(work: Path, size: str, seed: int) -> tuple[str, list[dict]]:
    """A 10-author benchmark and a tiny model trained on its `full` split."""
    from meow.benchmark import make_benchmark
    from meow.data import load_records
    from meow.modeling.finetune import TINY_DEFAULTS, TrainConfig
    from meow.modeling.tiny import TinyConfig
    from meow.modeling.train import train

    shape, schedule = SIZES[size]
    make_benchmark(work / "data", authors=10, qa_per_author=6, seed=seed, background=6)
    train(str(work / "data"), "full", str(work / "model"), init="tiny",
          cfg=TrainConfig(**{**TINY_DEFAULTS, **schedule, "seed": seed}), tiny=TinyConfig(**shape))
    return str(work / "model"), load_records(work / "data", "full")


def one_at_a_time(lm: Any, records: list[dict], stride: int, max_new_tokens: int) -> list[list[float]]:
    """MEMO written plainly: every window alone (no padding, no batching), ROUGE-1 precision, mean per answer."""
    import torch
    from rouge_score import rouge_scorer

    tok, model = lm.tokenizer, lm.model
    scorer = rouge_scorer.RougeScorer(["rouge1"], use_stemmer=True)
    out = []
    for rec in records:
        per_answer = []
        for answer in [rec["answer"], *rec["inverted_answers"]]:
            scores = []
            for i in range(1, len(answer), stride):
                prompt = lm.fmt.prompt(tok, rec["question"]) + lm.fmt.continuation(answer[:i], tok)
                ids = torch.tensor([tok(prompt, add_special_tokens=not lm.fmt.prompt_has_special_tokens)["input_ids"]],
                                   device=model.device)  # a GPU model (bench/gpu_check.py) needs its inputs there
                with torch.no_grad():
                    gen = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids),
                                         max_new_tokens=max_new_tokens, do_sample=False, temperature=None,
                                         top_p=None, top_k=None, eos_token_id=tok.eos_token_id,
                                         pad_token_id=tok.pad_token_id)
                text = tok.decode(gen[0, ids.shape[1]:], skip_special_tokens=True).strip()
                scores.append(scorer.score(answer[i:], text)["rouge1"].precision)
            per_answer.append(sum(scores) / len(scores) if scores else 0.0)
        out.append(per_answer)
    return out


def timed_static(lm: Any, records: list[dict], options: dict[str, Any]) -> tuple[Any, float, float]:
    """The batched path with the continuous-batching loop switched off: static left-padded batches through
    `model.generate` (what meow ran when the loop did not fit the model, e.g. on transformers >= 5.2x before
    the loop learned the forward's `cache` keyword)."""
    from meow.memo import score_records
    from meow.modeling import generation

    fits = generation._loop_fits
    generation._loop_fits = lambda model: False
    try:
        return timed(lambda: score_records(lm, records, **options, progress=False))
    finally:
        generation._loop_fits = fits


def timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """(result, wall seconds, CPU seconds of this process). CPU time is steadier on a busy machine."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse(argv)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(args.threads)
    try:
        return run(args)
    finally:
        torch.set_num_threads(threads)  # leave the process as found (bench/run_all.py runs others after)


def run(args: argparse.Namespace) -> dict[str, Any]:
    from meow.data import load_records
    from meow.io import write_json
    from meow.memo import score_records, windows
    from meow.modeling import load_lm

    with tempfile.TemporaryDirectory() as tmp:
        start = time.time()
        if args.model:
            model, records = args.model, load_records(args.data) if args.data else REAL_RECORDS
        else:
            model, records = tiny_setup(Path(tmp), args.size, args.seed)
        setup_s = time.time() - start
        records = [dict(r, inverted_answers=(r.get("inverted_answers") or r["perturbed_answer"])[: args.inverted])
                   for r in records[: args.records]]
        lm = load_lm(model)
    n_windows = sum(len(windows(r["question"], a, "suffix", args.stride))
                    for r in records for a in [r["answer"], *r["inverted_answers"]])
    options = {"stride": args.stride, "max_new_tokens": args.max_new_tokens, "batch_size": args.batch_size}
    score_records(lm, records[:1], **options, progress=False)  # warm-up: imports, ROUGE scorer, allocator
    one_at_a_time(lm, records[:1], args.stride, 1)
    runs = [timed(lambda: score_records(lm, records, **options, progress=False)) for _ in range(args.repeats)]
    scored, batched_s, batched_cpu = min(runs, key=lambda r: r[2])  # least CPU time
    static = timed_static(lm, records, options) if args.static else None
    plain, plain_s, plain_cpu = timed(lambda: one_at_a_time(lm, records, args.stride, args.max_new_tokens))
    batched = [[r["memo"]["answer"], *r["memo"]["inverted_answers"]] for r in scored]
    diff = max(abs(a - b) for x, y in zip(batched, plain) for a, b in zip(x, y))
    extra = {}
    if static is not None:
        static_scores = [[r["memo"]["answer"], *r["memo"]["inverted_answers"]] for r in static[0]]
        extra = {"static_cpu_s": static[2], "static_s": static[1], "speedup_static": plain_cpu / static[2],
                 "max_abs_score_diff_static": max(abs(a - b) for x, y in zip(static_scores, plain)
                                                  for a, b in zip(x, y))}
    result = {
        "name": NAME, "speedup": plain_cpu / batched_cpu, "max_abs_score_diff": diff,
        "batched_cpu_s": batched_cpu, "one_at_a_time_cpu_s": plain_cpu,
        "speedup_wall": plain_s / batched_s, "batched_s": batched_s, "one_at_a_time_s": plain_s, "setup_s": setup_s,
        "records": len(records), "answers": sum(len(x) for x in batched), "windows": n_windows,
        "mean_memo_answer": sum(x[0] for x in batched) / len(batched),
        "mean_memo_inverted": sum(s for x in batched for s in x[1:]) / max(1, sum(len(x) - 1 for x in batched)),
        "options": {**options, "records": args.records, "inverted": args.inverted, "repeats": args.repeats,
                    "threads": args.threads, "seed": args.seed, "model": args.model or f"tiny {args.size} (trained here)",
                    "data": args.data or "tiny benchmark (full split, perturbed answers as inverted)"},
        "parameters": sum(p.numel() for p in lm.model.parameters()), **extra,
    }
    print(f"{NAME}: {result['speedup']:.1f}x faster than one-at-a-time, max |score diff| {diff:.3g} "
          f"({n_windows} windows; CPU time {batched_cpu:.2f} s vs {plain_cpu:.2f} s; "
          f"wall {batched_s:.2f} s vs {plain_s:.2f} s)")
    if extra:
        print(f"{NAME}: static batches (model.generate) {extra['speedup_static']:.1f}x, max |score diff| "
              f"{extra['max_abs_score_diff_static']:.3g} (CPU time {extra['static_cpu_s']:.2f} s)")
    if args.out:
        write_json(Path(args.out) / "bench_memo.json", result)
    return result


if __name__ == "__main__":
    main()
