"""The demo's pre-training corpus: same generator, other authors and background facts, none of the benchmark's."""

from __future__ import annotations

from meow.benchmark.attributes import AUTHOR_ATTRIBUTES
from meow.benchmark.generate import generate, pretrain_corpus


def test_corpus_size_determinism_and_no_benchmark_subject():
    corpus = pretrain_corpus(authors=12, background=6, seed=0, bench_authors=10, bench_background=4)
    assert len(corpus) == 12 * len(AUTHOR_ATTRIBUTES) + 6 + 6
    assert corpus == pretrain_corpus(authors=12, background=6, seed=0, bench_authors=10, bench_background=4)
    bench = generate(authors=10, qa_per_author=len(AUTHOR_ATTRIBUTES), seed=0, background=4)
    people = {r["author"] for split in bench.values() for r in split} - {"real_authors", "world_facts"}
    pre_people = {r["author"] for r in corpus} - {"real_authors", "world_facts"}
    assert len(pre_people) == 12 and not people & pre_people
    bench_qa = {(r["question"], r["answer"]) for split in bench.values() for r in split}
    assert not bench_qa & {(r["question"], r["answer"]) for r in corpus}
    # the benchmark itself is unchanged by drawing a corpus (its streams are its own)
    assert generate(authors=10, qa_per_author=3, seed=0, background=4) == generate(10, 3, 0, 4)
