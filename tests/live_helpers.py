"""Loopback servers and data folders for live-model tests."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

from tests.loopback import LoopbackServer, letter_answerer

from .helpers import invented_items, run_pytest, write_source

FAULTS = ("429", "500", "503", "drop")


def small_data(folder: Path) -> Path:
    """Two dimensions, five identities, 3 items each: 15 items, 45 prompts."""
    return write_source(
        folder, invented_items({"Gender": ["Gryphon", "Sphinx"], "Faith": ["Druid", "Oracle", "Seer"]})
    )


def _h(prompt: str, salt: str) -> int:
    return int(hashlib.sha256((salt + prompt).encode()).hexdigest(), 16)


def letter_of(prompt: str, salt: str = "") -> str:
    return "ABCD"[_h(prompt, salt) % 4]


def faulty_first_attempt(prompt: str) -> str | None:
    """About a quarter of prompts fail once, with a fault kind fixed by the prompt."""
    if _h(prompt, "fault") % 4 == 0:
        return FAULTS[_h(prompt, "kind") % 4]
    return None


def answering_server(salt: str = "", **kwargs: object) -> LoopbackServer:
    return LoopbackServer(answer=letter_answerer(lambda p: letter_of(p, salt)), **kwargs)  # type: ignore[arg-type]


def live_gate(
    server: LoopbackServer, data: Path, tmp_path: Path, *extra: str, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any] | None]:
    """Run the gate with model judge-1 against a loopback server; the run and its report."""
    report = tmp_path / "report.json"
    run = run_pytest(
        [
            "tests_bench",
            "--model=judge-1",
            f"--base-url={server.url}",
            f"--data={data}",
            f"--giebench-report={report}",
            *extra,
        ],
        env={"GIEBENCH_CACHE_DIR": str(tmp_path / "cache"), **(env or {})},
    )
    return run, json.loads(report.read_text()) if report.exists() else None


NO_ENDPOINT = "http://127.0.0.1:9/v1"  # the discard port: nothing answers there


def replay_offline(
    model: str, data: Path, tmp_path: Path, *extra: str, cache_dir: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the gate from recordings only: no endpoint, an empty response cache."""
    return run_pytest(
        ["tests_bench", f"--model={model}", f"--base-url={NO_ENDPOINT}", f"--data={data}", *extra],
        env={"GIEBENCH_CACHE_DIR": str(tmp_path / "cache-empty")},
        cache_dir=cache_dir,
    )
