"""Local fixtures for the unlearning tests: forget/retain files built from the shared tiny benchmark."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from meow.data import load_records
from meow.io import write_records


@pytest.fixture(scope="session")
def unlearn_files(tiny_bench_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """forget.json: the forget split with 4 inverted answers (its perturbed answers) and MEMO scores each;
    forget_plain.json: the same without MEMO; retain.json: 16 retain records."""
    d = tmp_path_factory.mktemp("unlearn_data")
    forget = load_records(tiny_bench_dir / "forget10_perturbed.json")
    rng = random.Random(0)
    for r in forget:
        r["inverted_answers"] = r["perturbed_answer"][:4]
        r["memo"] = {"answer": 0.9, "inverted_answers": [round(rng.random(), 3) for _ in range(4)]}
    write_records(d / "forget.json", forget)
    write_records(d / "forget_plain.json", [{k: v for k, v in r.items() if k != "memo"} for r in forget])
    write_records(d / "retain.json", load_records(tiny_bench_dir / "retain90.json")[:16])
    return {"forget": d / "forget.json", "forget_plain": d / "forget_plain.json", "retain": d / "retain.json",
            "dir": d}
