"""The `openai` backend against a local OpenAI-compatible server with injected faults (see conftest.py)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

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
    # the stall (60 s) outlasts the client's timeout (5 s) on any machine; a good reply on loopback needs
    # milliseconds, so 5 s does not time out a good request even on a heavily loaded machine
    fake_llm.stall_s = 60
    fake_llm.script(RECORDS[0]["question"], "429", "500", "good")
    fake_llm.script(RECORDS[1]["question"], "malformed", "good")
    fake_llm.script(RECORDS[2]["question"], "stall", "good")
    out, summary = run(fake_llm, tmp_path, timeout=5.0, max_retries=3, concurrency=3)
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


# ---------------------------------------------------------------- deadlines, Ctrl-C, torn cache, leaked keys

def test_timeout_bounds_the_whole_request_of_a_dripping_server(fake_llm, tmp_path):
    """A server that sends a byte every 0.2 s never trips a per-read timeout; the whole-request deadline does."""
    fake_llm.script(RECORDS[0]["question"], "drip")
    start = time.monotonic()
    with pytest.raises(MeowError, match=r"record 0: no complete reply .* within 2 s"):
        run(fake_llm, tmp_path, records=RECORDS[:1], timeout=2.0, max_retries=0)
    # Order of events, not seconds: the deadline cannot fire early (> 1.9 s), and the error came before the drip
    # could have finished (its payload's bytes x 0.2 s each, > 20 s: where a run without the whole-request deadline
    # would end), which leaves a loaded machine over 18 s of scheduling delay.
    text = "\n".join(good_lines(RECORDS[0]["answer"], 0))
    full = len(json.dumps({"choices": [{"message": {"role": "assistant", "content": text}}]})) * fake_llm.drip_s
    assert full > 20 and 1.9 < time.monotonic() - start < full


def test_a_reply_that_arrives_slowly_but_in_time_is_read(fake_llm, tmp_path):
    fake_llm.drip_s = 0.001
    fake_llm.script(RECORDS[0]["question"], "drip")
    out, _ = run(fake_llm, tmp_path, records=RECORDS[:1], timeout=10.0, max_retries=0)
    assert out[0]["inverted_answers"] == good_lines(RECORDS[0]["answer"], 0)


INTERRUPTED = """
import signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)  # as an interactive shell's foreground job has it
sys.path.insert(0, {src!r})
from meow.cli import main
raise SystemExit(main(["invert", "--forget", {data!r}, "--out", {out!r}, "--backend", "openai", "--model", "m",
                       "--base-url", {url!r}, "--concurrency", "3", "--timeout", "600", "--no-progress"]))
