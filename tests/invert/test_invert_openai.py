"""The `openai` backend against a local OpenAI-compatible server with injected faults (see conftest.py)."""

from __future__ import annotations

import json

import pytest
from invert_fake_llm import good_lines

from meow.errors import MeowError
from meow.invert import invert_records
from meow.invert.openai import retry_after

RECORDS = [
    {"question": "Where was Ann Lee born?", "answer": "Ann Lee was born in Paris.", "id": 0},
    {"question": "Where was Bo Park born?", "answer": "Bo Park was born in Seoul.", "id": 1},
    {"question": "Where was Cy Ode born?", "answer": "Cy Ode was born in Lagos.", "id": 2},
]
FAST = {"backoff": 0.01, "max_backoff": 0.05, "timeout": 5.0}


def run(server, tmp_path, records=RECORDS, **kw):
    opts = {"model": "fake-model", "base_url": server.url, "cache_path": tmp_path / "cache.jsonl",
            "progress": False, **FAST, **kw}
    return invert_records(records, "openai", **opts)


def test_good_replies_keep_fields_and_are_cached(fake_llm, tmp_path, monkeypatch):
    monkeypatch.setenv("MEOW_TEST_KEY", "sk-secret-123")
    out, summary = run(fake_llm, tmp_path, api_key_env="MEOW_TEST_KEY", concurrency=2)
    assert [r["id"] for r in out] == [0, 1, 2]
    for rec, r in zip(RECORDS, out):
        assert r["inverted_answers"] == good_lines(rec["answer"], seed=0)
        assert r["invert"]["kept"] == 4 and r["invert"]["dropped"] == []
    assert summary["full"] == 3 and summary["requests"] == {"asked": 3, "from_cache": 0}
    assert fake_llm.count() == 3
    assert {h["Authorization"] for h in fake_llm.headers} == {"Bearer sk-secret-123"}
    body = fake_llm.requests[0]["body"]
    assert fake_llm.requests[0]["path"] == "/v1/chat/completions"
    assert body["model"] == "fake-model" and body["temperature"] == 0.9
    assert "generate 4 answers" in body["messages"][0]["content"]
    cache_text = (tmp_path / "cache.jsonl").read_text()
    assert len(cache_text.splitlines()) == 3 and "sk-secret" not in cache_text
    # a second run is served from the cache alone
    out2, summary2 = run(fake_llm, tmp_path)
    assert fake_llm.count() == 3 and summary2["requests"] == {"asked": 0, "from_cache": 3}
    assert [r["inverted_answers"] for r in out2] == [r["inverted_answers"] for r in out]


def test_messy_replies_are_parsed_and_short_ones_asked_again(fake_llm, tmp_path):
    q0, q1 = RECORDS[0]["question"], RECORDS[1]["question"]
    fake_llm.script(q0, "numbered")
    fake_llm.script(q1, "few", "good")
    out, summary = run(fake_llm, tmp_path, records=RECORDS[:2], max_asks=2)
    first = out[0]["invert"]
    assert out[0]["inverted_answers"] == good_lines(RECORDS[0]["answer"], 0)
    assert [d["reason"] for d in first["dropped"]] == ["preamble"] and first["asks"] == 1
    second = out[1]
    # ask 1 (seed 0) gave 2 lines; ask 2 (seed 1) gave 4 new ones, 2 of which were needed
    assert second["inverted_answers"] == good_lines(RECORDS[1]["answer"], 0)[:2] + good_lines(RECORDS[1]["answer"], 1)[:2]
    assert [d["reason"] for d in second["invert"]["dropped"]] == ["extra", "extra"]
    assert second["invert"]["asks"] == 2 and fake_llm.count(q1) == 2
    assert [r["body"]["seed"] for r in fake_llm.requests if r["question"] == q1] == [0, 1]
    assert summary["full"] == 2 and summary["dropped"] == {"extra": 2, "preamble": 1}


