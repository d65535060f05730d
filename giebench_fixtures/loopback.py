"""A real OpenAI-compatible chat-completions server on 127.0.0.1, for tests, benchmarks
and demos: scripted answers, fixed latency, and faults injected on purpose.

    with LoopbackServer(answer=lambda prompt: "[[A]]", latency=0.2) as server:
        ... --base-url server.url ...

Faults are chosen per request by ``fault(prompt, attempt)``, returning None or one of
``"429"`` (with ``retry-after-ms``), ``"500"``, ``"503"``, ``"drop"`` (close the connection
without answering) or ``"slow"`` (answer after ``slow_seconds``).
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Fault = str | None


@dataclass
class ServedRequest:
    prompt: str
    model: str
    status: int
    attempt: int
    authorization: str | None


@dataclass
class LoopbackServer:
    """Serves POST /v1/chat/completions until stopped; thread-safe request log."""

    answer: Callable[[str], str] = lambda prompt: "[[A]]"
    latency: float = 0.0
    fault: Callable[[str, int], Fault] = lambda prompt, attempt: None
    api_key: str | None = None  # when set, other keys get 401
    models: set[str] | None = None  # when set, other models get 404
    slow_seconds: float = 5.0
    retry_after_ms: int = 10
    fingerprint: str = "fp_loopback"
    log: list[ServedRequest] = field(default_factory=list)
    _attempts: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out at once, no 40 ms ACK wait

            def log_message(self, *args: Any) -> None:  # keep test output clean
                return

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
                server._handle(self, body)

        self._httpd = _Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def prompts_served(self) -> Counter[str]:
        """How many times each prompt got a successful answer."""
        with self._lock:
            return Counter(r.prompt for r in self.log if r.status == 200)

    def requests(self) -> int:
        with self._lock:
            return len(self.log)

    def _handle(self, handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        messages = body.get("messages") or [{}]
        prompt = str(messages[-1].get("content", ""))
        model = str(body.get("model", ""))
        authorization = handler.headers.get("authorization")
        with self._lock:
            self._attempts[prompt] += 1
            attempt = self._attempts[prompt]
        if self.latency:
            time.sleep(self.latency)
        if self.api_key is not None and authorization != f"Bearer {self.api_key}":
            return self._finish(
                handler, prompt, model, attempt, authorization, 401, _error("invalid api key")
            )
        if self.models is not None and model not in self.models:
            return self._finish(handler, prompt, model, attempt, authorization, 404, _error("no such model"))
        fault = self.fault(prompt, attempt)
        if fault == "drop":
            self._record(prompt, model, 0, attempt, authorization)
            handler.close_connection = True
            handler.connection.close()
            return None
        if fault in ("429", "500", "503"):
            headers = {"retry-after-ms": str(self.retry_after_ms)} if fault == "429" else {}
            return self._finish(
                handler, prompt, model, attempt, authorization, int(fault), _error(fault), headers
            )
        if fault == "slow":
            time.sleep(self.slow_seconds)
        text = self.answer(prompt)
        reply = {
            "id": f"chatcmpl-{attempt}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "system_fingerprint": self.fingerprint,
            "choices": [
                {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}
            ],
            "usage": {
                "prompt_tokens": len(prompt.split()),
                "completion_tokens": len(text.split()),
                "total_tokens": len(prompt.split()) + len(text.split()),
            },
        }
        return self._finish(handler, prompt, model, attempt, authorization, 200, reply)

    def _record(self, prompt: str, model: str, status: int, attempt: int, authorization: str | None) -> None:
        with self._lock:
            self.log.append(ServedRequest(prompt, model, status, attempt, authorization))

    def _finish(
        self,
        handler: BaseHTTPRequestHandler,
        prompt: str,
        model: str,
        attempt: int,
        authorization: str | None,
        status: int,
        payload: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> None:
        data = json.dumps(payload).encode()
        try:
            handler.send_response(status)
            handler.send_header("content-type", "application/json")
            handler.send_header("content-length", str(len(data)))
            for name, value in (headers or {}).items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout); it will retry
        self._record(prompt, model, status, attempt, authorization)


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # a client opening 64 connections at once is not refused
    daemon_threads = True


def _error(message: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "loopback", "code": None}}


def letter_answerer(letter_for: Callable[[str], str]) -> Callable[[str], str]:
    """An answer function that explains briefly and ends with a verdict."""

    def answer(prompt: str) -> str:
        letter = letter_for(prompt)
        return f"The answer that fits best is {letter}. [[{letter}]]"

    return answer