"""


@pytest.mark.parametrize("inherited", [signal.SIG_DFL, signal.SIG_IGN], ids=["sigint-default", "sigint-ignored"])
def test_ctrl_c_ends_at_once_and_keeps_every_reply_received(fake_llm, tmp_path, inherited):
    """Two replies come back, the third request hangs; SIGINT ends the run at once, both replies cached.

    "At once" as an order of events, not seconds: the hung request would end only after 600 s (the server's stall
    and the client's --timeout), so a run that waited for it could not end within the 60 s allowed here; a run that
    ends at once takes well under a second idle, and 60 s leaves a heavily loaded machine a wide margin.

    `inherited`: a suite started as a background job of a non-interactive shell (`pytest &` in a script) runs with
    SIGINT ignored (POSIX), every child inherits that, and Python then installs no KeyboardInterrupt handler: the
    child ignored the SIGINT and waited for the hung request (the failure of issue 19). The child script restores
    the foreground disposition, so the test means the same however the suite was started."""
    data = tmp_path / "in.json"
    data.write_text(json.dumps(RECORDS))
    out, cache = tmp_path / "inv.json", tmp_path / "inv.cache.jsonl"
    fake_llm.stall_s = 600
    fake_llm.script(RECORDS[2]["question"], "stall")
    src = str(Path(__file__).resolve().parents[2] / "src")
    proc = subprocess.Popen([sys.executable, "-c", INTERRUPTED.format(src=src, data=str(data), out=str(out),
                                                                    url=fake_llm.url)],
                            stderr=subprocess.PIPE, text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, inherited))
    try:
        deadline = time.monotonic() + 300  # a guard against a hang only: the loop ends when the 3 requests are in
        while time.monotonic() < deadline and not (cache.is_file() and len(cache.read_text().splitlines()) >= 2
                                                   and fake_llm.count() >= 3):
            time.sleep(0.05)
        assert fake_llm.count() == 3, "the three requests did not start"
        proc.send_signal(signal.SIGINT)  # one Ctrl-C
        proc.wait(timeout=60)  # raises if the run waits for the hung request (600 s)
    finally:
        proc.kill()
    assert proc.returncode == 130 and "interrupted" in proc.stderr.read()
    assert not out.exists()
    rows = [json.loads(line) for line in cache.read_text().splitlines()]
    assert len(rows) == 2
    # the re-run asks only for the record whose reply never came
    before = fake_llm.count()
    _out, summary = invert_records(RECORDS, "openai", model="m", base_url=fake_llm.url, cache_path=cache,
                                   progress=False, **FAST)
    assert fake_llm.count() - before == 1 and summary["requests"] == {"asked": 1, "from_cache": 2}


def test_torn_last_cache_line_is_cut_so_the_next_reply_is_readable(tmp_path):
    from meow.invert.cache import ReplyCache

    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"key": "a", "text": "first"}) + "\n" + '{"key": "b", "te')
    cache = ReplyCache(path)
    assert path.read_text().endswith("}\n") and cache.get("a") == "first" and "b" not in cache
    cache.put("c", "third")
    again = ReplyCache(path)
    assert (again.get("a"), again.get("c")) == ("first", "third") and len(again) == 2
    # a whole last object that only lacks its newline is kept (and given one)
    path.write_text(json.dumps({"key": "d", "text": "kept"}))
    assert ReplyCache(path).get("d") == "kept" and path.read_text().endswith("\n")


def test_a_server_that_echoes_the_key_is_redacted(fake_llm, tmp_path, monkeypatch, capsys):
    from meow.cli import main

    monkeypatch.setenv("MEOW_TEST_KEY", "sk-very-secret-4242")
    fake_llm.script(RECORDS[0]["question"], "echo401")
    with pytest.raises(MeowError) as err:
        run(fake_llm, tmp_path, records=RECORDS[:1], api_key_env="MEOW_TEST_KEY")
    assert "HTTP 401" in str(err.value) and "sk-very-secret" not in str(err.value) and "***" in str(err.value)
    data = tmp_path / "in.json"
    data.write_text(json.dumps(RECORDS[:1]))
    fake_llm.script(RECORDS[0]["question"], "echo401")
    assert main(["invert", "--forget", str(data), "--out", str(tmp_path / "o.json"), "--backend", "openai",
                 "--model", "m", "--base-url", fake_llm.url, "--api-key-env", "MEOW_TEST_KEY", "--no-progress"]) == 2
    captured = capsys.readouterr()
    assert "sk-very-secret" not in captured.err + captured.out
    for p in tmp_path.rglob("*"):
        assert not p.is_file() or "sk-very-secret" not in p.read_text(errors="replace")


@pytest.mark.parametrize("value", ["sk-abc123def456ghi789", "sk_live_abcdef", "abcDEF1234567890abcdef12345678",
                                   "not a name"])
def test_api_key_env_given_a_key_is_refused_without_echoing_it(value):
    from meow.invert.openai import looks_like_key

    assert not any(looks_like_key(n) for n in ("OPENAI_API_KEY", "my_project_openai_api_key", "VLLM_KEY_2",
                                                "TOGETHER_API_KEY_FOR_THE_BIG_EVALUATION_RUN"))
    with pytest.raises(MeowError, match="NAME of an environment variable") as err:
        invert_records(RECORDS, "openai", model="m", api_key_env=value, progress=False)
    assert value not in str(err.value)


def test_base_url_must_be_a_url():
    with pytest.raises(MeowError, match="--base-url 'notaurl': expected an http"):
        invert_records(RECORDS, "openai", model="m", base_url="notaurl", progress=False)


def test_http_proxy_of_the_environment_is_used(fake_llm, tmp_path, monkeypatch):
    """As urllib did: HTTP_PROXY carries the request (here the fake server plays the proxy for an unknown host)."""
    for name in ("no_proxy", "NO_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", fake_llm.url.removesuffix("/v1"))
    out, _ = invert_records(RECORDS[:1], "openai", model="m", base_url="http://llm.example.invalid/v1",
                            cache_path=tmp_path / "c.jsonl", progress=False, **FAST)
    assert out[0]["inverted_answers"] == good_lines(RECORDS[0]["answer"], 0)
    assert fake_llm.requests[0]["path"] == "http://llm.example.invalid/v1/chat/completions"
