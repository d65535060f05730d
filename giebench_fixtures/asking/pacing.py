"""How many requests are in flight: an adaptive window under ``--concurrency``, and the stop.

A local server (llama.cpp, Ollama) has a few slots and queues the rest; a hosted API
throttles with 429/503. Sending ``--concurrency`` requests at once to either makes them
wait at the server, and a wait longer than ``--request-timeout`` cancels the attempt and
throws the server's work away. So the window starts small and follows the server
(additive increase, multiplicative decrease):

- it starts at one request and doubles per window of successful replies while replies come
  back about as fast as the fastest seen (the server is not queueing them) and well inside
  the deadline; once they slow down, it grows by one per window under the same condition;
- it halves on an attempt that timed out or was answered 429/503, and shrinks by one when
  replies take far longer than the fastest or near half the deadline.

Against a one-slot llama.cpp server it settles at one or two in flight; against a hosted API
it reaches 32 after about thirty replies.

An attempt's deadline starts when it leaves this window, never while it waits here.

The stop is shared by every process of a run: a signal sets it here, and the controller
also leaves a marker file the workers see (``stop_marker``), so no process starts a request
after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from pathlib import Path

START = 1  # requests in flight before the server has shown what it can take
QUEUEING = 1.5  # a window's median latency this many times the best one means the server queues
HEADROOM = 4  # grow only while replies take under a quarter of the deadline


class Stop:
    """Whether the run was asked to stop: in this process, or by the controller's marker."""

    def __init__(self) -> None:
        self.here = False
        self.marker: Path | None = None

    def requested(self) -> bool:
        return self.here or (self.marker is not None and self.marker.exists())

    def request(self, *, leave_marker: bool = False) -> None:
        self.here = True
        if leave_marker and self.marker is not None:
            try:
                self.marker.parent.mkdir(parents=True, exist_ok=True)
                self.marker.touch()
            except OSError:
                pass  # workers then stop on their own signal or when the controller ends them


STOP = Stop()


def stop_marker(folder: Path, run_id: str) -> Path:
    """The file the controller leaves for its workers when the run is interrupted."""
    return folder / f"stop-{run_id}"


class Pacing:
    """The window of attempts in flight, and live counts for the progress line."""

    def __init__(self, ceiling: int, deadline: float, *, start: int = START, stop: Stop = STOP) -> None:
        self.ceiling = max(1, ceiling)
        self.deadline = deadline
        self.stop = stop
        self.window = float(min(start, self.ceiling))
        self.in_flight = 0
        self.attempts = 0
        self.retries = 0
        self.timeouts = 0
        self.throttled = 0
        self.most_in_flight = 0
        self._doubling = True  # until the first sign of queueing or throttling
        self._best: float | None = None  # the lowest window median latency seen
        self._latencies: list[float] = []
        self._resized = 0.0  # when the window last changed
        self._room = asyncio.Event()
        self._room.set()

    @property
    def limit(self) -> int:
        return max(1, int(self.window))

    async def acquire(self, *, retry: bool = False) -> float:
        """Wait for room in the window (forever once the run is stopped: the runner then
        cancels); returns when the attempt may start."""
        while True:
            if self.in_flight < self.limit and not self.stop.requested():
                break
            self._room.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._room.wait(), 0.1)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        self.attempts += 1
        self.retries += retry
        return time.monotonic()

    def release(self, started: float, outcome: str, *, now: float | None = None) -> None:
        """An attempt ended: ``ok``, ``timeout``, ``throttled`` (429/503) or ``error``."""
        self.in_flight -= 1
        ended = time.monotonic() if now is None else now
        if outcome == "timeout":
            self.timeouts += 1
        if outcome in ("timeout", "throttled"):
            self.throttled += outcome == "throttled"
            self._resize(max(1.0, self.window / 2))
            self._doubling = False
        elif outcome == "ok" and started >= self._resized:
            self._grow(ended - started)
        self._room.set()

    def _resize(self, window: float) -> None:
        """A new window: only attempts started from now on tell how the server takes it."""
        self.window = window
        self._resized = time.monotonic()
        self._latencies.clear()

    def _grow(self, latency: float) -> None:
        self._latencies.append(latency)
        # Two rounds of the window: the first attempts of a larger window meet no queue yet.
        if len(self._latencies) < max(2 * self.limit, 4):
            return
        median = statistics.median(self._latencies)
        self._latencies.clear()
        self._best = median if self._best is None else min(self._best, median)
        flat = median <= QUEUEING * self._best and median * HEADROOM <= self.deadline
        if not flat:
            self._doubling = False
        if (median > QUEUEING * 2 * self._best or median * 2 > self.deadline) and self.window > 1:
            self._resize(self.window - 1)  # replies take far longer than they did: the server queues
        elif flat and self.window < self.ceiling:
            grown = self.window * 2 if self._doubling else self.window + 1
            self._resize(min(float(self.ceiling), grown))
