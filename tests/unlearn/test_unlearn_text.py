"""Unlearning from raw text: corpus detection, chunking, rows, and GA / NPO / MEOW runs on passages, then the
text pipeline end to end (invert -> MEMO -> unlearn -> eval-muse) on the MUSE-format mini benchmark."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meow.cli import main
from meow.data import load_records
from meow.errors import MeowError


def test_text_corpus_detection(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps(["one passage.", "two passage."]))
    (tmp_path / "b.jsonl").write_text('{"text": "x y", "id": 3}\n{"text": "z"}\n')
    (tmp_path / "c.txt").write_text("first para\nstill first\n\n\nsecond\n")
    (tmp_path / "qa.json").write_text(json.dumps([{"question": "q?", "answer": "a"}]))
    (tmp_path / "bad.json").write_text(json.dumps([{"title": "t"}]))
    assert load_records(tmp_path / "a.json", text=True) == [{"text": "one passage."}, {"text": "two passage."}]
    assert load_records(tmp_path / "b.jsonl", text=True) == [{"text": "x y", "id": 3}, {"text": "z"}]
    assert load_records(tmp_path / "c.txt", text=True) == [{"text": "first para\nstill first"}, {"text": "second"}]
    assert load_records(tmp_path / "qa.json", text=True)[0]["answer"] == "a"
    for name in ("a.json", "c.txt"):  # QA-only stages refuse passages with one line
        with pytest.raises(MeowError, match="text corpus"):
            load_records(tmp_path / name)
    with pytest.raises(MeowError, match=r"record 0: expected an object with 'question' and 'answer' .* or a passage"):
        load_records(tmp_path / "bad.json", text=True)


def test_chunks_cover_every_token(tiny_muse_model_dir: Path) -> None:
    from meow.data.text import encode_passage
    from meow.modeling import load_lm

    tok = load_lm(tiny_muse_model_dir).tokenizer
    text = json.loads((tiny_muse_model_dir.parent / "train.json").read_text())[0]
    body = tok(text, add_special_tokens=False)["input_ids"]
    rows = encode_passage(tok, text, 16)
    assert all(r["input_ids"][0] == tok.bos_token_id and len(r["input_ids"]) <= 16 for r in rows)
    assert [t for r in rows for t in r["input_ids"][1:]] == body  # consecutive chunks, nothing dropped
    assert all(r["labels"] == r["input_ids"] for r in rows)  # loss on every token
    assert len(rows) == -(-len(body) // 15)
    with pytest.raises(MeowError, match="--max-length 1"):
        encode_passage(tok, text, 1)


def _passage_nll(model_dir: Path, texts: list[str]) -> float:
    from meow.evaluate.muse.evaluator import text_logprobs
    from meow.modeling import load_lm

    lps = text_logprobs(load_lm(model_dir), texts, 8)
    return -sum(sum(x) for x in lps) / sum(len(x) for x in lps)


def test_text_pipeline_end_to_end(tiny_muse_dir: Path, tiny_muse_model_dir: Path, tmp_path: Path) -> None:
    forget = tiny_muse_dir / "raw" / "forget.json"
    retain = tiny_muse_dir / "raw" / "retain1.txt"
    texts = json.loads(forget.read_text())
    before = _passage_nll(tiny_muse_model_dir, texts)
    common = ["--model", str(tiny_muse_model_dir), "--retain", str(retain), "--max-length", "48", "--batch-size", "4",
              "--grad-accum", "1", "--warmup-epochs", "0", "--lr", "3e-3"]
    assert main(["unlearn", "--forget", str(forget), "--method", "ga", "--epochs", "2", "--out", str(tmp_path / "ga"),
                 *common]) == 0
    assert _passage_nll(tmp_path / "ga", texts) > before + 0.5  # gradient ascent on passages raises their loss
    assert main(["unlearn", "--forget", str(forget), "--method", "npo_gd", "--max-steps", "2",
                 "--out", str(tmp_path / "npo"), *common]) == 0
    s = json.loads((tmp_path / "npo" / "unlearn_summary.json").read_text())
    assert s["steps"] == 2 and s["rows"] >= len(texts)

    # MEOW on text: invert every passage (rules), MEMO over passages, fine-tune on the selected inverted passages
    inv, memo = tmp_path / "inv.json", tmp_path / "memo.json"
    assert main(["invert", "--forget", str(forget), "--out", str(inv), "--backend", "rules", "--n", "3"]) == 0
    rows = json.loads(inv.read_text())
    assert all(len(r["inverted_answers"]) == 3 and r["text"] not in r["inverted_answers"] for r in rows)
    changes = {c["kind"] for r in rows for ch in r["invert"]["changes"] for c in ch}
    assert {"person", "date", "number"} <= changes  # names, dates and numbers swapped
    assert main(["memo", "--model", str(tiny_muse_model_dir), "--forget", str(inv), "--out", str(memo),
                 "--stride", "60", "--max-new-tokens", "16"]) == 0
    scored = json.loads(memo.read_text())
    assert all(r["memo"]["mode"] == "prefix" and len(r["memo"]["inverted_answers"]) == 3 for r in scored)
    assert sum(r["memo"]["answer"] for r in scored) > sum(max(r["memo"]["inverted_answers"]) for r in scored)
    assert main(["unlearn", "--forget", str(memo), "--method", "meow", "--top-k", "2", "--epochs", "3",
                 "--out", str(tmp_path / "meow"), *common]) == 0
    selected = [json.loads(x) for x in (tmp_path / "meow" / "selected.jsonl").read_text().splitlines()]
    assert [len(x["selected"]) for x in selected] == [2] * len(texts)
    for name in ("target", "meow"):
        model = tiny_muse_model_dir if name == "target" else tmp_path / "meow"
        assert main(["eval-muse", "--model", str(model), "--data", str(tiny_muse_dir), "--out",
                     str(tmp_path / f"ev_{name}"), "--metrics", "verbmem_forget,privleak"]) == 0
    target, meow = (json.loads((tmp_path / f"ev_{n}" / "summary.json").read_text()) for n in ("target", "meow"))
    assert meow["verbmem_forget"]["value"] < target["verbmem_forget"]["value"]


@pytest.mark.parametrize("method, extra", [
    ("rmu", ["--layer", r"model\.layers\.1", "--trainable", r"model\.layers\.(0|1)\.mlp\.down_proj\.weight",
             "--steering-coeff", "20", "--retain-weight", "1", "--epochs", "6"]),
    ("wga", []), ("undial", []), ("simnpo", [])])
def test_open_unlearning_methods_on_passages(method: str, extra: list[str], tiny_muse_dir: Path,
                                             tiny_muse_model_dir: Path, tmp_path: Path) -> None:
    """RMU and the newer losses take passage corpora too (every token labelled): forget passages' loss rises."""
    forget, retain = tiny_muse_dir / "raw" / "forget.json", tiny_muse_dir / "raw" / "retain1.txt"
    texts = json.loads(forget.read_text())
    before = _passage_nll(tiny_muse_model_dir, texts)
    assert main(["unlearn", "--model", str(tiny_muse_model_dir), "--forget", str(forget), "--retain", str(retain),
                 "--method", method, "--max-length", "48", "--batch-size", "4", "--grad-accum", "1",
                 "--warmup-epochs", "0", "--lr", "3e-3", "--epochs", "2", "--out", str(tmp_path / method),
                 *extra]) == 0
    after = _passage_nll(tmp_path / method, texts)
    print(f"{method}: passage NLL {before:.3f} -> {after:.3f}")
    assert after > before + 0.05


