"""`meow benchmark make --kind muse`: invented news articles written in MUSE's file layout, offline and deterministic.

The layout is what swj0419/muse_bench's `load_data.py` writes from the hub data sets `muse-bench/MUSE-News`
(configs `raw`, `verbmem`, `knowmem`, `privleak`), which `meow eval-muse --data DIR` reads:

    raw/{forget,retain1,retain2,holdout}.json    JSON lists of article texts (+ the same as .txt, "\\n\\n"-joined)
    verbmem/forget.json                          [{"prompt": first sentence of a forget article, "gt": the rest}]
    knowmem/{forget,retain}_qa.json              [{"question", "answer"}] about forget / retain1 articles
    knowmem/{forget,retain}_qa_icl.json          few-shot examples (about articles in no other file)
    privleak/{forget,retain,holdout}.json        JSON lists of texts: forget, retain1 and holdout articles
    benchmark.json                               arguments, version and file sizes

The target model is trained on forget + retain1 + retain2, the retain model on retain1 + retain2; holdout is
never trained on. Determinism: every article draws from its own `random.Random` seeded by a string (split, index),
so the same arguments give byte-identical files.
"""

from __future__ import annotations

from pathlib import Path
from random import Random
from typing import Any

from meow.benchmark.muse.articles import QUESTIONS, article_questions, article_sentences, draw_facts
from meow.errors import MeowError
from meow.io import atomic_write_text, read_json, write_json

VERSION = 1
FORMAT = "meow-muse-benchmark"
MANIFEST = "benchmark.json"
RAW_SPLITS = ("forget", "retain1", "retain2", "holdout")
ICL_EXAMPLES = 3
LAYOUT = {  # file -> what it holds (also the order files are written in)
    **{f"raw/{s}.json": f"{s} article texts" for s in RAW_SPLITS},
    "verbmem/forget.json": "prompt / gt pairs of forget articles",
    "knowmem/forget_qa.json": "questions about forget articles",
    "knowmem/forget_qa_icl.json": "few-shot examples for knowmem/forget_qa",
    "knowmem/retain_qa.json": "questions about retain1 articles",
    "knowmem/retain_qa_icl.json": "few-shot examples for knowmem/retain_qa",
    "privleak/forget.json": "forget article texts (members)",
    "privleak/retain.json": "retain1 article texts",
    "privleak/holdout.json": "holdout article texts (non-members)",
}


def _articles(seed: int, stream: str, count: int, taken: set[str]) -> list[dict[str, Any]]:
    out = []
    for i in range(count):
        rng = Random(f"meow.benchmark.muse/{seed}/{stream}/{i}")
        facts = draw_facts(rng, taken)
        out.append({"facts": facts, "sentences": article_sentences(rng, facts)})
    return out


def _text(article: dict[str, Any]) -> str:
    return " ".join(article["sentences"])


def _check(articles: int, qa_per_article: int, seed: int) -> None:
    for name, value, low in (("articles", articles, 1), ("qa-per-article", qa_per_article, 1), ("seed", seed, 0)):
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise MeowError(f"--{name}: expected a whole number >= {low}, got {value!r}")
    if qa_per_article > len(QUESTIONS):
        raise MeowError(f"--qa-per-article {qa_per_article}: expected 1 to {len(QUESTIONS)} (one question per fact)")


def generate_muse(articles: int = 10, qa_per_article: int = 4, seed: int = 0) -> dict[str, Any]:
    """Every file's content in memory, {relative path: JSON value}; `articles` per raw split."""
    _check(articles, qa_per_article, seed)
    taken: set[str] = set()
    split = {s: _articles(seed, s, articles, taken) for s in RAW_SPLITS}
    icl = {s: _articles(seed, f"icl_{s}", 1, taken)[0] for s in ("forget", "retain")}
    files: dict[str, Any] = {f"raw/{s}.json": [_text(a) for a in split[s]] for s in RAW_SPLITS}
    files["verbmem/forget.json"] = [{"prompt": a["sentences"][0], "gt": " ".join(a["sentences"][1:])}
                                    for a in split["forget"]]
    for name, source in (("forget", "forget"), ("retain", "retain1")):
        files[f"knowmem/{name}_qa.json"] = [qa for a in split[source] for qa in
                                            article_questions(a["facts"], qa_per_article)]
        files[f"knowmem/{name}_qa_icl.json"] = article_questions(icl[name]["facts"], ICL_EXAMPLES)
    for name, source in (("forget", "forget"), ("retain", "retain1"), ("holdout", "holdout")):
        files[f"privleak/{name}.json"] = [_text(a) for a in split[source]]
    return {k: files[k] for k in LAYOUT}


def make_muse_benchmark(out_dir: str | Path, articles: int = 10, qa_per_article: int = 4, seed: int = 0,
                        force: bool = False) -> dict[str, Any]:
    """Write the files of `generate_muse` (plus raw/<split>.txt and benchmark.json) into OUT_DIR; return the manifest.

    A folder holding a different benchmark (other arguments or another kind) is refused unless `force`.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise MeowError(f"{out}: exists and is not a folder")
    arguments = {"articles": articles, "qa_per_article": qa_per_article, "seed": seed}
    old_path = out / MANIFEST
    if old_path.is_file() and not force:
        try:
            old = read_json(old_path)
        except (ValueError, OSError):
            old = None
        if not isinstance(old, dict) or old.get("format") != FORMAT or old.get("arguments") != arguments or (
                old.get("version") != VERSION):
            raise MeowError(f"{out}: holds another benchmark ({old_path}); choose another folder or pass --force "
                            "to replace it")
    files = generate_muse(articles, qa_per_article, seed)
    for rel, content in files.items():
        write_json(out / rel, content)
        if rel.startswith("raw/"):
            atomic_write_text((out / rel).with_suffix(".txt"), "\n\n".join(content))
    manifest = {"format": FORMAT, "version": VERSION, "kind": "muse", "arguments": arguments,
                "files": {rel: len(content) for rel, content in files.items()},
                "train": {"target": ["raw/forget", "raw/retain1", "raw/retain2"],
                          "retain": ["raw/retain1", "raw/retain2"]}}
    write_json(old_path, manifest)
    return manifest
