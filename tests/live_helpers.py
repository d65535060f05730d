"""Loopback servers and data folders for live-model tests."""

from __future__ import annotations

import hashlib
from pathlib import Path

from giebench_fixtures.loopback import LoopbackServer, letter_answerer

from .helpers import invented_items, write_source

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
