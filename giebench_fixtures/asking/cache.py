"""A crash-safe response cache, shared by every process of a run and by later runs.

One SQLite file in WAL mode: each usable answer is committed the moment it arrives, so a
killed run loses only the requests in flight, and xdist workers read each other's
answers. Keyed by model, sampling settings, endpoint (scheme, host and path: never
credentials) and the exact prompt, so another endpoint serving the same model name never
reuses these answers. Only usable answers are kept (``replies.classify``); failures are
noted for the current run only, read by no other run, and removed when the run ends.
Never a key or a header. Lives in ``$GIEBENCH_CACHE_DIR`` (default
``$XDG_CACHE_HOME/giebench``, else ``~/.cache/giebench``); ``giebench cache clear``
empties it.
"""

from __future__ import annotations

import hashlib
import json
import random
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from giebench_fixtures.asking.completion import Completion, Sampling
from giebench_fixtures.data.repository import CACHE_ENV
from giebench_fixtures.errors import GiebenchError

RESPONSES_FILE = "responses.sqlite3"
_CHUNK = 500
FAILURES_KEPT = 24 * 3600.0


def _prepare(db: sqlite3.Connection) -> None:
    """WAL mode and the tables; every statement can run again (IF NOT EXISTS, DELETE)."""
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA secure_delete=ON")  # removed rows leave no text behind
    db.execute(
        "CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, model TEXT NOT NULL, "
        "endpoint TEXT NOT NULL, prompt_sha TEXT NOT NULL, body TEXT NOT NULL, created REAL NOT NULL)"
    )
    db.execute("CREATE INDEX IF NOT EXISTS answers_by_prompt ON answers (model, prompt_sha)")
    # Failures belong to one run: its end removes them (``forget_run``), and a run that
    # never ended (killed) leaves rows that expire after FAILURES_KEPT seconds.
    db.execute("DROP TABLE IF EXISTS run_failures")  # before 0.3: never removed
    db.execute(
        "CREATE TABLE IF NOT EXISTS failures (run TEXT, key TEXT, error TEXT, refused INTEGER, "
        "created REAL NOT NULL, PRIMARY KEY (run, key))"
    )
    db.execute("DELETE FROM failures WHERE created < ?", (time.time() - FAILURES_KEPT,))


def _prepare_patiently(db: sqlite3.Connection, patience: float = 60.0) -> None:
    """When several workers open a new cache at once, SQLite can answer "database is locked"
    at once (switching to WAL, first reads of the new log) without waiting on its busy
    timeout: so wait here, and prepare again."""
    deadline = time.monotonic() + patience
    while True:
        try:
            _prepare(db)
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(random.uniform(0.01, 0.05))


def prompt_hash(prompt: str) -> str:
    return hashlib.sha256(prompt.encode("utf-8")).hexdigest()


def cache_key(model: str, sampling: Sampling, prompt: str, endpoint: str | None = None) -> str:
    """The identity of an answer: model, sampling settings, endpoint and the exact prompt."""
    settings = json.dumps({"model": model, "endpoint": endpoint, **sampling.as_dict()}, sort_keys=True)
    return hashlib.sha256(f"{settings}\0{prompt}".encode()).hexdigest()


