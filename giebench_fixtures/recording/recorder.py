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

from giebench_fixtures.asking.completion import Completion, Sampling
from giebench_fixtures.data.items import Dataset, Item, Variant
from giebench_fixtures.recording.snapshots import (
    build_recording,
    drift,
    read_recording,
    recorded_finish_reasons,
    replay,
    with_finish_reasons,
)

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
    endpoint: str | None = None  # this run's endpoint; None for baselines
    paths: dict[Scope, Path] = field(default_factory=dict)
    replayed: dict[Scope, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    recorded_sampling: list[dict[str, Any]] = field(default_factory=list)  # of replayed recordings

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
            meta: dict[str, Any] = recording["meta"] if isinstance(recording.get("meta"), dict) else {}
            endpoint = meta.get("endpoint") if isinstance(meta.get("endpoint"), str) else None
            sent = meta.get("sent") if isinstance(meta.get("sent"), dict) else None
            served = meta.get("served_model") if isinstance(meta.get("served_model"), str) else None
            reasons = recorded_finish_reasons(recording)
            for item in items:
                result.responses[(item.key, item.variant)] = Completion(
                    text=by_key[item.key],
                    finish_reason=reasons.get(item.key),
                    endpoint=endpoint,
                    sent=sent,
                    served_model=served,
                )
            self._note_origin(path, recording, endpoint)
            self._note_sampling(meta.get("sampling"))
        return result

    def _note_origin(self, path: Path, recording: Mapping[str, Any], endpoint: str | None) -> None:
        """Replaying what another model name or another endpoint answered is said, in one line."""
        recorded_model = recording.get("model")
        if isinstance(recorded_model, str) and recorded_model != self.model:
            folder = path.parent.parent
            self._note(
                f"the recordings in {folder} were made for model {recorded_model!r}; "
                f"replayed for {self.model!r}"
            )
        if endpoint is not None and self.endpoint is not None and endpoint != self.endpoint:
            self._note(
                f"replayed recordings of {self.model} made against {endpoint}; this run's endpoint "
                f"{self.endpoint} was not asked (--live asks it)"
            )

    def _note_sampling(self, recorded: Any) -> None:
        """A replay cannot apply this run's sampling settings: say so, once, and keep the recording's."""
        if not isinstance(recorded, dict):
            return
        if recorded not in self.recorded_sampling:
            self.recorded_sampling.append(recorded)
        asked = self.sampling.as_dict()
        differ = [k for k in asked if k in recorded and recorded[k] != asked[k]]
        if differ:
            was = ", ".join(f"{k}={recorded[k]}" for k in differ)
            now = ", ".join(f"--{k.replace('_', '-')}={asked[k]}" for k in differ)
            self._note(
                f"replayed recordings of {self.model} made with {was}; {now} was not applied "
                "(the report keeps the recording's settings; --live asks the model with them)"
            )

    def _note(self, line: str) -> None:
        if line not in self.notes:
            self.notes.append(line)

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
        answered = [c for i in items if (c := responses.get((i.key, i.variant))) is not None]
        meta = {
            "sampling": self.sampling.as_dict(),
            "sent": _one_or_all([c.sent for c in answered if c.sent is not None]),
            "endpoint": _one_or_all([c.endpoint for c in answered if c.endpoint is not None]),
            "system_fingerprints": fingerprints,
            "served_model": _one_or_all([c.served_model for c in answered if c.served_model]),
            "client": client_version(),
            "recorded_on": date.today().isoformat(),
        }
        label = f"{dimension}/{identity}/{variant}"
        payload = build_recording(self.model, label, items, texts, meta)
        if scope in self.replayed:  # same responses: a changed verdict is a changed verdict rule
            recorded = self.replayed[scope]
            payload["meta"] = recorded.get("meta", payload["meta"])
            payload["model"] = recorded.get("model", payload["model"])
            with_finish_reasons(payload, recorded_finish_reasons(recorded))
            return payload, drift(label, recorded, payload)
        with_finish_reasons(
            payload, {i.key: c.finish_reason for i in items if (c := responses.get((i.key, i.variant)))}
        )
        path = self.paths.get(scope)
        previous = read_recording(path) if path else None
        if previous is None:
            return payload, []
        changed = drift(label, previous, payload)
        if not changed:
            return previous, []
        return payload, changed


def _one_or_all(values: list[Any]) -> Any:
    """One value when all agree (the usual case), else every distinct one; None for none."""
    distinct: list[Any] = []
    for value in values:
        if value not in distinct:
            distinct.append(value)
    if not distinct:
        return None
    return distinct[0] if len(distinct) == 1 else distinct


def client_version() -> str:
    try:
        return f"openai {version('openai')}"
    except PackageNotFoundError:
        return "openai (unknown version)"
