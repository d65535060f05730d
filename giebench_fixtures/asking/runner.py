"""Asking the model for many prompts at once, bounded, cached and with progress.

A run starts with one request at a time until the first reply that is not a refusal (an
answer, or a failure retrying may cure): an endpoint that refuses every request (a wrong
parameter, a model that cannot take these prompts) is then found after a handful of
requests instead of a full batch, and a reasoning model's one-time switch of parameters
happens before the rest is sent. After that the number in flight follows the server
(``pacing.Pacing``), up to ``--concurrency``.

A stop (a signal, or the controller's marker under xdist) cancels what is in flight and
sends nothing more: the prompts not answered come back as not asked.
"""

from __future__ import annotations

import asyncio
import re
import sys
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, TextIO

from giebench_fixtures.asking.cache import ResponseCache
from giebench_fixtures.asking.completion import Completion, Model
from giebench_fixtures.asking.models import OpenAIChat
from giebench_fixtures.asking.pacing import STOP, Pacing
from giebench_fixtures.errors import EndpointError

# The same refusal on this many distinct prompts before any answer stops the run.
REPEATED_REFUSALS = 3
INTERRUPTED = "not asked: the run was interrupted"


@dataclass
class Accounting:
    """What a run cost, for the report."""

    requests: int = 0
    retries: int = 0
    failed: int = 0
    from_cache: int = 0
    replayed: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    reasoning_tokens: int = 0
    seconds: float = 0.0

    def add(self, other: Accounting) -> None:
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["seconds"] = round(self.seconds, 3)
        return data


@dataclass
class Progress:
    """done/total, retries, timeouts, requests in flight and ETA, from the first request on:
    redrawn in place on a terminal, a line every ``every`` seconds in a CI log."""

    total: int
    label: str = "giebench"
    stream: TextIO = field(default_factory=lambda: sys.__stderr__ or sys.stderr)
    every: float = 10.0
    done: int = 0
    retries: int = 0
    failed: int = 0
    pacing: Pacing | None = None
    started: float = field(default_factory=time.monotonic)
    _last: float = 0.0

    def tick(self, completion: Completion) -> None:
        self.done += 1
        self.retries += completion.retries
        self.failed += completion.error is not None
        self.show(final=self.done == self.total)

    def show(self, *, final: bool = False) -> None:
        """Draw the line if it is due (or ``final``)."""
        now = time.monotonic()
        interactive = self.stream.isatty()
        if not final and self._last and now - self._last < (0.2 if interactive else self.every):
            return
        self._last = now
        self.stream.write(
            ("\r\x1b[K" if interactive else "") + self.line(now) + ("" if interactive else "\n")
        )
        if interactive and final:
            self.stream.write("\n")
        self.stream.flush()

    async def keep_showing(self) -> None:
        """Redraw while requests are out, so a slow server still shows signs of life."""
        interval = 0.2 if self.stream.isatty() else self.every
        while True:
            self.show()
            await asyncio.sleep(interval)

    def line(self, now: float) -> str:
        elapsed = max(now - self.started, 1e-9)
        rate = self.done / elapsed
        eta = f"ETA {(self.total - self.done) / rate:.0f}s" if rate else "ETA ?"
        retries, timeouts, flight = self.retries, 0, ""
        if self.pacing is not None:
            retries = max(retries, self.pacing.retries)
            timeouts = self.pacing.timeouts
            flight = (
                f"{self.pacing.in_flight} in flight (at most {self.pacing.limit} of {self.pacing.ceiling}), "
            )
        return (
            f"{self.label}: {self.done}/{self.total} requests, {flight}{rate:.1f}/s, "
            f"{retries} retries, {timeouts} timeouts, {self.failed} failed, {eta}"
        )


