"""A crash-safe response cache, shared by every process of a run and by later runs.

One SQLite file in WAL mode: each response is committed the moment it arrives, so a
killed run loses only the requests in flight, and xdist workers read each other's
answers. Keyed by model, sampling settings and the exact prompt; it never holds a key
or a header. Lives in ``$GIEBENCH_CACHE_DIR`` (default ``$XDG_CACHE_HOME/giebench``,
else ``~/.cache/giebench``); ``giebench cache clear`` empties it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .errors import GiebenchError
from .models import Completion, Sampling

CACHE_ENV = "GIEBENCH_CACHE_DIR"
RESPONSES_FILE = "responses.sqlite3"


def cache_dir() -> Path:
    """Where giebench keeps downloaded data and cached responses."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "giebench"


def prompt_hash(prompt: str) -> str:
    return hashlib.sha256(prompt.encode("utf-8")).hexdigest()


def cache_key(model: str, sampling: Sampling, prompt: str) -> str:
    settings = json.dumps({"model": model, **sampling.as_dict()}, sort_keys=True)
    return hashlib.sha256(f"{settings}\0{prompt}".encode()).hexdigest()


class ResponseCache:
    """Completed responses by cache key; safe for concurrent processes."""

    def __init__(self, path: Path, run_id: str = "") -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.run_id = run_id  # failures are kept for this run only, so other workers stop waiting
        try:
            self._db = sqlite3.connect(path, timeout=60, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, model TEXT, "
                "body TEXT NOT NULL, created REAL NOT NULL)"
            )
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS failures (run TEXT, key TEXT, error TEXT, PRIMARY KEY (run, key))"
            )
        except sqlite3.Error as exc:
            raise GiebenchError(
                f"the response cache {path} cannot be used ({exc}); move it away or run "
                f"'giebench cache clear' (set ${CACHE_ENV} to use another folder)"
            ) from None

    def get_many(self, keys: Iterable[str]) -> dict[str, Completion]:
        wanted = list(keys)
        found: dict[str, Completion] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT key, body FROM responses WHERE key IN ({marks})", chunk
            ).fetchall()
            found.update((key, _completion(json.loads(body))) for key, body in rows)
        return found

    def put(self, key: str, model: str, completion: Completion) -> None:
        body = json.dumps(
            {
                "text": completion.text,
                "prompt_tokens": completion.prompt_tokens,
                "completion_tokens": completion.completion_tokens,
                "system_fingerprint": completion.system_fingerprint,
            }
        )
        self._db.execute(
            "INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?)", (key, model, body, time.time())
        )

    def put_failure(self, key: str, error: str) -> None:
        """Note, for this run only, that a prompt failed after its retries ('*': the whole run)."""
        self._db.execute("INSERT OR REPLACE INTO failures VALUES (?, ?, ?)", (self.run_id, key, error))

    def failures(self, keys: Iterable[str]) -> dict[str, str]:
        """This run's failures among keys, and '*' if the whole run was stopped."""
        wanted = [*keys, "*"]
        found: dict[str, str] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT key, error FROM failures WHERE run = ? AND key IN ({marks})", [self.run_id, *chunk]
            ).fetchall()
            found.update(rows)
        return found

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def close(self) -> None:
        self._db.close()


def _completion(body: dict[str, Any]) -> Completion:
    return Completion(
        text=body["text"],
        prompt_tokens=body.get("prompt_tokens", 0),
        completion_tokens=body.get("completion_tokens", 0),
        system_fingerprint=body.get("system_fingerprint"),
    )
