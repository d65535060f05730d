"""A real OpenAI-compatible chat-completions server on 127.0.0.1, for tests, benchmarks
and demos: scripted answers, fixed latency, and faults injected on purpose.

    with LoopbackServer(answer=lambda prompt: "[[A]]", latency=0.2) as server:
        ... --base-url server.url ...

Faults are chosen per request by ``fault(prompt, attempt)``, returning None or one of

- ``"429"`` (with ``retry-after-ms``), ``"429-long"`` (``retry-after: 600``), ``"500"``,
  ``"503"``, ``"drop"`` (close the connection without answering), ``"slow"`` (answer after
  ``slow_seconds``), ``"trickle"`` (the right answer, its body sent a byte every
  ``trickle_seconds``);
- ``"400"`` and ``"422"``: an OpenAI-style error object with ``refusal_message``;
- a 200 that is not a usable completion (``MALFORMED_200``): ``"html"``, ``"text"``,
  ``"json-list"``, ``"sse"``, ``"error-200"``, ``"no-message"``, ``"no-choices"``,
  ``"null-choices"``, ``"wrong-shape"``, ``"null-content"`` (content null, finish_reason stop);
  ``"usage-strings"``, the right answer with its token counts given as strings (usable); and
  ``"refusal"``, OpenAI's structured refusal (content null, ``refusal`` text: an answer).

``reasoning=True`` behaves like an OpenAI reasoning model: HTTP 400 ``unsupported_parameter``
for ``max_tokens``, ``unsupported_value`` for a temperature other than 1, and reasoning
token counts in ``usage``. ``finish_reason(prompt)`` chooses each answer's finish reason.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Fault = str | None

# 200 replies that are not a usable completion, each retried by giebench.
MALFORMED_200 = (
    "html",
    "text",
    "json-list",
    "sse",
    "error-200",
    "no-message",
    "no-choices",
    "null-choices",
    "wrong-shape",
)


@dataclass
class ServedRequest:
    prompt: str
    model: str
    status: int
    attempt: int
    authorization: str | None
    params: dict[str, Any] = field(default_factory=dict)  # the request body but model and messages
    complete: bool = True  # False when the client hung up before the whole reply was sent
    received: float = 0.0  # time.time() when the request arrived


@dataclass
class LoopbackServer:
    """Serves POST /v1/chat/completions until stopped; thread-safe request log."""

    answer: Callable[[str], str] = lambda prompt: "[[A]]"
    latency: float = 0.0
    fault: Callable[[str, int], Fault] = lambda prompt, attempt: None
    finish_reason: Callable[[str], str] = lambda prompt: "stop"
    api_key: str | None = None  # when set, other keys get 401
    models: set[str] | None = None  # when set, other models get 404
    reasoning: bool = False  # behave like an OpenAI reasoning model (o-series, gpt-5)
    reasoning_tokens: int = 7
    slow_seconds: float = 5.0
    trickle_seconds: float = 0.05
    retry_after_ms: int = 10
    refusal_message: str = "This model's maximum context length is 8192 tokens."
    fingerprint: str = "fp_loopback"
    served_model: str | None = None  # when set, every reply names this model (as llama.cpp does)
    echo_authorization: bool = False  # error messages quote the Authorization header, as some gateways do
    slots: int | None = None  # like llama.cpp's --parallel: requests beyond it queue here
    log: list[ServedRequest] = field(default_factory=list)
    peak_in_flight: int = 0  # most requests held by the server at once, queued ones included
    _open: list[float] = field(default_factory=list)  # arrival times of requests not yet answered
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
                received = time.time()
                with server._lock:
                    server._open.append(received)
                    server.peak_in_flight = max(server.peak_in_flight, len(server._open))
                try:
                    if server._slots is None:
                        server._handle(self, body, received)
                    else:
                        with server._slots:
                            server._handle(self, body, received)
                finally:
                    with server._lock:
                        server._open.remove(received)

        self._slots = threading.Semaphore(self.slots) if self.slots else None
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
        """How many times each prompt got a successful answer, sent in full."""
        with self._lock:
            return Counter(r.prompt for r in self.log if r.status == 200 and r.complete)

    def in_flight(self) -> list[float]:
        """When each request the server holds now arrived (time.time())."""
        with self._lock:
            return sorted(self._open)

    def requests(self) -> int:
        with self._lock:
            return len(self.log)

    def served(self) -> list[ServedRequest]:
        with self._lock:
            return list(self.log)

    def _handle(self, handler: BaseHTTPRequestHandler, body: dict[str, Any], received: float) -> None:
        messages = body.get("messages") or [{}]
        request = ServedRequest(
            prompt=str(messages[-1].get("content", "")),
            model=str(body.get("model", "")),
            status=0,
            attempt=0,
            authorization=handler.headers.get("authorization"),
            params={k: v for k, v in body.items() if k not in ("model", "messages")},
            received=received,
        )
        with self._lock:
            self._attempts[request.prompt] += 1
            request.attempt = self._attempts[request.prompt]
        if self.latency:
            time.sleep(self.latency)
        if self.api_key is not None and request.authorization != f"Bearer {self.api_key}":
            return self._send_json(handler, request, 401, _error("invalid api key"))
        if self.models is not None and request.model not in self.models:
            return self._send_json(handler, request, 404, _error("no such model"))
        if self.reasoning:
            refusal = _reasoning_refusal(request.params)
            if refusal is not None:
                return self._send_json(handler, request, 400, refusal)
        fault = self.fault(request.prompt, request.attempt)
        echo = f" (received {request.authorization})" if self.echo_authorization else ""
        if fault == "drop":
            self._record(request, 0)
            handler.close_connection = True
            handler.connection.close()
            return None
        if fault in ("429", "429-long", "500", "503"):
            headers = {"retry-after-ms": str(self.retry_after_ms)} if fault == "429" else {}
            if fault == "429-long":
                headers = {"retry-after": "600"}
            status = int(fault[:3])
            return self._send_json(handler, request, status, _error(f"loopback {fault}{echo}"), headers)
        if fault in ("400", "422"):
            message = self.refusal_message + echo
            error = _error(message, kind="invalid_request_error", code="context_length_exceeded")
            return self._send_json(handler, request, int(fault), error)
        if fault == "slow":
            time.sleep(self.slow_seconds)
        text = self.answer(request.prompt)
        reply = self._completion(request, text)
        if fault in MALFORMED_200:
            data, content_type = _malformed(fault, reply, echo)
            return self._send(handler, request, 200, data, content_type)
        if fault in ("refusal", "null-content"):
            # OpenAI's structured refusal; or a null content with finish_reason stop (a glitch)
            reply["choices"][0]["message"] = {"role": "assistant", "content": None}
            if fault == "refusal":
                reply["choices"][0]["message"]["refusal"] = "I'm sorry, I can't help with that."
        if fault == "usage-strings":
            reply["usage"] = {k: str(v) for k, v in reply["usage"].items() if isinstance(v, int)}
        data = json.dumps(reply).encode()
        if fault == "trickle":
            return self._send(handler, request, 200, data, "application/json", trickle=self.trickle_seconds)
        return self._send(handler, request, 200, data, "application/json")

    def _completion(self, request: ServedRequest, text: str) -> dict[str, Any]:
        prompt_tokens, completion_tokens = len(request.prompt.split()), len(text.split())
        usage: dict[str, Any] = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        if self.reasoning:
            usage["completion_tokens"] += self.reasoning_tokens
            usage["total_tokens"] += self.reasoning_tokens
            usage["completion_tokens_details"] = {"reasoning_tokens": self.reasoning_tokens}
        return {
            "id": f"chatcmpl-{request.attempt}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.served_model or request.model,
            "system_fingerprint": self.fingerprint,
            "choices": [
                {
                    "index": 0,
                    "finish_reason": self.finish_reason(request.prompt),
                    "message": {"role": "assistant", "content": text},
                }
            ],
            "usage": usage,
        }

    def _record(self, request: ServedRequest, status: int, *, complete: bool = True) -> None:
        request.status = status
        request.complete = complete
        with self._lock:
            self.log.append(request)

    def _send_json(
        self,
        handler: BaseHTTPRequestHandler,
        request: ServedRequest,
        status: int,
        payload: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> None:
        self._send(
            handler, request, status, json.dumps(payload).encode(), "application/json", headers=headers
        )

    def _send(
        self,
        handler: BaseHTTPRequestHandler,
        request: ServedRequest,
        status: int,
        data: bytes,
        content_type: str,
        *,
        headers: dict[str, str] | None = None,
        trickle: float = 0.0,
    ) -> None:
        complete = True
        try:
            handler.send_response(status)
            handler.send_header("content-type", content_type)
            handler.send_header("content-length", str(len(data)))
            for name, value in (headers or {}).items():
                handler.send_header(name, value)
            handler.end_headers()
            if trickle:
                for index in range(len(data)):
                    handler.wfile.write(data[index : index + 1])
                    handler.wfile.flush()
                    time.sleep(trickle)
            else:
                handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            complete = False  # the client gave up (a timeout); it will retry
            handler.close_connection = True
        self._record(request, status, complete=complete)


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # a client opening 64 connections at once is not refused
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up (a deadline, a stopped run) is not an error worth a traceback."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


def _error(
    message: str, *, kind: str = "loopback", code: str | None = None, param: str | None = None
) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def _reasoning_refusal(params: dict[str, Any]) -> dict[str, Any] | None:
    """What OpenAI answers a reasoning model's request with max_tokens or a temperature."""
    if "max_tokens" in params:
        return _error(
            "Unsupported parameter: 'max_tokens' is not supported with this model. "
            "Use 'max_completion_tokens' instead.",
            kind="invalid_request_error",
            code="unsupported_parameter",
            param="max_tokens",
        )
    temperature = params.get("temperature")
    if temperature is not None and temperature != 1:
        return _error(
            f"Unsupported value: 'temperature' does not support {temperature} with this model. "
            "Only the default (1) value is supported.",
            kind="invalid_request_error",
            code="unsupported_value",
            param="temperature",
        )
    return None