def test_idk_needs_qa(tiny_muse_dir: Path, tiny_muse_model_dir: Path, tmp_path: Path,
                      capsys: pytest.CaptureFixture) -> None:
    assert main(["unlearn", "--model", str(tiny_muse_model_dir), "--forget", str(tiny_muse_dir / "raw/forget.json"),
                 "--method", "idk", "--out", str(tmp_path / "o")]) == 2
    assert "needs QA records" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["llama2", "llama3", "qwen3", "gemma3"])
def test_chunks_with_real_tokenizers(name: str) -> None:
    """Every chunk starts with exactly what the tokenizer puts before a text (BOS for Llama-2 and Gemma-3, nothing
    for Qwen3 and, in this fixture, Llama-3), as MUSE's `tokenizer.encode(text)` does."""
    from transformers import AutoTokenizer

    from meow.data.text import chunk_ids, special_prefix
    from tests.conftest import real_tokenizer_dir

    tok = AutoTokenizer.from_pretrained(real_tokenizer_dir(name))
    prefix = special_prefix(tok)
    text = "Oslo, 3 May 2001. Alan Ashford, a baker from Lyon, won the Silver Owl Prize. " * 4
    full = tok(text, add_special_tokens=True)["input_ids"]
    assert full[:len(prefix)] == prefix and full[len(prefix):] == tok(text, add_special_tokens=False)["input_ids"]
    if name in ("llama2", "gemma3"):
        assert prefix == [tok.bos_token_id]
    chunks = chunk_ids(tok, text, 12)
    assert all(len(c) <= 12 and c[:len(prefix)] == prefix for c in chunks)
    assert [t for c in chunks for t in c[len(prefix):]] == tok(text, add_special_tokens=False)["input_ids"]
