"""Checking a run's option values before the first request, and naming endpoints safely.

Every check raises ``OptionError`` with one line naming the option, the value given and
what is allowed; the plugin turns it into pytest's usage error (exit code 4). A URL is
never echoed with the credentials it may hold: ``public_endpoint`` keeps scheme, host,
port and path, and ``masked`` hides the user-info part.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from giebench_fixtures.errors import OptionError

REASONING_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")
MAX_CONCURRENCY = 1000  # the openai client's connection pool holds 1000 connections
MAX_RETRIES = 100


@dataclass(frozen=True)
class RunValues:
    """The option values of a run that can be wrong in ways argparse does not catch."""

    temperature: float
    max_tokens: int | None
    concurrency: int
    max_retries: int
    request_timeout: float
    base_url: str | None
    base_url_source: str = "--base-url"  # or "$OPENAI_BASE_URL"


def check_run_values(values: RunValues) -> None:
    """Raise OptionError for the first value that cannot work."""
    if not math.isfinite(values.temperature) or not 0 <= values.temperature <= 2:
        raise OptionError(f"--temperature={values.temperature}: must be a number from 0 to 2")
    if values.max_tokens is not None and values.max_tokens < 1:
        raise OptionError(f"--max-tokens={values.max_tokens}: must be a whole number of at least 1")
    if not 1 <= values.concurrency <= MAX_CONCURRENCY:
        raise OptionError(
            f"--concurrency={values.concurrency}: must be a whole number from 1 to {MAX_CONCURRENCY}"
        )
    if not 0 <= values.max_retries <= MAX_RETRIES:
        raise OptionError(
            f"--max-retries={values.max_retries}: must be a whole number from 0 to {MAX_RETRIES}"
        )
    if not math.isfinite(values.request_timeout) or values.request_timeout <= 0:
        raise OptionError(
            f"--request-timeout={values.request_timeout}: must be a number of seconds greater than 0"
        )
    if values.base_url is not None:
        check_base_url(values.base_url, values.base_url_source)


def check_base_url(url: str, source: str = "--base-url") -> None:
    """An http(s) URL with a host, e.g. http://localhost:8000/v1."""
    allowed = "an http:// or https:// URL with a host, e.g. http://localhost:8000/v1"
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError as exc:
        raise OptionError(f"{source}={masked(url)}: not a valid URL ({exc}); expected {allowed}") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise OptionError(f"{source}={masked(url)}: expected {allowed}")
    if any(c.isspace() for c in url):
        raise OptionError(f"{source}={masked(url)}: contains white space; expected {allowed}")
    if parts.query or parts.fragment or url.rstrip().endswith(("?", "#")):
        # The client appends /chat/completions to the whole text: a query would become the path.
        raise OptionError(
            f"{source}={masked(url)}: a query string or fragment is not sent with each request; "
            f"pass the key in $OPENAI_API_KEY and give {allowed}"
        )


def public_endpoint(url: str) -> str:
    """The endpoint as giebench names it: scheme, host, port and path; never user, password
    or query (where keys are sometimes passed)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return masked(url)
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port is not None else host
    path = parts.path.rstrip("/")
    return f"{parts.scheme.lower()}://{netloc}{path}"


def masked(url: str) -> str:
    """A URL as given, with any user-info (``user:password@``) and query replaced by ***."""
    hidden = re.sub(r"(?<=://)[^/?#]*@", "***@", url)
    return re.sub(r"\?.*$", "?***", hidden)


def check_cache_dir(path: Path) -> None:
    """The response cache folder must be a folder giebench can create and write in."""
    named = _cache_dir_named(path)
    fix = "set $GIEBENCH_CACHE_DIR to a folder giebench may write in"
    try:
        if path.exists() and not path.is_dir():
            raise OptionError(f"{named}: a file, not a folder; {fix}")
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OptionError(f"{named}: cannot be created ({exc.strerror or exc}); {fix}") from None
    try:
        with tempfile.TemporaryFile(dir=path, prefix=".giebench-write-check-"):
            pass
    except OSError as exc:
        raise OptionError(f"{named}: cannot be written ({exc.strerror or exc}); {fix}") from None


def _cache_dir_named(path: Path) -> str:
    if os.environ.get("GIEBENCH_CACHE_DIR"):
        return f"$GIEBENCH_CACHE_DIR={path}"
    if os.environ.get("XDG_CACHE_HOME"):
        return f"the cache folder {path} (from $XDG_CACHE_HOME)"
    return f"the cache folder {path}"


USAGE = (
    "choose a model to judge: pytest tests_bench --model=NAME "
    "(e.g. --model=baseline:random offline, or --model=gpt-4o with $OPENAI_API_KEY)"
)


# The pytest options of the main job, one group, one place: (flag, dest, argparse keywords).
# Where a flag has a default it is here; the plugin registers them as ``giebench_<dest>``.
PYTEST_OPTIONS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("--model", "model", {"help": "model name sent to the endpoint, baseline:random or baseline:CUE"}),
    (
        "--base-url",
        "base_url",
        {"help": "OpenAI-compatible endpoint (default $OPENAI_BASE_URL, else OpenAI)"},
    ),
    ("--data", "data", {"help": "sample, official, or a folder in the GIEBench layout"}),
    ("--variants", "variants", {"default": "raw,id,cot", "help": "comma list of raw,id,cot"}),
    ("--concurrency", "concurrency", {"type": int, "default": 32, "help": "requests in flight, per process"}),
    (
        "--thresholds",
        "thresholds",
        {"help": "thresholds file (default: thresholds.toml at the repository root)"},
    ),
    ("--live", "live", {"action": "store_true", "help": "call the model even where a recording exists"}),
    ("--temperature", "temperature", {"type": float, "default": 0.0, "help": "sampling temperature"}),
    ("--max-tokens", "max_tokens", {"type": int, "default": 1024, "help": "completion token limit"}),
    ("--seed", "seed", {"type": int, "help": "sampling seed (also seeds baseline:random)"}),
    (
        "--reasoning-effort",
        "reasoning_effort",
        {
            "choices": REASONING_EFFORTS,
            "metavar": "LEVEL",
            "help": f"reasoning models' effort, sent only when given: {', '.join(REASONING_EFFORTS)}",
        },
    ),
    (
        "--shuffle-answers",
        "shuffle_answers",
        {
            "type": int,
            "metavar": "SEED",
            "help": "re-order each item's answers (seeded) to expose position bias",
        },
    ),
    (
        "--circular",
        "circular",
        {"action": "store_true", "help": "ask every item in its four rotations; right only if all four are"},
    ),
    ("--max-retries", "max_retries", {"type": int, "default": 4, "help": "retries per request"}),
    (
        "--request-timeout",
        "request_timeout",
        {"type": float, "default": 120.0, "help": "seconds per attempt"},
    ),
    ("--giebench-report", "report", {"help": "write the JSON report here"}),
    ("--giebench-markdown", "markdown", {"help": "write a markdown summary here"}),
    ("--giebench-csv", "csv", {"help": "write per-identity accuracy as CSV here"}),
    ("--giebench-html", "html", {"help": "write a self-contained HTML report here"}),
)