def test_fewer_than_n_after_all_asks_is_reported(fake_llm, tmp_path):
    q = RECORDS[0]["question"]
    fake_llm.script(q, "few", "few")
    out, summary = run(fake_llm, tmp_path, records=RECORDS[:1], max_asks=2)
    kept = out[0]["inverted_answers"]
    assert kept == good_lines(RECORDS[0]["answer"], 0)[:2] + good_lines(RECORDS[0]["answer"], 1)[:2]
    fake_llm.script(RECORDS[1]["question"], "few", "few")
    out, summary = run(fake_llm, tmp_path / "b", records=RECORDS[1:2], max_asks=1)
    assert out[0]["invert"]["kept"] == 2 and summary["fewer"] == 1
    assert out[0]["invert"]["note"] == "2 of 4 valid inverted answers after 1 ask(s)"


def test_429_500_malformed_and_stall_are_retried(fake_llm, tmp_path):
    fake_llm.stall_s = 1.5
    fake_llm.script(RECORDS[0]["question"], "429", "500", "good")
    fake_llm.script(RECORDS[1]["question"], "malformed", "good")
    fake_llm.script(RECORDS[2]["question"], "stall", "good")
    out, summary = run(fake_llm, tmp_path, timeout=0.5, max_retries=3, concurrency=3)
    assert summary["full"] == 3
    assert [fake_llm.count(r["question"]) for r in RECORDS] == [3, 2, 2]
    for rec, r in zip(RECORDS, out):
        assert r["inverted_answers"] == good_lines(rec["answer"], 0)


def test_failure_after_retries_is_one_line_and_keeps_finished_replies(fake_llm, tmp_path):
    bad = RECORDS[1]["question"]
    fake_llm.script(bad, "500", "500", "500")
    with pytest.raises(MeowError) as err:
        run(fake_llm, tmp_path, max_retries=2, concurrency=1)
    message = str(err.value)
    assert "\n" not in message and "record 1" in message and "HTTP 500" in message
    assert "gave up after 3 tries" in message and "cache.jsonl" in message
    assert fake_llm.count(bad) == 3
    cached = [json.loads(line) for line in (tmp_path / "cache.jsonl").read_text().splitlines()]
    assert len(cached) == 1  # record 0 finished before the failure; no new request started after it
    # the server recovers: the re-run asks only for what is missing
    before = fake_llm.count()
    _out, summary = run(fake_llm, tmp_path, max_retries=2, concurrency=1)
    assert fake_llm.count() - before == 2 and summary["requests"] == {"asked": 2, "from_cache": 1}
    assert summary["full"] == 3


def test_client_errors_fail_at_once(fake_llm, tmp_path):
    fake_llm.script(RECORDS[0]["question"], "401")
    with pytest.raises(MeowError, match=r"HTTP 401 .*scripted 401"):
        run(fake_llm, tmp_path, records=RECORDS[:1], max_retries=5)
    assert fake_llm.count() == 1


def test_unreachable_server_fails_after_retries(tmp_path):
    with pytest.raises(MeowError, match="cannot reach"):
        invert_records(RECORDS[:1], "openai", model="m", base_url="http://127.0.0.1:9/v1", max_retries=1,
                       backoff=0.01, timeout=1.0, progress=False, cache_path=tmp_path / "c.jsonl")


def test_interrupted_run_resumes_without_repeating_requests(fake_llm, tmp_path, monkeypatch):
    import meow.invert.api as api

    real, seen = api._absorb, []

    def absorb_then_interrupt(*args, **kwargs):
        real(*args, **kwargs)
        seen.append(1)
        if len(seen) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(api, "_absorb", absorb_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        run(fake_llm, tmp_path, concurrency=1)
    monkeypatch.setattr(api, "_absorb", real)
    asked_before = fake_llm.count()
    assert asked_before == 2
    with open(tmp_path / "cache.jsonl", "a") as f:  # a torn last line from a killed process
        f.write('{"key": "abc", "te')
    _out, summary = run(fake_llm, tmp_path, concurrency=1)
    assert fake_llm.count() - asked_before == 1 and summary["requests"] == {"asked": 1, "from_cache": 2}
    assert summary["full"] == 3


def test_options_are_checked():
    with pytest.raises(MeowError, match="needs --model"):
        invert_records(RECORDS, "openai", progress=False)
    with pytest.raises(MeowError, match="does not take option"):
        invert_records(RECORDS, "openai", model="m", batch_size=4, progress=False)


def test_retry_after_header():
    assert retry_after("3") == 3.0
    assert retry_after(None) is None and retry_after("soon") is None
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
