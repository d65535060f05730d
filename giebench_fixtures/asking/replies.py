"""What came back from an endpoint: a usable answer, or a fault a person can read.

Proxies, gateways and overloaded servers answer HTTP 200 with all sorts of bodies: an
HTML error page, plain text, a JSON list, a server-sent-event stream, ``{"error": ...}``,
a completion without ``choices`` or without a ``message``. ``classify`` reads the raw
body of a 200 reply and returns either an ``Answer`` (a chat completion whose message
content is a string, possibly empty) or a ``Fault`` whose reason says what arrived
instead. Nothing else is trusted: usage counts given as strings are read as numbers when
they are numbers and as 0 otherwise, and never make a completion unusable.

``server_error`` does the same for the body of a 4xx/5xx reply: the message, code and
parameter of an OpenAI-style error object, or the start of whatever text came instead.

Both take the run's ``secrets`` (``secrets_of``: the API key and any credential in the base
URL) and redact them from the body before reading it, and from every text read out of it,
so no copy of a key an endpoint echoes is ever printed, stored or cached.
"""

from __future__ import annotations

import email.utils
import json
import math
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

# OpenAI's structured refusal (``content: null`` beside ``refusal``) is an answer: its text is
# the refusal, its finish reason this mark, and it has no verdict (counted, never retried).
REFUSAL = "refusal"
# Finish reasons that mean the text is not the model's whole answer: no verdict is read.
NO_VERDICT_FINISH = ("length", "content_filter", REFUSAL)
MAX_ANSWER_CHARS = 1_000_000  # a judge's answer is a paragraph; megabytes are a fault
_SNIPPET = 80
REDACTED = "[redacted]"
MIN_SECRET = 4  # shorter "credentials" are not secrets worth mangling every text for


@dataclass(frozen=True, slots=True)
class Answer:
    """A usable chat completion."""

    text: str
    finish_reason: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    reasoning_tokens: int = 0
    system_fingerprint: str | None = None
    model: str | None = None  # the model the endpoint says answered (its reply's ``model``)


@dataclass(frozen=True, slots=True)
class Fault:
    """A 200 reply that is not a usable completion; retrying may help."""

    reason: str


@dataclass(frozen=True, slots=True)
class ServerError:
    """What an error reply says: OpenAI's ``{"error": {"message", "code", "param"}}`` or text."""

    message: str
    code: str | None = None
    param: str | None = None


def secrets_of(key: str | None, base_url: str | None) -> tuple[str, ...]:
    """What must never be repeated: the API key, and the user, password and query values of
    the base URL, longest first (so a secret holding another is redacted whole)."""
    found = [key or ""]
    try:
        parts = urlsplit(base_url or "")
        for value in (parts.username, parts.password):
            found += [value or "", unquote(value or "")]
        found += [value for _, value in parse_qsl(parts.query)]
    except ValueError:
        pass
    return tuple(sorted({s for s in found if len(s) >= MIN_SECRET}, key=lambda s: (-len(s), s)))


def redact(text: str, secrets: Sequence[str]) -> str:
    """The text with every secret replaced by ``[redacted]``."""
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text


def classify(body: bytes, content_type: str = "", secrets: Sequence[str] = ()) -> Answer | Fault:
    """Read a 200 reply's body: a usable answer, or why it is not one; no secret survives."""
    reply = _classify(_redact_bytes(body, secrets), content_type)
    if isinstance(reply, Fault):
        return Fault(redact(reply.reason, secrets))
    fingerprint, served = reply.system_fingerprint, reply.model
    return replace(
        reply,
        text=redact(reply.text, secrets),
        system_fingerprint=None if fingerprint is None else redact(fingerprint, secrets),
        model=None if served is None else redact(served, secrets),
    )


def _redact_bytes(body: bytes, secrets: Sequence[str]) -> bytes:
    for secret in secrets:
        body = body.replace(secret.encode("utf-8"), REDACTED.encode())
    return body


def _classify(body: bytes, content_type: str) -> Answer | Fault:
    kind = content_type.split(";")[0].strip().lower()
    start = body.lstrip()[:16].lower()
    if not body.strip():
        return Fault("empty reply instead of a completion")
    if kind == "text/event-stream" or start.startswith((b"data:", b"event:")):
        return Fault("event stream instead of a completion (the endpoint streamed its answer)")
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        if kind in ("text/html", "application/xhtml+xml") or start.startswith(b"<"):
            return Fault("HTML page instead of a completion" + _title(body))
        return Fault(f"plain text instead of a completion: {_snippet(body)}")
    if not isinstance(data, dict):
        return Fault(f"JSON {_json_kind(data)} instead of a completion")
    return _completion(data)