def _malformed(fault: str, reply: dict[str, Any], echo: str = "") -> tuple[bytes, str]:
    """The body and content type of a 200 that is not a usable completion."""
    if fault == "html":
        page = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
        return page.encode(), "text/html"
    if fault == "text":
        return f"upstream connect error or disconnect/reset before headers{echo}".encode(), "text/plain"
    if fault == "sse":
        chunk = {**reply, "object": "chat.completion.chunk"}
        return f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n".encode(), "text/event-stream"
    bodies: dict[str, Any] = {
        "json-list": [reply],
        "error-200": _error(f"The server had an error while processing your request.{echo}"),
        "no-message": {**reply, "choices": [{"index": 0, "finish_reason": "stop"}]},
        "no-choices": {**reply, "choices": []},
        "null-choices": {**reply, "choices": None},
        "wrong-shape": {"result": reply["choices"][0]["message"]["content"], "status": "ok"},
    }
    return json.dumps(bodies[fault]).encode(), "application/json"


def letter_answerer(letter_for: Callable[[str], str]) -> Callable[[str], str]:
    """An answer function that explains briefly and ends with a verdict."""

    def answer(prompt: str) -> str:
        letter = letter_for(prompt)
        return f"The answer that fits best is {letter}. [[{letter}]]"

    return answer