class ResponseCache:
    """Usable answers by cache key; safe for concurrent processes."""

    def __init__(self, path: Path, run_id: str = "") -> None:
        self.path = path
        self.run_id = run_id  # failures are kept for this run only, so other workers stop waiting
        fix = f"move it away or run 'giebench cache clear' (set ${CACHE_ENV} to use another folder)"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise GiebenchError(
                f"the response cache folder {path.parent} cannot be created ({exc}); {fix}"
            ) from None
        try:
            self._db = sqlite3.connect(path, timeout=60, isolation_level=None, check_same_thread=False)
            _prepare_patiently(self._db)
        except sqlite3.Error as exc:
            raise GiebenchError(f"the response cache {path} cannot be used ({exc}); {fix}") from None

    def get_many(self, keys: Iterable[str]) -> dict[str, Completion]:
        found: dict[str, Completion] = {}
        for chunk in _chunks(list(keys)):
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT key, endpoint, body FROM answers WHERE key IN ({marks})", chunk
            ).fetchall()
            for key, endpoint, body in rows:
                completion = _completion(body, endpoint)
                if completion is not None:
                    found[key] = completion
        return found

    def put(self, key: str, model: str, prompt: str, completion: Completion) -> None:
        """Keep a usable answer; anything else is refused (it would be replayed as an answer)."""
        if completion.error is not None or completion.text is None or completion.endpoint is None:
            raise ValueError("only usable answers from an endpoint are cached")
        body = json.dumps(
            {
                "text": completion.text,
                "finish_reason": completion.finish_reason,
                "prompt_tokens": completion.prompt_tokens,
                "completion_tokens": completion.completion_tokens,
                "reasoning_tokens": completion.reasoning_tokens,
                "system_fingerprint": completion.system_fingerprint,
                "sent": completion.sent,
                "served_model": completion.served_model,
            },
            sort_keys=True,
        )
        self._db.execute(
            "INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?, ?)",
            (key, model, completion.endpoint, _short_hash(prompt), body, time.time()),
        )

    def answered_elsewhere(self, model: str, prompts: Iterable[str], endpoint: str) -> dict[str, int]:
        """Other endpoints that answered any of these prompts under this model name: endpoint -> prompts."""
        counts: dict[str, set[str]] = {}
        for chunk in _chunks(sorted({_short_hash(p) for p in prompts})):
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                "SELECT DISTINCT endpoint, prompt_sha FROM answers "
                f"WHERE model = ? AND prompt_sha IN ({marks}) AND endpoint != ?",
                [model, *chunk, endpoint],
            ).fetchall()
            for other, sha in rows:
                counts.setdefault(other, set()).add(sha)
        return {other: len(shas) for other, shas in sorted(counts.items())}

    def put_failure(self, key: str, error: str, *, refused: bool = False) -> None:
        """Note, for this run only, that a prompt failed after its retries ('*': the whole run)."""
        self._db.execute(
            "INSERT OR REPLACE INTO failures VALUES (?, ?, ?, ?, ?)",
            (self.run_id, key, error, int(refused), time.time()),
        )

    def forget_run(self) -> None:
        """Remove this run's failures: they were notes for its workers, not answers."""
        self._db.execute("DELETE FROM failures WHERE run = ?", (self.run_id,))

    def failure_count(self) -> int:
        """Failure rows of every run still kept (for ``giebench cache info`` and tests)."""
        return int(self._db.execute("SELECT COUNT(*) FROM failures").fetchone()[0])

    def failures(self, keys: Iterable[str]) -> dict[str, tuple[str, bool]]:
        """This run's failures among keys (error, refused), and '*' if the whole run was stopped."""
        found: dict[str, tuple[str, bool]] = {}
        for chunk in _chunks([*keys, "*"]):
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT key, error, refused FROM failures WHERE run = ? AND key IN ({marks})",
                [self.run_id, *chunk],
            ).fetchall()
            found.update((key, (error, bool(refused))) for key, error, refused in rows)
        return found

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM answers").fetchone()[0])

    def close(self) -> None:
        self._db.close()


def _short_hash(prompt: str) -> str:
    """Enough of the prompt's hash to tell prompts apart in a note (the key holds the full one)."""
    return prompt_hash(prompt)[:16]


def _chunks(values: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _completion(body: str, endpoint: str) -> Completion | None:
    """A cached answer, or None for a row that is not one (it is then asked again)."""
    try:
        data: Any = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        return None
    sent, served = data.get("sent"), data.get("served_model")
    return Completion(
        served_model=served if isinstance(served, str) else None,
        text=data["text"],
        finish_reason=data.get("finish_reason"),
        prompt_tokens=data.get("prompt_tokens", 0),
        completion_tokens=data.get("completion_tokens", 0),
        reasoning_tokens=data.get("reasoning_tokens", 0),
        system_fingerprint=data.get("system_fingerprint"),
        endpoint=endpoint,
        sent=sent if isinstance(sent, dict) else None,
    )