def _completion(data: Mapping[str, Any]) -> Answer | Fault:
    choices = data.get("choices")
    if "error" in data and not choices:
        return Fault(f"error reply with HTTP 200: {_error_message(data['error'])}")
    if "choices" not in data:
        keys = ", ".join(sorted(str(k) for k in data)[:6]) or "none"
        return Fault(f"JSON object without 'choices' instead of a completion (keys: {keys})")
    if not choices:
        return Fault("completion without choices")
    if not isinstance(choices, list):
        return Fault(f"completion whose 'choices' is a JSON {_json_kind(choices)}, not a list")
    choice = choices[0]
    if not isinstance(choice, dict):
        return Fault(f"completion whose first choice is a JSON {_json_kind(choice)}, not an object")
    message = choice.get("message")
    if not isinstance(message, dict):
        return Fault("completion without a message")
    finish = choice.get("finish_reason")
    finish_reason = finish if isinstance(finish, str) and finish else None
    content = message.get("content")
    refusal = message.get("refusal")
    if not content and isinstance(refusal, str) and refusal.strip():
        content, finish_reason = refusal, REFUSAL
    if content is None and finish_reason in NO_VERDICT_FINISH:
        content = ""  # cut off or filtered before any text: an answer with no verdict
    if not isinstance(content, str):
        return Fault(f"completion whose message content is {_json_kind(content)}, not text")
    if len(content) > MAX_ANSWER_CHARS:
        return Fault(
            f"an answer of {len(content):,} characters, over the {MAX_ANSWER_CHARS:,} giebench keeps"
        )
    usage = data.get("usage")
    usage = usage if isinstance(usage, dict) else {}
    details = usage.get("completion_tokens_details")
    details = details if isinstance(details, dict) else {}
    fingerprint, served = data.get("system_fingerprint"), data.get("model")
    return Answer(
        model=served if isinstance(served, str) and served else None,
        text=content,
        finish_reason=finish_reason,
        prompt_tokens=_count(usage.get("prompt_tokens")),
        completion_tokens=_count(usage.get("completion_tokens")),
        reasoning_tokens=_count(details.get("reasoning_tokens")),
        system_fingerprint=fingerprint if isinstance(fingerprint, str) else None,
    )


def server_error(body: bytes, secrets: Sequence[str] = ()) -> ServerError:
    """The message of an error reply (4xx/5xx), its code and parameter when it names them;
    no secret survives."""
    error = _server_error(_redact_bytes(body, secrets))
    return ServerError(
        redact(error.message, secrets),
        code=None if error.code is None else redact(error.code, secrets),
        param=None if error.param is None else redact(error.param, secrets),
    )


def _server_error(body: bytes) -> ServerError:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        text = _snippet(body) if body.strip() else "(empty body)"
        return ServerError(f"HTML page{_title(body)}" if body.lstrip().startswith(b"<") else text)
    if isinstance(data, dict):
        error = data.get("error", data)
        if isinstance(error, dict):
            code, param = error.get("code"), error.get("param")
            return ServerError(
                _error_message(error),
                code=str(code) if code is not None else None,
                param=str(param) if param is not None else None,
            )
        return ServerError(_error_message(error))
    return ServerError(_one_line(json.dumps(data)))


def _error_message(error: Any) -> str:
    if isinstance(error, dict):
        for field in ("message", "detail", "error", "msg"):
            value = error.get(field)
            if isinstance(value, str) and value.strip():
                return _one_line(value)
            if value is not None and field == "detail":
                return _one_line(json.dumps(value))
        return _one_line(json.dumps(error)) if error else "(no message)"
    return _one_line(str(error)) if error not in (None, "") else "(no message)"


_DATED = re.compile(r"[-_@]?(\d{4}-?\d{2}-?\d{2}|\d{4})$")


def served_differs(requested: str, served: str | None) -> bool:
    """Whether the model that answered is not the one asked for, beyond a dated suffix:
    gpt-4o answered by gpt-4o-2024-08-06 (or gpt-4-0613 by gpt-4) is the same model."""
    if served is None:
        return False
    asked, answered = requested.strip().lower(), served.strip().lower()
    return _DATED.sub("", asked) != _DATED.sub("", answered) and asked != answered


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """The delay a reply asks for (``retry-after-ms``, ``retry-after`` in seconds or as a date)."""
    for header, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(header)
        if value is None:
            continue
        try:
            seconds = float(value) / divisor
        except ValueError:
            continue
        return seconds if math.isfinite(seconds) else None
    when = headers.get("retry-after")
    if when:
        parsed = email.utils.parsedate_tz(when)
        if parsed is not None:
            return float(email.utils.mktime_tz(parsed) - time.time())
    return None


def _count(value: Any) -> int:
    """A token count, whether the endpoint sent 12, 12.0 or "12"; anything else is 0."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return max(value, 0)
    if isinstance(value, float) and math.isfinite(value):
        return max(int(value), 0)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return 0


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    return "object"


def _one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _snippet(body: bytes) -> str:
    return repr(_one_line(body[:400].decode("utf-8", errors="replace"), _SNIPPET))


def _title(body: bytes) -> str:
    match = re.search(rb"<title[^>]*>(.*?)</title>", body[:4000], re.IGNORECASE | re.DOTALL)
    if not match:
        return ""
    title = _one_line(match.group(1).decode("utf-8", errors="replace"), _SNIPPET)
    return f" (title {title!r})" if title else ""