async def request_all(
    model: Model,
    prompts: Mapping[str, str],
    *,
    concurrency: int,
    cache: ResponseCache | None,
    progress: Progress | None = None,
    timeout: float = 120.0,
) -> tuple[dict[str, Completion], Accounting]:
    """Complete every prompt (cache key -> prompt), at most ``concurrency`` in flight
    (fewer while the server shows it cannot take more; ``timeout`` is its per-attempt deadline).

    Each usable answer is written to the cache as it arrives; failures are noted for this
    run only. An EndpointError (bad key, unknown model, the same refusal on the first few
    prompts) cancels everything and is raised at once. A stop (``pacing.STOP``) cancels
    everything too; the prompts not answered then come back as not asked.
    """
    accounting = Accounting()
    pacing = Pacing(concurrency, timeout)
    if isinstance(model, OpenAIChat):
        model.pacing = pacing
    if progress is not None:
        progress.pacing = pacing
    started = time.monotonic()
    gate = asyncio.Semaphore(max(1, concurrency))
    opened = asyncio.Event()  # set at the first reply that is not a refusal: then full concurrency
    answered = False  # refusals alike on the first prompts, before any answer, stop the run
    lead = asyncio.Lock()
    refusals: Counter[str] = Counter()
    stopped: list[EndpointError] = []  # once the run is stopped, no waiting prompt is sent
    results: dict[str, Completion] = {}

    def settle(key: str, completion: Completion) -> None:
        nonlocal answered
        results[key] = completion
        accounting.requests += 1 + completion.retries
        accounting.retries += completion.retries
        accounting.prompt_tokens += completion.prompt_tokens
        accounting.completion_tokens += completion.completion_tokens
        accounting.reasoning_tokens += completion.reasoning_tokens
        if completion.error is not None:
            accounting.failed += 1
            if cache is not None:
                cache.put_failure(key, completion.error, refused=completion.refused)
        else:
            answered = True
            if cache is not None:
                cache.put(key, model.name, prompts[key], completion)
        if not completion.refused:
            opened.set()
        if progress is not None:
            progress.tick(completion)
        if completion.refused and not answered:
            signature = re.sub(r"\d+", "#", completion.error or "")  # "9000 tokens" and "9100 tokens" agree
            refusals[signature] += 1
            if refusals[signature] >= REPEATED_REFUSALS:
                said = re.sub(r" \(\d+ attempts?\)$", "", completion.error or "").rstrip(".")
                stopped.append(
                    EndpointError(
                        f"the endpoint {model.endpoint} refused the first {REPEATED_REFUSALS} prompts alike, "
                        f"so it would refuse every prompt: {said}. Nothing else was asked; check "
                        "--model, --max-tokens, --temperature and --base-url"
                    )
                )
                raise stopped[0]

    async def ask(prompt: str) -> Completion:
        try:
            return await model.complete(prompt)
        except (EndpointError, asyncio.CancelledError):
            raise
        except Exception as exc:  # one prompt's surprise must not end the run
            return Completion(
                text=None, error=f"no answer: {type(exc).__name__}: {exc}", endpoint=model.endpoint
            )

    async def one(key: str, prompt: str) -> None:
        async with gate:
            if not opened.is_set():
                async with lead:
                    if stopped:
                        return
                    if not opened.is_set():
                        settle(key, await ask(prompt))
                        return
            completion = await ask(prompt)
        settle(key, completion)

    async def watch_for_stop() -> None:
        while not STOP.requested():
            await asyncio.sleep(0.05)

    tasks = [asyncio.ensure_future(one(k, p)) for k, p in prompts.items()]
    helpers = [asyncio.ensure_future(watch_for_stop())]
    if progress is not None:
        helpers.append(asyncio.ensure_future(progress.keep_showing()))
    try:
        everything: asyncio.Future[list[None]] = asyncio.gather(*tasks)
        stop_watch: asyncio.Future[Any] = helpers[0]
        done, _ = await asyncio.wait([everything, stop_watch], return_when=asyncio.FIRST_COMPLETED)
        if everything in done:
            everything.result()  # an EndpointError stops the run here
    except EndpointError:
        raise
    finally:
        for task in [*tasks, *helpers]:
            task.cancel()
        await asyncio.gather(*tasks, *helpers, return_exceptions=True)
        accounting.seconds = time.monotonic() - started
        if isinstance(model, OpenAIChat):
            model.pacing = None
    for key in prompts.keys() - results.keys():
        results[key] = Completion(text=None, error=INTERRUPTED, endpoint=model.endpoint)
    if progress is not None and progress.done < progress.total:
        progress.show(final=True)  # interrupted: the last line says how far it got
    return results, accounting
