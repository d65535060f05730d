"""The models a run can judge with: one narrow interface, three implementations.

``RandomBaseline`` (``--model=baseline:random``) and the audit's cue judges
(``--model=baseline:CUE``, in ``baselines.py``) need no endpoint; ``OpenAIChat`` speaks
to any OpenAI-compatible endpoint through the ``openai`` client.

Retrying is shared. The client retries what it knows (429, 5xx, timeouts, dropped
connections; exponential backoff, ``Retry-After``/``retry-after-ms``), and every attempt
is bounded as a whole, body included, by ``--request-timeout``, counted from when it leaves
the run's window of requests in flight (``pacing``), never while it waits there. A 200 whose body is not a
usable completion (``replies.classify``) is retried here with backoff, within the same
``--max-retries``. Only a usable answer leaves as a ``Completion`` without an error.

OpenAI's reasoning models refuse ``max_tokens`` and any temperature but their default,
with HTTP 400 ``unsupported_parameter``/``unsupported_value`` naming the parameter. The
first such refusal switches the model, once, to ``max_completion_tokens`` / no
temperature for the rest of the run, says so in one line, and every ``Completion``
carries the parameters that were actually sent.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import os
import random
import sys
from collections.abc import Callable
from typing import Any

from giebench_fixtures.asking.baselines import cue_judge
from giebench_fixtures.asking.completion import BASELINE_PREFIX, Completion, Model, Sampling
from giebench_fixtures.asking.pacing import Pacing
from giebench_fixtures.asking.replies import (
    Answer,
    ServerError,
    classify,
    redact,
    retry_after_seconds,
    secrets_of,
    server_error,
)
from giebench_fixtures.errors import EndpointError
from giebench_fixtures.options import public_endpoint

# Statuses the client retries itself; any other 4xx but 401/403/404 means this request is refused.
TRANSIENT_STATUSES = frozenset({408, 409, 429})


class RandomBaseline:
    """Picks A-D uniformly, seeded per prompt, so every process and run agrees."""

    cacheable = False
    endpoint: str | None = None

    def __init__(self, name: str, seed: int | None) -> None:
        self.name = name
        self.seed = 0 if seed is None else seed

    async def complete(self, prompt: str) -> Completion:
        digest = hashlib.sha256(f"{self.seed}\0{prompt}".encode()).digest()
        letter = random.Random(digest).choice("ABCD")
        return Completion(text=f"Baseline pick, at random: [[{letter}]]", finish_reason="stop")

    async def close(self) -> None:
        return None


class OpenAIChat:
    """A chat-completions model behind an OpenAI-compatible endpoint."""

    cacheable = True

    def __init__(
        self,
        name: str,
        *,
        base_url: str | None,
        sampling: Sampling,
        max_retries: int,
        timeout: float,
        announce: Callable[[str], None] | None = None,
    ) -> None:
        import openai

        self.name = name
        self.sampling = sampling
        self.max_retries = max_retries
        self.timeout = timeout
        self.announce = announce or _to_stderr
        self.notes: list[str] = []  # what changed during the run, one line each
        self.pacing: Pacing | None = None  # the run's window of attempts in flight, set by the runner
        # A local server (vLLM, Ollama, llama.cpp) needs no key; the client insists on one.
        self._has_key = bool(os.environ.get("OPENAI_API_KEY"))
        key = os.environ.get("OPENAI_API_KEY") or "no-key-set"
        # Whatever an endpoint says passes through replies, which redacts these first.
        self._secrets = secrets_of(os.environ.get("OPENAI_API_KEY"), base_url)
        self._client = openai.AsyncOpenAI(
            api_key=key,
            base_url=base_url,
            max_retries=max_retries,
            timeout=timeout,
            http_client=_deadline_http_client(timeout, lambda: self.pacing),
        )
        self._clients: dict[int, Any] = {max_retries: self._client}
        self.endpoint: str | None = public_endpoint(str(self._client.base_url))
        self.base_url = self.endpoint  # never the URL as given: it may hold credentials
        self._token_parameter = "max_tokens"
        self._send_temperature = True

    def request_parameters(self) -> dict[str, Any]:
        """The sampling parameters the next request sends."""
        params: dict[str, Any] = {}
        if self._send_temperature:
            params["temperature"] = self.sampling.temperature
        if self.sampling.max_tokens is not None:
            params[self._token_parameter] = self.sampling.max_tokens
        if self.sampling.seed is not None:
            params["seed"] = self.sampling.seed
        if self.sampling.reasoning_effort is not None:
            params["reasoning_effort"] = self.sampling.reasoning_effort
        return params

    async def complete(self, prompt: str) -> Completion:
        import openai

        attempts = 0  # every attempt the endpoint saw, the client's retries included
        left = self.max_retries
        unusable = 0
        adjusted = 0
        while True:
            params = self.request_parameters()
            try:
                raw = await self._client_with(left).chat.completions.with_raw_response.create(
                    model=self.name, messages=[{"role": "user", "content": prompt}], **params
                )
            except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
                why = (
                    "refused the API key"
                    if self._has_key
                    else "needs an API key and $OPENAI_API_KEY is not set"
                )
                raise EndpointError(
                    f"the endpoint {self.endpoint} {why} (HTTP {exc.status_code}); "
                    "check $OPENAI_API_KEY and --base-url"
                ) from None
            except openai.NotFoundError:
                raise EndpointError(
                    f"the endpoint {self.endpoint} does not know model {self.name!r} (HTTP 404); "
                    "check --model, and --base-url (OpenAI-compatible servers usually end in /v1, "
                    "e.g. http://localhost:11434/v1 for Ollama)"
                ) from None
            except openai.APIStatusError as exc:
                attempts += _attempts_of(exc.response.request)
                error = server_error(exc.response.content, self._secrets)
                status = exc.status_code
                if status == 400 and adjusted < 2 and self._adapt(error, params):
                    adjusted += 1
                    continue
                if 400 <= status < 500 and status not in TRANSIENT_STATUSES:
                    return self._failed(f"HTTP {status}: {error.message}", attempts, params, refused=True)
                return self._failed(
                    self._status_reason(status, error, exc.response.headers), attempts, params
                )
            except openai.APITimeoutError as exc:
                attempts += _attempts_of(exc.request)
                reason = f"no complete reply within --request-timeout={self.timeout:g} s"
                return self._failed(reason, attempts, params)
            except openai.APIConnectionError as exc:
                attempts += _attempts_of(exc.request)
                cause = redact(_cause(exc), self._secrets)
                return self._failed(f"connection failed ({cause})", attempts, params)
            except openai.APIError as exc:
                why = redact(f"{type(exc).__name__}: {exc}", self._secrets)
                return self._failed(f"unusable reply ({why})", attempts + 1, params)
            attempts += raw.retries_taken + 1
            left -= raw.retries_taken
            reply = classify(raw.http_response.content, raw.headers.get("content-type", ""), self._secrets)
            if isinstance(reply, Answer):
                return Completion(
                    text=reply.text,
                    retries=attempts - 1,
                    prompt_tokens=reply.prompt_tokens,
                    completion_tokens=reply.completion_tokens,
                    reasoning_tokens=reply.reasoning_tokens,
                    system_fingerprint=reply.system_fingerprint,
                    finish_reason=reply.finish_reason,
                    endpoint=self.endpoint,
                    sent=params,
                    served_model=reply.model,
                )
            if left <= 0:
                return self._failed(reply.reason, attempts, params)
            left -= 1
            await asyncio.sleep(_backoff(unusable))
            unusable += 1
            if self.pacing is not None:
                self.pacing.retries += 1

    def _client_with(self, retries: int) -> Any:
        """The client, allowed ``retries`` more retries (copies share one connection pool)."""
        if retries not in self._clients:
            self._clients[retries] = self._client.with_options(max_retries=retries)
        return self._clients[retries]

    def _adapt(self, error: ServerError, sent: dict[str, Any]) -> bool:
        """Switch, once for the run, to what a reasoning model accepts; True if the request
        should be sent again in the new shape."""
        if error.code == "unsupported_parameter" and error.param == "max_tokens" and "max_tokens" in sent:
            if self._token_parameter == "max_tokens":
                self._token_parameter = "max_completion_tokens"
                self._note(
                    f"the endpoint refuses max_tokens for {self.name} ({error.code}); sending "
                    f"max_completion_tokens={self.sampling.max_tokens} instead for the rest of the run"
                )
            return True
        refused_value = error.code in ("unsupported_value", "unsupported_parameter")
        if refused_value and error.param == "temperature" and "temperature" in sent:
            if self._send_temperature:
                self._send_temperature = False
                self._note(
                    f"the endpoint refuses temperature={self.sampling.temperature:g} for {self.name} "
                    f"({error.code}); sending no temperature (the model's default) for the rest of the run"
                )
            return True
        return False

    def _note(self, line: str) -> None:
        self.notes.append(line)
        self.announce(line)

    def _status_reason(self, status: int, error: ServerError, headers: Any) -> str:
        reason = f"HTTP {status}: {error.message}"
        wait = retry_after_seconds(headers)
        limit = _client_retry_after_limit()
        if wait is not None and wait > limit:
            reason += (
                f"; the endpoint asked to wait {wait:.0f} s before retrying (Retry-After), "
                f"longer than the client waits ({limit:.0f} s)"
            )
        return reason

    def _failed(
        self, reason: str, attempts: int, sent: dict[str, Any], *, refused: bool = False
    ) -> Completion:
        tries = f"{attempts} attempt" + ("s" if attempts != 1 else "")
        return Completion(
            text=None,
            error=f"{reason} ({tries})",
            retries=max(attempts - 1, 0),
            endpoint=self.endpoint,
            sent=sent,
            refused=refused,
        )

    async def close(self) -> None:
        await self._client.close()


def _attempts_of(request: Any) -> int:
    """Attempts made for a request: the client numbers its retries in a header."""
    try:
        return int(request.headers.get("x-stainless-retry-count", "0")) + 1
    except (AttributeError, ValueError):
        return 1


def _cause(exc: BaseException) -> str:
    cause = exc.__cause__
    while cause is not None and cause.__cause__ is not None and not str(cause):
        cause = cause.__cause__
    text = str(cause) if cause is not None else ""
    return f"{type(cause).__name__}: {text}" if cause is not None and text else "no reply"


def _backoff(previous: int) -> float:
    """Seconds to wait before asking again after an unusable reply (as the client backs off)."""
    return float(min(0.5 * 2.0**previous, 8.0) * (1 - 0.25 * random.random()))


def _client_retry_after_limit() -> float:
    """The longest Retry-After the openai client honours before giving up on a request."""
    constants = importlib.import_module("openai._constants")
    return float(getattr(constants, "MAX_RETRY_AFTER_DELAY", 60))


def _deadline_http_client(deadline: float, pacing: Callable[[], Pacing | None]) -> Any:
    """The openai client's own HTTP client, with every attempt paced and bounded as a whole.

    The HTTP library's read timeout restarts with every chunk, so a body trickling in a
    byte at a time is never cut. Here each send, body included, gets ``deadline`` seconds
    from when the run's window lets it go; running over raises the library's ReadTimeout,
    which the openai client retries like any timeout. The window learns each attempt's
    outcome: the client's own retries pass through it too.
    """
    import openai

    base: Any = openai.DefaultAsyncHttpxClient
    library = sys.modules[
        next(c for c in base.__mro__ if c.__name__ == "AsyncClient").__module__.split(".")[0]
    ]
    read_timeout: Any = library.ReadTimeout
    any_timeout: Any = library.TimeoutException

    class DeadlineClient(base):  # type: ignore[misc]
        async def send(self, request: Any, **kwargs: Any) -> Any:
            window = pacing()
            if window is None:
                return await self._send_within(request, **kwargs)
            started = await window.acquire(retry=_attempts_of(request) > 1)
            outcome = "error"
            try:
                response = await self._send_within(request, **kwargs)
                status = response.status_code
                outcome = "throttled" if status in (429, 503) else "ok" if status < 400 else "error"
                return response
            except any_timeout:
                outcome = "timeout"
                raise
            finally:
                window.release(started, outcome)

        async def _send_within(self, request: Any, **kwargs: Any) -> Any:
            try:
                async with asyncio.timeout(deadline):
                    return await super().send(request, **kwargs)
            except TimeoutError:
                raise read_timeout(f"no complete reply within {deadline:g} s", request=request) from None

    return DeadlineClient()


def _to_stderr(line: str) -> None:
    stream = sys.__stderr__ or sys.stderr
    stream.write(f"giebench: {line}\n")
    stream.flush()


def make_model(
    name: str,
    *,
    base_url: str | None,
    sampling: Sampling,
    max_retries: int = 4,
    timeout: float = 120.0,
) -> Model:
    if name.startswith(BASELINE_PREFIX):
        kind = name[len(BASELINE_PREFIX) :]
        if kind != "random":
            return cue_judge(name, sampling.seed)
        return RandomBaseline(name, sampling.seed)
    return OpenAIChat(name, base_url=base_url, sampling=sampling, max_retries=max_retries, timeout=timeout)
