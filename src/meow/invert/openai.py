"""`openai` inverter: any OpenAI-compatible chat endpoint (vLLM, llama.cpp server, Ollama, hosted APIs).

POST `{base_url}/chat/completions` with the instruction of docs/method.md section 2, at most `concurrency` requests at a time.
429, 408, 5xx, connection errors, timeouts and unreadable bodies are retried up to `max_retries` times,
waiting `backoff * 2**k + uniform(0, backoff)` seconds (capped at `max_backoff`), or the server's
`Retry-After` when it sends one. Other HTTP errors (400, 401, 404 ...) fail at once. After the first
failure no new request starts; replies already received are still handed back (and so cached).

Deadlines: `timeout` bounds a whole request (connect, headers and every read of the body): the socket timeout is
set to the time left before each read, and a watchdog shuts the socket at the deadline, so a server that drips
bytes cannot hold a request longer. Requests run in daemon worker threads; the calling thread waits in short
intervals, so Ctrl-C ends a run at once (open sockets are shut, nothing is joined), and each reply is handed to
`on_reply` (the reply cache) by the worker as soon as it is complete, before the calling thread sees it.
A process started with SIGINT ignored (a background job of a non-interactive shell, `cmd &` in a script) keeps
ignoring it, as POSIX asks and Python does (it installs no KeyboardInterrupt handler then): stop such a run
with SIGTERM (replies received are already in the cache), or start it in the foreground.

The API key is read from the environment variable named by `api_key_env` and only ever sent in the
Authorization header: it is not part of the options saved, the cache or any message (server text that
contains it is redacted before it is shown).
"""

from __future__ import annotations

import contextlib
import email.utils
import http.client
import json
import os
import queue
import random
import re
import socket
import ssl
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
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
        raise RequestFailed(f"unreadable reply ({type(e).__name__})", retry=True) from None
    if not isinstance(content, str):
        raise RequestFailed("reply has no message content", retry=True)
    return content


_KEYLIKE = re.compile(r"\b(sk|pk|rk)-[A-Za-z0-9_\-]{6,}|\bBearer\s+\S+", re.I)
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def redact(text: str, key: str | None) -> str:
    """`text` with the API key (and anything shaped like a key or a bearer token) replaced by ***."""
    if key:
        text = text.replace(key, "***")
    return _KEYLIKE.sub("***", text)


def looks_like_key(value: str) -> bool:
    """An --api-key-env value that is a key itself rather than the name of an environment variable."""
    if not ENV_NAME.fullmatch(value) or value.lower().startswith(("sk_", "sk-")):
        return True
    digits = sum(c.isdigit() for c in value)
    mixed = any(c.islower() for c in value) and any(c.isupper() for c in value)
    # names are words joined by underscores (OPENAI_API_KEY, my_project_key); keys are long runs of mixed characters
    return (len(value) >= 20 and "_" not in value) or (len(value) >= 32 and mixed and digits >= 4)


