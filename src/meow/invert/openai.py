"""`openai` inverter: any OpenAI-compatible chat endpoint (vLLM, llama.cpp server, Ollama, hosted APIs).

POST `{base_url}/chat/completions` with the METHOD.md instruction, at most `concurrency` requests at a time.
429, 408, 5xx, connection errors, timeouts and unreadable bodies are retried up to `max_retries` times,
waiting `backoff * 2**k + uniform(0, backoff)` seconds (capped at `max_backoff`), or the server's
`Retry-After` when it sends one. Other HTTP errors (400, 401, 404 ...) fail at once. After the first
failure no new request starts; replies already received are still handed back (and so cached).

The API key is read from the environment variable named by `api_key_env` and only ever sent in the
Authorization header: it is not part of the options saved, the cache or any message.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import os
import random
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, ClassVar

from meow import __version__
from meow.errors import MeowError
from meow.invert.base import INVERTERS, Reply, Request

RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


class RequestFailed(Exception):
    """One request could not be completed; `retry` says whether trying again may help."""

    def __init__(self, message: str, retry: bool, wait: float | None = None):
        super().__init__(message)
        self.retry = retry
        self.wait = wait


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (a number of seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def reply_text(body: bytes) -> str:
    """`choices[0].message.content` of a chat completion body."""
    try:
        data = json.loads(body.decode("utf-8"))
        content = data["choices"][0]["message"]["content"]
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, IndexError, TypeError) as e:
        raise RequestFailed(f"unreadable reply ({type(e).__name__}: {str(e)[:80]})", retry=True) from None
    if not isinstance(content, str):
        raise RequestFailed("reply has no message content", retry=True)
    return content


def _error_detail(body: bytes) -> str:
    try:
        err = json.loads(body.decode("utf-8")).get("error")
        msg = err.get("message") if isinstance(err, dict) else err
        return f": {str(msg)[:160]}" if msg else ""
    except Exception:
        return ""


@INVERTERS.register("openai")
@dataclass
class OpenAIInverter:
    """Chat completions from an OpenAI-compatible server (module docstring)."""

    name: ClassVar[str] = "openai"
    cacheable: ClassVar[bool] = True
    model: str | None = None
    base_url: str = "https://api.openai.com/v1"
    api_key_env: str = "OPENAI_API_KEY"
    temperature: float = 0.9
    max_tokens: int = 512
    concurrency: int = 8
    timeout: float = 60.0
    max_retries: int = 5
    backoff: float = 1.0
    max_backoff: float = 60.0
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.model:
            raise MeowError("the openai backend needs --model (the model name the server serves)")
        if self.concurrency < 1 or self.max_retries < 0 or self.timeout <= 0:
            raise MeowError("--concurrency must be >= 1, --max-retries >= 0 and --timeout > 0")
        self.url = self.base_url.rstrip("/") + "/chat/completions"
        self._stop = threading.Event()

    def identity(self) -> dict[str, Any]:
        return {"model": self.model, "temperature": self.temperature, "max_tokens": self.max_tokens, "seed": self.seed}

    def prepare(self, records: list[dict]) -> None:
        pass

    def run(self, requests: list[Request]) -> Iterator[tuple[Request, Reply]]:
        """Replies as they complete; after a request fails for good, the others in flight finish, then MeowError."""
        if not requests:
            return
        key = os.environ.get(self.api_key_env) or None
        self._stop.clear()
        pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="meow-openai")
        queue = list(reversed(requests))
        running: dict[Future, Request] = {}
        failure: str | None = None
        try:
            while queue or running:
                while queue and failure is None and len(running) < self.concurrency:
                    req = queue.pop()
                    running[pool.submit(self.ask, req, key)] = req
                if not running:
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for fut in done:
                    req = running.pop(fut)
                    try:
                        text = fut.result()
                    except RequestFailed as e:
                        if failure is None:
                            failure = f"record {req.index}: {e}"
                            self._stop.set()
                        continue
                    yield req, Reply(text=text)
        finally:
            self._stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
        if failure is not None:
            raise MeowError(f"openai backend: {failure}")

    def ask(self, req: Request, key: str | None) -> str:
        """One chat completion, with retries and backoff."""
        body = json.dumps({"model": self.model, "messages": req.messages, "temperature": self.temperature,
                           "max_tokens": self.max_tokens, "seed": self.seed + req.attempt}).encode("utf-8")
        headers = {"Content-Type": "application/json", "User-Agent": f"meow/{__version__}"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        for attempt in range(self.max_retries + 1):
            try:
                return self._post(body, headers)
            except RequestFailed as e:
                if not e.retry:
                    raise
                if attempt == self.max_retries:
                    raise RequestFailed(f"{e} (gave up after {attempt + 1} tries)", retry=False) from None
                delay = min(self.max_backoff, self.backoff * 2**attempt + random.uniform(0, self.backoff))
                if e.wait is not None:
                    delay = min(self.max_backoff, e.wait)
                if self._stop.wait(delay):
                    raise RequestFailed(f"{e} (stopped: another request failed)", retry=False) from None
        raise AssertionError("unreachable")

    def _post(self, body: bytes, headers: dict[str, str]) -> str:
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as resp:
                return reply_text(resp.read())
        except urllib.error.HTTPError as e:
            detail = _error_detail(e.read() if e.fp else b"")
            retry = e.code in RETRY_STATUS or e.code >= 500
            wait_s = retry_after(e.headers.get("Retry-After")) if e.headers else None
            raise RequestFailed(f"HTTP {e.code} {e.reason} from {self.url}{detail}", retry, wait_s) from None
        except urllib.error.URLError as e:
            raise RequestFailed(f"cannot reach {self.url} ({e.reason})", retry=True) from None
        except TimeoutError:
            raise RequestFailed(f"no reply from {self.url} within {self.timeout:g} s", retry=True) from None
        except (ConnectionError, http.client.HTTPException, OSError) as e:
            raise RequestFailed(f"connection to {self.url} failed ({type(e).__name__})", retry=True) from None
