"""Asking the model for many prompts at once, bounded, cached and with progress."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, TextIO

from .cache import ResponseCache
from .errors import EndpointError
from .models import Completion, Model


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
    """done/total, rate, retries and ETA: redrawn in place on a terminal, a line every
    ``every`` seconds in a CI log."""

    total: int
    label: str = "giebench"
    stream: TextIO = field(default_factory=lambda: sys.__stderr__ or sys.stderr)
    every: float = 10.0
    done: int = 0
    retries: int = 0
    failed: int = 0
    started: float = field(default_factory=time.monotonic)
    _last: float = 0.0

    def tick(self, completion: Completion) -> None:
        self.done += 1
        self.retries += completion.retries
        self.failed += completion.error is not None
        now = time.monotonic()
        interactive = self.stream.isatty()
        if self.done == self.total or now - self._last >= (0.2 if interactive else self.every):
            self._last = now
            self.stream.write(("\r" if interactive else "") + self.line(now) + ("" if interactive else "\n"))
            if interactive and self.done == self.total:
                self.stream.write("\n")
            self.stream.flush()

    def line(self, now: float) -> str:
        elapsed = max(now - self.started, 1e-9)
        rate = self.done / elapsed
        eta = (self.total - self.done) / rate if rate else 0.0
        return (
            f"{self.label}: {self.done}/{self.total} requests, {rate:.1f}/s, "
            f"{self.retries} retries, {self.failed} failed, ETA {eta:.0f}s"
        )


async def request_all(
    model: Model,
    prompts: Mapping[str, str],
    *,
    concurrency: int,
    cache: ResponseCache | None,
    progress: Progress | None = None,
) -> tuple[dict[str, Completion], Accounting]:
    """Complete every prompt (cache key -> prompt), at most ``concurrency`` in flight.

    Each completed response is written to the cache as it arrives. An EndpointError
    (bad key, unknown model) cancels everything and is raised at once.
    """
    accounting = Accounting()
    started = time.monotonic()
    gate = asyncio.Semaphore(max(1, concurrency))
    results: dict[str, Completion] = {}

    async def one(key: str, prompt: str) -> None:
        async with gate:
            completion = await model.complete(prompt)
        results[key] = completion
        accounting.requests += 1 + completion.retries
        accounting.retries += completion.retries
        accounting.prompt_tokens += completion.prompt_tokens
        accounting.completion_tokens += completion.completion_tokens
        if completion.error is not None:
            accounting.failed += 1
            if cache is not None:
                cache.put_failure(key, completion.error)
        elif cache is not None:
            cache.put(key, model.name, completion)
        if progress is not None:
            progress.tick(completion)

    tasks = [asyncio.ensure_future(one(k, p)) for k, p in prompts.items()]
    try:
        await asyncio.gather(*tasks)
    except EndpointError:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    finally:
        accounting.seconds = time.monotonic() - started
    return results, accounting