def check_base_url(url: str) -> str:
    parts = urllib.parse.urlsplit(str(url))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise MeowError(f"--base-url {str(url)[:80]!r}: expected an http:// or https:// URL up to /v1, "
                        f"e.g. https://api.openai.com/v1 or http://127.0.0.1:8000/v1")
    try:
        _ = parts.port
    except ValueError:
        raise MeowError(f"--base-url {str(url)[:80]!r}: the port is not a number") from None
    return str(url).rstrip("/")


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
    temperature: float = field(default=0.9, metadata={"ge": 0})
    max_tokens: int = field(default=512, metadata={"ge": 1})
    concurrency: int = field(default=8, metadata={"ge": 1})
    timeout: float = field(default=60.0, metadata={"gt": 0})
    max_retries: int = field(default=5, metadata={"ge": 0})
    backoff: float = field(default=1.0, metadata={"ge": 0})
    max_backoff: float = field(default=60.0, metadata={"ge": 0})
    seed: int = field(default=0, metadata={"ge": 0})

    def __post_init__(self) -> None:
        if not self.model:
            raise MeowError("the openai backend needs --model (the model name the server serves)")
        if looks_like_key(str(self.api_key_env)):  # never echo it: it may be the key
            raise MeowError("--api-key-env takes the NAME of an environment variable that holds the key, and this "
                            "value looks like a key itself; run `export OPENAI_API_KEY=...` and pass "
                            "--api-key-env OPENAI_API_KEY")
        self.url = check_base_url(self.base_url) + "/chat/completions"
        self._stop = threading.Event()
        self._open: set[http.client.HTTPConnection] = set()
        self._open_lock = threading.Lock()
        self.on_reply: Callable[[Request, str], None] | None = None  # set by invert_records: caches each reply

    def identity(self) -> dict[str, Any]:
        return {"model": self.model, "temperature": self.temperature, "max_tokens": self.max_tokens, "seed": self.seed}

    def prepare(self, records: list[dict]) -> None:
        pass

    def run(self, requests: list[Request]) -> Iterator[tuple[Request, Reply]]:
        """Replies as they complete; after a request fails for good, the others in flight finish, then MeowError.

        At most `concurrency` requests are started and not yet handed back, so an interrupted consumer never
        leaves paid requests behind it that it did not see (they are cached by `on_reply` all the same)."""
        if not requests:
            return
        key = os.environ.get(self.api_key_env) or None
        self._stop.clear()
        todo, results = deque(requests), queue.Queue()
        slots, take = threading.Semaphore(self.concurrency), threading.Lock()

        def worker() -> None:
            while not self._stop.is_set():
                if not slots.acquire(timeout=0.1):
                    continue
                with take:
                    if not todo or self._stop.is_set():
                        slots.release()
                        return
                    req = todo.popleft()
                try:
                    text = self.ask(req, key)
                except RequestFailed as e:
                    results.put((req, None, redact(str(e), key)))
                    continue
                except Exception as e:  # a bug or an odd socket state: report it, never hang the caller
                    results.put((req, None, redact(f"{type(e).__name__}: {e}", key)))
                    continue
                if self.on_reply is not None:
                    with contextlib.suppress(Exception):  # the caller caches it again when it sees the reply
                        self.on_reply(req, text)
                results.put((req, text, None))

        threads = [threading.Thread(target=worker, name=f"meow-openai-{i}", daemon=True)
                   for i in range(min(self.concurrency, len(requests)))]
        for t in threads:
            t.start()
        failure: str | None = None
        seen = 0
        try:
            while seen < len(requests):
                try:
                    req, text, error = results.get(timeout=0.1)  # short waits: Ctrl-C is seen at once
                except queue.Empty:
                    if not any(t.is_alive() for t in threads) and results.empty():
                        break
                    continue
                seen += 1
                if error is not None:
                    if failure is None:
                        failure = f"record {req.index}: {error}"
                        self._stop.set()  # no new request starts; those in flight finish
                    slots.release()
                    continue
                yield req, Reply(text=text)
                slots.release()
        finally:
            self._stop.set()
            if seen < len(requests) and failure is None:  # interrupted: end the requests still in flight now
                self._abort_open()
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

    # ------------------------------------------------------------ one request under one deadline

    def _connection(self, timeout: float) -> tuple[http.client.HTTPConnection, str]:
        """(connection, request path), through the HTTP(S)_PROXY of the environment as urllib would."""
        import urllib.request

        parts = urllib.parse.urlsplit(self.url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        https = parts.scheme == "https"
        proxy = urllib.request.getproxies().get(parts.scheme)
        if proxy and not urllib.request.proxy_bypass(parts.hostname or ""):
            via = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
            conn = http.client.HTTPConnection(via.hostname, via.port or 8080, timeout=timeout)
            if not https:
                return conn, self.url  # a plain HTTP proxy takes the absolute URL
            conn = http.client.HTTPSConnection(via.hostname, via.port or 8080, timeout=timeout,
                                               context=ssl.create_default_context())
            conn.set_tunnel(parts.hostname, parts.port or 443)
            return conn, path
        if https:
            return http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout,
                                               context=ssl.create_default_context()), path
        return http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout), path

    def _abort_open(self) -> None:
        with self._open_lock:
            conns = list(self._open)
        for conn in conns:
            _shut(conn)

    def _post(self, body: bytes, headers: dict[str, str]) -> str:
        """POST once; the whole exchange ends by `timeout` seconds from now (connect, headers, every read)."""
        deadline = time.monotonic() + self.timeout
        conn, path = self._connection(self.timeout)
        expired = threading.Event()

        def expire() -> None:
            expired.set()
            _shut(conn)

        watchdog = threading.Timer(self.timeout, expire)
        watchdog.daemon = True
        with self._open_lock:
            self._open.add(conn)
        watchdog.start()
        try:
            conn.request("POST", path, body=body, headers=headers)
            _left(conn, deadline)
            resp = conn.getresponse()
            data = _read_all(resp, conn, deadline)
        except TimeoutError:
            raise RequestFailed(f"no complete reply from {self.url} within {self.timeout:g} s", retry=True) from None
        except (ConnectionError, http.client.HTTPException, OSError, ValueError) as e:
            if expired.is_set() or time.monotonic() >= deadline:
                raise RequestFailed(f"no complete reply from {self.url} within {self.timeout:g} s",
                                    retry=True) from None
            if isinstance(e, (ConnectionRefusedError, socket.gaierror)):
                raise RequestFailed(f"cannot reach {self.url} ({e.strerror or type(e).__name__})", retry=True) from None
            raise RequestFailed(f"connection to {self.url} failed ({type(e).__name__})", retry=True) from None
        finally:
            watchdog.cancel()
            with self._open_lock:
                self._open.discard(conn)
            conn.close()
        if resp.status >= 300:
            retry = resp.status in RETRY_STATUS or resp.status >= 500
            wait_s = retry_after(resp.getheader("Retry-After"))
            raise RequestFailed(f"HTTP {resp.status} {resp.reason} from {self.url}{_error_detail(data)}", retry,
                                wait_s)
        return reply_text(data)


def _shut(conn: http.client.HTTPConnection) -> None:
    """End a connection from another thread: a blocked connect or read returns at once."""
    sock = conn.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _left(conn: http.client.HTTPConnection, deadline: float) -> float:
    """Seconds left before the deadline, set as the socket timeout of the next read (TimeoutError if none)."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    if conn.sock is not None:
        conn.sock.settimeout(left)
    return left


def _read_all(resp: http.client.HTTPResponse, conn: http.client.HTTPConnection, deadline: float) -> bytes:
    """The whole body, read in pieces with the deadline checked (and the socket timeout reset) before each."""
    chunks = []
    while True:
        _left(conn, deadline)
        chunk = resp.read1(65536)
        if not chunk:
            break
        chunks.append(chunk)
    if resp.length not in (None, 0):  # the server closed before Content-Length bytes came
        raise http.client.IncompleteRead(b"".join(chunks), resp.length)
    return b"".join(chunks)
