"""Where things live: the repository a command works on (the one the user runs in, never the
install location), and giebench's cache folder.

giebench may be installed with ``pip install .`` (into site-packages) or ``pip install -e .``;
either way ``data/sample``, ``thresholds.toml`` and ``tests_bench/__snapshots__`` are those
of the checkout the user is in: found from the current directory (the ``giebench`` command)
or pytest's rootdir (the plugin), walking up to the first folder that holds one of them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from giebench_fixtures.errors import GiebenchError

MARKERS = ("tests_bench", "thresholds.toml", "data/sample")
CACHE_ENV = "GIEBENCH_CACHE_DIR"


def find_repository(start: Path) -> Path | None:
    """The nearest folder at or above start that looks like a giebench checkout."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if any((folder / marker).exists() for marker in MARKERS):
            return folder
    return None


def require_repository(start: Path, needed_for: str) -> Path:
    """find_repository, or one line saying where giebench looked and what it needs."""
    found = find_repository(start)
    if found is None:
        raise GiebenchError(
            f"{needed_for} needs a giebench checkout: none found at {start.resolve()} or above "
            f"(a folder holding {', '.join(MARKERS)}); run it from the repository"
        )
    return found


def cache_dir() -> Path:
    """Where giebench keeps downloaded data and cached responses."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "giebench"


def unasked_by_any_module(root: Path, dimensions: list[str]) -> list[str]:
    """Dimensions of the data that no gate module in root/tests_bench would ask."""
    bench = root / "tests_bench"
    if not bench.is_dir():
        return []
    declared = declared_dimensions(bench)
    generic = any("OTHER_DIMENSIONS = True" in m.read_text(errors="replace") for m in bench.glob("test_*.py"))
    return [] if generic else [d for d in dimensions if d not in declared]


def declared_dimensions(folder: Path) -> set[str]:
    """The DIMENSION each gate module of a folder declares, read without importing them."""
    found = set()
    for module in folder.glob("test_*.py"):
        match = _DECLARED.search(module.read_text(encoding="utf-8", errors="replace"))
        if match:
            found.add(match.group(1))
    return found


_DECLARED = re.compile(r"^DIMENSION\s*=\s*[\"']([^\"']+)[\"']", re.M)
