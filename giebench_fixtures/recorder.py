"""The run's recordings: which scopes replay, and what each test records or compares.

``recording.py`` says what a recording is; this module decides, for one run, which
recordings it reads (replay), and what payload each ``test_accuracy`` test compares with
its snapshot (replayed, unchanged, or drifted: under ``--live`` or, replayed, by a changed
verdict rule).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from .data import Dataset, Item, Variant
from .models import Completion, Sampling
from .recording import build_recording, drift, read_recording, replay

Scope = tuple[str, str, Variant]  # dimension, identity, variant


@dataclass
class Replayed:
    """What replaying gave: responses by (key, variant), the items left to ask, stale recordings."""

    responses: dict[tuple[str, Variant], Completion] = field(default_factory=dict)
    to_ask: list[Item] = field(default_factory=list)
    stale: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Recorder:
    """Recording paths by scope (from the plugin), and the recordings this run replayed."""

    model: str
    dataset: Dataset
    sampling: Sampling
    live: bool = False
    paths: dict[Scope, Path] = field(default_factory=dict)
    replayed: dict[Scope, dict[str, Any]] = field(default_factory=dict)

    def replay(self, scopes: Iterable[Scope]) -> Replayed:
        """Responses from recordings where they exist and match the data (not under --live)."""
        result = Replayed()
        for scope in sorted(set(scopes)):
            items = self.dataset.select(*scope)
            path = self.paths.get(scope)
            recording = read_recording(path) if path and not self.live else None
            if path is None or recording is None:
                result.to_ask.extend(items)
                continue
            by_key, problems = replay(recording, items)
            if problems:
                result.stale[str(path)] = problems
                continue
            self.replayed[scope] = recording
            for item in items:
                result.responses[(item.key, item.variant)] = Completion(text=by_key[item.key])
        return result

    def payload(
        self, scope: Scope, responses: Mapping[tuple[str, Variant], Completion]
    ) -> tuple[dict[str, Any], list[str]]:
        """The snapshot payload for a test, and any verdicts that drifted from the recording."""
        dimension, identity, variant = scope
        items = self.dataset.select(dimension, identity, variant)
        texts = {i.key: responses.get((i.key, i.variant), Completion(None)).text for i in items}
        fingerprints = sorted(
            {
                c.system_fingerprint
                for i in items
                if (c := responses.get((i.key, i.variant))) and c.system_fingerprint
            }
        )
        meta = {
            "sampling": self.sampling.as_dict(),
            "system_fingerprints": fingerprints,
            "client": client_version(),
            "recorded_on": date.today().isoformat(),
        }
        label = f"{dimension}/{identity}/{variant}"
        payload = build_recording(self.model, label, items, texts, meta)
        if scope in self.replayed:  # same responses: a changed verdict is a changed verdict rule
            payload["meta"] = self.replayed[scope].get("meta", payload["meta"])
            return payload, drift(label, self.replayed[scope], payload)
        path = self.paths.get(scope)
        previous = read_recording(path) if path else None
        if previous is None:
            return payload, []
        changed = drift(label, previous, payload)
        if not changed:
            return previous, []
        return payload, changed


def client_version() -> str:
    try:
        return f"openai {version('openai')}"
    except PackageNotFoundError:
        return "openai (unknown version)"
