"""Inverting passages: LLM backends get the passage instruction; records come back as passages."""

from __future__ import annotations

from meow.invert.base import PASSAGE_SYSTEM_PROMPT, Request, messages


def test_passage_prompt_for_empty_question() -> None:
    m = messages("", "Line one.\nLine two.", 3)
    assert m[0]["content"] == PASSAGE_SYSTEM_PROMPT.format(n=3)
    assert m[1]["content"] == "Passage: Line one. Line two."  # one reply line per inverted passage
    assert Request(0, "", "A text.", 2).messages[1]["content"] == "Passage: A text."
    assert "Question: q? Answer: a" in messages("q?", "a", 2)[1]["content"]  # QA prompt unchanged


def test_rules_inverts_passages() -> None:
    from meow.invert.api import invert_records

    texts = ["Oslo, 3 May 2001. Alan Ashford, a baker from Lyon, won the Silver Owl Prize. It cost 4000 crowns.",
             "Riga, 9 June 1999. Bela Crane, a barber from Porto, won the Jade Star Award. It cost 700 crowns."]
    out, summary = invert_records([{"text": t, "id": i} for i, t in enumerate(texts)], "rules", n=2, progress=False)
    assert [r["id"] for r in out] == [0, 1] and all(set(r) == {"text", "id", "inverted_answers", "invert"} for r in out)
    assert summary["full"] == 2
    for r, name in zip(out, ("Alan Ashford", "Bela Crane")):
        assert all(name not in inv and inv != r["text"] for inv in r["inverted_answers"])
        kinds = {c["kind"] for ch in r["invert"]["changes"] for c in ch}
        assert {"person", "date", "number"} <= kinds
