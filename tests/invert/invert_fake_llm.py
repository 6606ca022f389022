"""A small OpenAI-compatible chat server on 127.0.0.1 (random port) whose replies the tests script.

Per question, a queue of modes is played in order (then `good`):
  good       four inverted answers, one per line (a different set for each request seed)
  numbered   a preamble, then numbered / bulleted / quoted lines
  few        two lines only
  malformed  HTTP 200 with a body that is not JSON
  429 / 500  that status (429 with Retry-After: 0)
  401        that status with an OpenAI-style error body
  stall      waits `stall_s` seconds before answering well (the client should time out first)
  drip       sends the headers of a good reply at once, then its body one byte every `drip_s` seconds
  echo401    401 whose error message repeats the request's Authorization header (a leaky server)
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections import defaultdict, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CITIES = ["Lisbon", "Oslo", "Quito", "Hanoi", "Dakar", "Perth", "Tunis", "Minsk", "Riga", "Accra", "Sofia", "Lima"]


def good_lines(answer: str, seed: int, k: int = 4) -> list[str]:
    """`... born in Paris.` -> the same sentence with another city (k of them, depending on the seed)."""
    stem = answer.rsplit(" ", 1)[0]
    return [f"{stem} {CITIES[(seed * k + i) % len(CITIES)]}." for i in range(k)]


class FakeLLM:
    def __init__(self) -> None:
        self.scripts: dict[str, deque[str]] = defaultdict(deque)
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        self.lock = threading.Lock()
        self.stall_s = 1.0
        self.drip_s = 0.2
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def script(self, question: str, *modes: str) -> None:
        self.scripts[question].extend(modes)

    def count(self, question: str | None = None) -> int:
        with self.lock:
            return sum(1 for r in self.requests if question is None or r["question"] == question)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                user = body["messages"][-1]["content"]
                m = re.match(r"Question: (.*) Answer: (.*)$", user, re.S)
                question, answer = m.group(1), m.group(2)
                with fake.lock:
                    fake.requests.append({"question": question, "body": body, "path": self.path})
                    fake.headers.append(dict(self.headers))
                    mode = fake.scripts[question].popleft() if fake.scripts[question] else "good"
                seed = body.get("seed", 0)
                if mode == "stall":
                    time.sleep(fake.stall_s)
                    mode = "good"
                if mode in ("429", "500", "401", "echo401"):
                    text = f"bad credentials: {self.headers.get('Authorization')}" if mode == "echo401" else (
                        f"scripted {mode}")
                    payload = json.dumps({"error": {"message": text}}).encode()
                    self.send_response(int(mode[-3:]))
                    if mode == "429":
                        self.send_header("Retry-After", "0")
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                if mode == "malformed":
                    payload = b'{"choices": [ {"message": '
                else:
                    lines = good_lines(answer, seed)
                    if mode == "numbered":
                        text = (f"Here are {len(lines)} answers:\n\n1. {lines[0]}\n2) \"{lines[1]}\"\n"
                                f"(3) **{lines[2]}**\n- {lines[3]}\n")
                    elif mode == "few":
                        text = "\n".join(lines[:2])
                    else:
                        text = "\n".join(lines)
                    payload = json.dumps({"choices": [{"message": {"role": "assistant", "content": text}}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError, OSError):  # the client gave up
                    if mode == "drip":
                        for i in range(len(payload)):
                            self.wfile.write(payload[i:i + 1])
                            self.wfile.flush()
                            time.sleep(fake.drip_s)
                    else:
                        self.wfile.write(payload)

        return Handler
