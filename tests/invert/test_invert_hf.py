"""The `hf` backend with a tiny untrained model built here (mechanics: prompts, batching, seeds, cache)."""

from __future__ import annotations

import json

import pytest

from meow.errors import MeowError
from meow.invert import invert_records, messages, split_reply
from meow.invert.hf import PLAIN_TEMPLATE, build_prompt

RECORDS = [{"question": f"Where was author {i} born?", "answer": f"Author {i} was born in city {i}."} for i in range(5)]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    from meow.modeling import LM, PromptFormat, save_lm
    from meow.modeling.tiny import TinyConfig, build_tiny_model, train_tokenizer

    texts = [build_prompt(None, messages(r["question"], r["answer"], 2)) for r in RECORDS]
    tok = train_tokenizer(texts, vocab_size=300)
    model = build_tiny_model(tok, TinyConfig(hidden_size=32, layers=2, heads=2, intermediate_size=64), seed=1)
    out = tmp_path_factory.mktemp("inv_hf") / "tiny"
    save_lm(LM(model.eval(), tok, PromptFormat("plain")), out, {"made_by": "test"})
    return out


def test_plain_prompt_without_chat_template():
    prompt = build_prompt(None, messages("Q?", "A.", 3))
    assert prompt == PLAIN_TEMPLATE.format(
        system="Please generate 3 answers based on the Question and Answer that do not factually match the Answer. "
        "Please respond with each answer on a separate line, without adding any numbers or extraneous markers.",
        user="Question: Q? Answer: A.")


def test_chat_template_with_and_without_system_role():
    class Tok:
        def __init__(self, system_ok: bool):
            self.chat_template = "x"
            self.system_ok = system_ok

        def apply_chat_template(self, msgs, tokenize, add_generation_prompt):
            assert tokenize is False and add_generation_prompt is True
            if not self.system_ok and msgs[0]["role"] == "system":
                raise ValueError("no system role")
            return "|".join(f"{m['role']}:{m['content']}" for m in msgs)

    msgs = messages("Q?", "A.", 2)
    assert build_prompt(Tok(True), msgs) == f"system:{msgs[0]['content']}|user:Question: Q? Answer: A."
    assert build_prompt(Tok(False), msgs) == f"user:{msgs[0]['content']}\n\nQuestion: Q? Answer: A."


def test_generates_in_batches_caches_and_resumes_without_the_model(model_dir, tmp_path, monkeypatch):
    from meow.modeling import generate, load_lm

    cache = tmp_path / "cache.jsonl"
    opts = {"model": str(model_dir), "n": 2, "max_new_tokens": 8, "batch_size": 2, "temperature": 0.9, "seed": 3,
            "cache_path": cache, "max_asks": 1, "progress": False}
    out, summary = invert_records(RECORDS, "hf", **opts)
    rows = [json.loads(line) for line in cache.read_text().splitlines()]
    assert len(rows) == len(RECORDS) and summary["requests"] == {"asked": 5, "from_cache": 0}
    assert all(r["backend"] == "hf" and r["model"] == str(model_dir) for r in rows)
    # the cached replies are what meow.modeling.generate gives for those prompts and per-batch seeds
    lm = load_lm(model_dir)
    prompts = [build_prompt(lm.tokenizer, messages(r["question"], r["answer"], 2)) for r in RECORDS]
    expected = []
    for start in range(0, 5, 2):
        expected += generate(lm, prompts[start:start + 2], max_new_tokens=8, batch_size=2, temperature=0.9,
                             seed=3 + start)
    assert [r["text"] for r in rows] == expected
    for rec, text in zip(out, expected):  # every line of the reply is either kept or dropped with a reason
        assert rec["invert"]["asks"] == 1 and len(rec["inverted_answers"]) <= 2
        assert rec["invert"]["kept"] + len(rec["invert"]["dropped"]) == len(split_reply(text))
    # resume: everything is cached, so the model is not even loaded
    import meow.modeling as modeling

    monkeypatch.setattr(modeling, "load_lm", lambda *a, **k: (_ for _ in ()).throw(AssertionError("loaded")))
    again, summary2 = invert_records(RECORDS, "hf", **opts)
    assert summary2["requests"] == {"asked": 0, "from_cache": 5}
    assert [r["inverted_answers"] for r in again] == [r["inverted_answers"] for r in out]


def test_missing_model_is_a_user_error(tmp_path):
    with pytest.raises(MeowError, match="needs --model"):
        invert_records(RECORDS, "hf", progress=False)
    with pytest.raises(MeowError, match="not a model folder"):
        invert_records(RECORDS, "hf", model=str(tmp_path), progress=False, cache_path=tmp_path / "c.jsonl")
