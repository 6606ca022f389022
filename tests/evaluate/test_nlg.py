"""`meow eval-nlg`: continuations, BLEU, Rep-3 and MAUVE against plain one-text-at-a-time references."""

from __future__ import annotations

import copy
import json
import sys
from collections import Counter

import numpy as np
import pytest
import torch
from reference import greedy
from tolerances import U32

from meow.cli import main
from meow.errors import MeowError
from meow.evaluate.nlg import NLGConfig, featurize, load_texts, mauve_score, run_nlg
from meow.modeling import LM

MAX_NEW = 12


ref_continue = greedy

def ref_rep3(text: str) -> float | None:
    """1 - distinct / all word trigrams, words = lowercased runs of letters/digits and single punctuation marks."""
    import re

    w = re.findall(r"\w+|[^\w\s]", text.lower())
    grams = Counter(zip(w, w[1:], w[2:]))
    total = sum(grams.values())
    return 1 - len(grams) / total if total else None


@pytest.fixture(scope="module")
def texts(tiny_bench_dir, tiny_lm) -> tuple[list[str], int]:
    """Question/answer texts whose prompt has the most common token length L; the prefix is L + 2 tokens, so the
    model (trained on answers) continues a memorised answer. One text too short to continue is appended."""
    from meow.data import load_file

    recs = load_file(tiny_bench_dir / "full.json")
    tok = tiny_lm.tokenizer
    n = [len(tok(f"Question: {r['question']}\nAnswer:", add_special_tokens=False)["input_ids"]) for r in recs]
    common = Counter(n).most_common(1)[0][0]
    chosen = [f"Question: {r['question']}\nAnswer: {r['answer']}" for r, k in zip(recs, n) if k == common][:8]
    return [*chosen, "Too short."], common + 2


def test_nlg_matches_reference(tiny_model_dir, tiny_lm, texts, tmp_path, capsys):
    import sacrebleu

    items, prefix = texts
    path = tmp_path / "texts.jsonl"
    path.write_text("".join(json.dumps({"text": t, "id": i}) + "\n" for i, t in enumerate(items)))
    out = tmp_path / "nlg"
    assert main(["eval-nlg", "--model", str(tiny_model_dir), "--texts", str(path), "--out", str(out),
                 "--prefix-tokens", str(prefix), "--max-new-tokens", str(MAX_NEW)]) == 0
    assert "BLEU" in capsys.readouterr().out
    nlg = json.loads((out / "nlg.json").read_text())
    rows = [json.loads(line) for line in (out / "generations.jsonl").read_text().splitlines()]
    tok = tiny_lm.tokenizer
    gens, refs = [], []
    for i, text in enumerate(items[:-1]):
        ids = tok(text, add_special_tokens=False)["input_ids"]
        gens.append(ref_continue(tiny_lm, tok.decode(ids[:prefix]), MAX_NEW))
        refs.append(tok.decode(ids[prefix:prefix + MAX_NEW]).strip())
        assert (rows[i]["index"], rows[i]["generation"], rows[i]["reference"]) == (i, gens[-1], refs[-1])
    assert nlg["n"] == len(items) - 1 and nlg["skipped"] == 1 and nlg["skipped_texts"][0]["index"] == len(items) - 1
    # BLEU and rep-3 of identical strings: float64 arithmetic on counts, far inside approx's rel 1e-6 (tolerances.PY)
    assert nlg["bleu"]["value"] == pytest.approx(sacrebleu.corpus_bleu(gens, [refs]).score)
    assert nlg["bleu"]["value"] > 20  # memorised answers come back
    reps = [r for r in map(ref_rep3, gens) if r is not None]
    assert nlg["rep3"]["value"] == pytest.approx(sum(reps) / len(reps)) and nlg["rep3"]["n"] == len(reps)
    assert nlg["mauve"]["value"] is None and "--mauve-featurizer" in nlg["mauve"]["reason"]
    assert json.loads((out / "config.json").read_text())["options"]["prefix_tokens"] == prefix


@torch.no_grad()
def test_mauve_features_and_score(tiny_lm, texts):
    import mauve

    items = texts[0][:-1]
    # float64 model (equality is the claim): padded batches vs one unpadded row differ by float64 reordering (~1e-14
    # on hidden states of size ~1, atol 1e-12 below); featurize stores float32 (MAUVE's input), one rounding: U32
    lm64 = LM(copy.deepcopy(tiny_lm.model).double(), tiny_lm.tokenizer, tiny_lm.fmt)
    feats64 = featurize(lm64, items, batch_size=3)  # padded batches
    for i, t in enumerate(items):
        ids = tiny_lm.tokenizer(t)["input_ids"]
        h = lm64.model(torch.tensor([ids]), output_hidden_states=True).hidden_states[-1][0, -1]
        np.testing.assert_allclose(feats64[i], h.numpy(), rtol=U32, atol=1e-12)
    feats = featurize(tiny_lm, items, batch_size=3)
    other = featurize(tiny_lm, [t[::-1] for t in items])
    expected = mauve.compute_mauve(p_features=feats, q_features=other, mauve_scaling_factor=2.0, seed=7).mauve
    assert mauve_score(feats, other, 2.0, seed=7) == expected  # the same call on the same features and seed


def test_run_nlg_mauve_with_featurizer(tiny_lm, texts):
    items, prefix = texts
    res = run_nlg(tiny_lm, items, NLGConfig(prefix_tokens=prefix, max_new_tokens=MAX_NEW), featurizer=tiny_lm,
                  progress=False)
    gens = [r["generation"] for r in res["rows"] if r["generation"].strip()]
    refs = [r["reference"] for r in res["rows"]]
    expected = mauve_score(featurize(tiny_lm, gens), featurize(tiny_lm, refs))
    assert res["nlg"]["mauve"]["value"] == expected  # the same features (same model, texts, batches) and seed
    assert res["nlg"]["mauve"]["n_model"] == len(gens)


def test_load_texts(tmp_path):
    (tmp_path / "a.txt").write_text("first line\n\n  second line \n")
    assert load_texts(tmp_path / "a.txt") == ["first line", "second line"]
    (tmp_path / "b.json").write_text(json.dumps(["x y", {"text": "z"}]))
    assert load_texts(tmp_path / "b.json") == ["x y", "z"]
    (tmp_path / "c.jsonl").write_text('{"text": "ok"}\n{"body": "no text"}\n')
    with pytest.raises(MeowError, match=r"c.jsonl: record 1: field 'text'.*got missing"):
        load_texts(tmp_path / "c.jsonl")


def test_missing_mauve_is_one_line(tiny_model_dir, tmp_path, monkeypatch, capsys):
    (tmp_path / "t.txt").write_text("some text\n")
    monkeypatch.setitem(sys.modules, "mauve", None)  # `import mauve` now raises ImportError
    assert main(["eval-nlg", "--model", str(tiny_model_dir), "--texts", str(tmp_path / "t.txt"),
                 "--out", str(tmp_path / "o"), "--mauve-featurizer", str(tiny_model_dir)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "meow eval-nlg: error: mauve-text is not installed; install the `mauve` extra: " \
                  "pip install 'meow[mauve]' (or mauve-text)"
