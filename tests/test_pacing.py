"""Requests in flight follow the server: --concurrency is a ceiling, not a flood."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from giebench_fixtures.asking.pacing import Pacing, Stop

from .live_helpers import answering_server, live_gate, small_data


def _replies(pacing: Pacing, count: int, seconds: float, outcome: str = "ok") -> None:
    """``count`` attempts, one after another, each taking ``seconds`` (as the window sees it)."""

    async def go() -> None:
        for _ in range(count):
            started = await pacing.acquire()
            pacing.release(started, outcome, now=started + seconds)

    asyncio.run(go())


def test_the_window_doubles_while_replies_stay_fast_up_to_the_ceiling() -> None:
    pacing = Pacing(ceiling=6, deadline=120, stop=Stop())
    assert pacing.limit == 1  # one request until the server has answered
    _replies(pacing, 4, 1.0)  # a window is judged on twice its size in replies, at least 4
    assert pacing.limit == 2
    _replies(pacing, 4, 1.0)
    assert pacing.limit == 4
    _replies(pacing, 8, 1.0)
    assert pacing.limit == 6  # never above --concurrency


def test_the_window_halves_on_a_timeout_or_a_429_and_then_grows_by_one() -> None:
    pacing = Pacing(ceiling=32, deadline=120, stop=Stop())
    for _ in range(4):
        _replies(pacing, max(2 * pacing.limit, 4), 1.0)
    assert pacing.limit == 16
    _replies(pacing, 1, 120.0, "timeout")
    assert pacing.limit == 8 and pacing.timeouts == 1
    _replies(pacing, 1, 0.1, "throttled")
    assert pacing.limit == 4
    _replies(pacing, 8, 1.0)
    assert pacing.limit == 5  # after a setback: one more per window, no longer doubling


def test_the_window_stops_growing_when_the_server_queues_and_shrinks_when_replies_crawl() -> None:
    pacing = Pacing(ceiling=32, deadline=120, stop=Stop())
    _replies(pacing, 4, 1.0)  # one in flight: a reply takes 1 s
    assert pacing.limit == 2
    _replies(pacing, 4, 2.0)  # two in flight, replies take twice as long: queued at the server
    assert pacing.limit == 2
    _replies(pacing, 4, 3.5)
    assert pacing.limit == 1


def test_no_growth_toward_the_deadline() -> None:
    pacing = Pacing(ceiling=32, deadline=10, stop=Stop())
    _replies(pacing, 4, 3.0)  # flat, but 3 s is over a quarter of the 10 s deadline
    assert pacing.limit == 1


def test_a_one_slot_server_is_never_flooded_and_no_attempt_times_out(tmp_path: Path) -> None:
    """--concurrency=32 against a server that serves one request at a time and 0.5 s each:
    sending all nine at once would keep the last ones queued past the 3 s deadline (4.5 s),
    while two in flight wait 1 s at most: 2 s to spare for a busy machine."""
    data = small_data(tmp_path / "data")
    with answering_server(slots=1, latency=0.5) as server:
        run, report = live_gate(
            server, data, tmp_path, "-k", "Gryphon", "--concurrency=32", "--request-timeout=3"
        )
    assert report is not None, run.stdout[-2000:]
    assert server.peak_in_flight <= 2
    assert [r.attempt for r in server.served()] == [1] * 9  # nothing cancelled and redone
    assert report["accounting"]["retries"] == 0
    assert sum(r["verdict"] is not None for r in report["results"]) == 9


def test_the_progress_line_shows_from_the_first_request_with_timeouts_and_concurrency(tmp_path: Path) -> None:
    data = small_data(tmp_path / "data")
    with answering_server(
        fault=lambda p, attempt: "slow" if attempt == 1 and "Question 0" in p else None, slow_seconds=2.0
    ) as server:
        run, report = live_gate(server, data, tmp_path, "-k", "Druid", "--request-timeout=0.5")
    assert report is not None, run.stdout[-2000:]
    lines = [line for line in run.stderr.splitlines() if re.search(r"\d+/9 requests", line)]
    assert lines and lines[0].startswith("giebench judge-1: 0/9 requests, "), run.stderr[-2000:]
    assert "in flight (at most 1 of 32)" in lines[0]
    last = lines[-1]
    assert "9/9 requests" in last
    timeouts = int(re.search(r"(\d+) timeouts", last).group(1))  # type: ignore[union-attr]
    retries = int(re.search(r"(\d+) retries", last).group(1))  # type: ignore[union-attr]
    assert timeouts >= 3 and retries >= 3  # the three "Question 0" prompts, at least once each
