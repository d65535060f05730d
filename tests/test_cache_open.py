"""xdist workers opening a new response cache at the same moment all get it."""

from __future__ import annotations

import multiprocessing
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path

from giebench_fixtures.asking.cache import ResponseCache
from giebench_fixtures.errors import GiebenchError

WORKERS = 6
ROUNDS = 30


def _open_at_once(path: Path, start: Barrier, results: Queue[str]) -> None:
    start.wait()
    try:
        ResponseCache(path, "run")
        results.put("ok")
    except GiebenchError as exc:
        results.put(str(exc))


def test_workers_opening_a_new_cache_at_once_all_get_it(tmp_path: Path) -> None:
    # SQLite can answer "database is locked" at once, without its busy timeout, when several
    # connections switch a new file to WAL together: before the fix about one open in 30 failed
    # this way, and with it the whole run (`pytest -n 2` on a fresh $GIEBENCH_CACHE_DIR).
    fork = multiprocessing.get_context("fork")
    failures: list[str] = []
    for round_ in range(ROUNDS):
        start, results = fork.Barrier(WORKERS), fork.Queue()
        path = tmp_path / f"round-{round_}" / "responses.sqlite3"
        workers = [fork.Process(target=_open_at_once, args=(path, start, results)) for _ in range(WORKERS)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(timeout=120)
        failures += [r for r in (results.get(timeout=10) for _ in workers) if r != "ok"]
    assert failures == []
