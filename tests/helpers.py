"""Shared helpers for giebench's own tests: data folders in the official layout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import Any

from giebench_fixtures.data.sample import expand_sets
from giebench_fixtures.data.template import render_layout

ROOT = Path(__file__).resolve().parent.parent
# The gate uses no hypothesis, whose pytest plugin costs every pytest process about a second
# of imports; the suite starts dozens of them.
NO_HYPOTHESIS = ("-p", "no:hypothesispytest")


def invented_items(identities: dict[str, Sequence[str]], per_identity: int = 3) -> list[dict[str, Any]]:
    """Items for made-up identities: dimension -> identity names."""
    items = []
    letters = "ABCD"
    for dimension, names in identities.items():
        for name in names:
            for n in range(per_identity):
                key = f"{dimension.lower()}-{name.lower().replace(' ', '_')}-{n}"
                items.append(
                    {
                        "key": key,
                        "dimension": dimension,
                        "identity": name,
                        "question": f"Question {n} for {name}: should the {name} folk do thing {key}?",
                        "answers": [f"Answer {a} to {key}, written plainly." for a in letters],
                        "correct": letters[len(items) % 4],
                    }
                )
    return items


def sample_items(dimensions: Collection[str]) -> list[dict[str, Any]]:
    """The bundled sample's own items of these dimensions: real writing, for tests of what reads
    it that need not pay for the whole sample."""
    source_path = ROOT / "data" / "sample" / "source.json"
    sets = json.loads(source_path.read_text(encoding="utf-8"))["sets"]
    return [item for item in expand_sets(sets, source_path) if item["dimension"] in dimensions]


def write_source(folder: Path, items: Iterable[dict[str, Any]], *, with_identity_field: bool = False) -> Path:
    """Write the three prompt files of the official layout for items."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, entries in render_layout(list(items), with_identity=with_identity_field).items():
        (folder / name).write_text(json.dumps(entries, indent=1), encoding="utf-8")
    return folder


def pytest_argv(*args: str) -> list[str]:
    """The command line of pytest in a subprocess as these tests start it (no pytest cache)."""
    return [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *NO_HYPOTHESIS, *args]


def run_pytest(
    args: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    timeout: float = 300,
    cache_dir: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run pytest in a subprocess at the repository root, as a user would; pytest's own
    cache (for --lf) only when a cache_dir of the test's is given."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("PYTEST_XDIST_WORKER", None)
    full_env.pop("PYTEST_ADDOPTS", None)
    argv = (
        [sys.executable, "-m", "pytest", "-o", f"cache_dir={cache_dir}", *NO_HYPOTHESIS, *args]
        if cache_dir
        else pytest_argv(*args)
    )
    return subprocess.run(
        argv,
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_cli(
    *args: str, timeout: float = 300, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the giebench command in a subprocess at the repository root, as a user would
    (``env``: the whole environment, when not this process's)."""
    return subprocess.run(
        [sys.executable, "-m", "giebench_fixtures.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
