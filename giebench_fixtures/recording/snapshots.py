"""Recorded responses: syrupy single-file JSON snapshots, one file per model and test.

A recording lives at ``tests_bench/__snapshots__/<model>/<module>/<test>.json`` and
holds, per item, the prompt's hash, the response text and the verdict read from it,
plus the sampling settings it was made with. Never a key or a header.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from syrupy.extensions.json import JSONSnapshotExtension

from giebench_fixtures.asking.cache import prompt_hash
from giebench_fixtures.data.items import Item
from giebench_fixtures.errors import RecordingError
from giebench_fixtures.judging.verdicts import answer_verdict, read_verdict

FORMAT = 1


MODEL_DIRNAME_READABLE = 64  # characters of the name kept readable; the folder adds at most 11


def model_dirname(model: str) -> str:
    """The folder of a model's recordings inside ``__snapshots__``.

    A name made only of letters, digits, '.', '_' and '-' (not starting or ending with
    '.', '_' or '-', at most 64 characters) is its own folder: 'gpt-4o-mini'. Any other
    name keeps a readable part and gets a short hash of the whole name, so two names
    never share a folder and no name escapes ``__snapshots__``: 'org/model:7b' ->
    'org_model_7b-1f0c9a4b2e', '..' -> 'model-6c2b...'.
    """
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", model).strip("._-")
    if readable and readable == model and len(model) <= MODEL_DIRNAME_READABLE:
        return model
    digest = hashlib.sha256(model.encode("utf-8")).hexdigest()[:10]
    return f"{readable[:MODEL_DIRNAME_READABLE].rstrip('._-') or 'model'}-{digest}"


def recording_text(payload: Mapping[str, Any]) -> str:
    """The one way a recording is written: keys sorted at every level, two-space indent,
    UTF-8 as is, one final newline. The replay (through ``RecordingExtension``) and
    ``giebench import-results`` both write with it, so their files are byte for byte equal."""
    return json.dumps(payload, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


class RecordingExtension(JSONSnapshotExtension):
    """JSON snapshots kept in a folder of their model, so models never share files."""

    model_dir = "model"  # set once per process by the plugin, from --model

    @classmethod
    def dirname(cls, *, test_location: Any) -> str:
        root = Path(test_location.filepath).parent / cls.snapshot_dirname / cls.model_dir
        return str(root / test_location.basename)

    def serialize(self, data: Any, **_filters: Any) -> str:
        """A recording payload as its file's text (syrupy compares and writes this)."""
        return recording_text(data)


def build_recording(
    model: str,
    scope: str,
    items: Sequence[Item],
    responses: Mapping[str, str | None],
    meta: Mapping[str, Any],
) -> dict[str, Any]:
    """The snapshot payload for one test: sorted, plain, diffable."""
    return {
        "format": FORMAT,
        "model": model,
        "scope": scope,
        "meta": dict(meta),
        "items": {
            item.key: {
                "prompt_sha256": prompt_hash(item.prompt),
                "response": responses.get(item.key),
                "verdict": read_verdict(responses.get(item.key)),
            }
            for item in sorted(items, key=lambda i: i.key)
        },
    }


def read_recording(path: Path) -> dict[str, Any] | None:
    """The payload of a recording file, or None if there is none."""
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise RecordingError(
            f"{path} line {exc.lineno}: the recording is not valid JSON ({exc.msg}); "
            "restore it from version control or re-record it with --snapshot-update"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("items"), dict):
        raise RecordingError(f"{path}: not a giebench recording (no 'items' object)")
    for key, entry in data["items"].items():
        problem = _entry_problem(entry)
        if problem:
            raise RecordingError(
                f"{path}: item {key!r} {problem}; restore the file from version control "
                "or re-record it with --snapshot-update"
            )
    return data


_ENTRY_TEXTS = {"prompt_sha256": False, "response": True, "verdict": True, "finish_reason": True}


def _entry_problem(entry: Any) -> str | None:
    """What is wrong with one recorded item (None if nothing): an object of texts (or null)."""
    if not isinstance(entry, dict):
        return f"is a JSON {type(entry).__name__}, not an object"
    for field, nullable in _ENTRY_TEXTS.items():
        if field not in entry:
            if field in ("prompt_sha256", "response"):
                return f"has no {field!r}"
            continue
        value = entry[field]
        if not (isinstance(value, str) or (nullable and value is None)):
            return f"has a {field!r} that is {json.dumps(value)[:40]}, not text"
    return None


def replay(recording: Mapping[str, Any], items: Sequence[Item]) -> tuple[dict[str, str | None], list[str]]:
    """Recorded responses by key, and the stale items (prompt changed, added or removed)."""
    recorded: Mapping[str, Any] = recording["items"]
    stale = []
    responses: dict[str, str | None] = {}
    for item in items:
        entry = recorded.get(item.key)
        if entry is None:
            stale.append(f"{item.key} (not in the recording)")
        elif entry.get("prompt_sha256") != prompt_hash(item.prompt):
            stale.append(f"{item.key} (prompt changed)")
        else:
            responses[item.key] = entry.get("response")
    for key in sorted(set(recorded) - {i.key for i in items}):
        stale.append(f"{key} (no longer in the data)")
    return responses, stale


def recorded_finish_reasons(recording: Mapping[str, Any]) -> dict[str, str | None]:
    """Each item's finish reason, where the recording has one (recordings before 0.2 do not)."""
    return {
        key: entry["finish_reason"]
        for key, entry in recording["items"].items()
        if isinstance(entry, dict) and "finish_reason" in entry
    }


def with_finish_reasons(payload: dict[str, Any], reasons: Mapping[str, str | None]) -> dict[str, Any]:
    """Each item's finish reason beside its response; an answer cut off (``length``) or
    filtered (``content_filter``) has no verdict."""
    for key, entry in payload["items"].items():
        if key in reasons:
            entry["finish_reason"] = reasons[key]
            entry["verdict"] = answer_verdict(entry.get("response"), reasons[key])
    return payload


def stale_error(problems: Mapping[str, list[str]], rerecord: str) -> RecordingError:
    lines = [f"  {path}: {', '.join(items)}" for path, items in sorted(problems.items())]
    count = sum(len(v) for v in problems.values())
    return RecordingError(
        f"{count} recorded response(s) no longer match the data:\n"
        + "\n".join(lines)
        + f"\nRe-record them with: {rerecord}"
    )


def drift(scope: str, recorded: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """Readable lines for each item whose verdict changed: 'Gender/Female/id item g-017: B -> D'."""
    lines = []
    for key, entry in sorted(current["items"].items()):
        before = recorded["items"].get(key, {}).get("verdict")
        if before != entry["verdict"]:
            lines.append(f"{scope} item {key}: {before or 'none'} -> {entry['verdict'] or 'none'}")
    return lines


def identity_test_id(variant: str, identity: str) -> str:
    """The parameter id of an identity's test: 'id-Light_Brown', so `-k Light_Brown` selects it."""
    return f"{variant}-{identity.replace(' ', '_')}"


def recording_path(snapshots: Path, model: str, dimension: str, identity: str, variant: str) -> Path:
    """Where the plugin looks for the recording of test_accuracy[variant-identity]."""
    name = RecordingExtension._sanitize_filename(f"test_accuracy[{identity_test_id(variant, identity)}]")
    return snapshots / model_dirname(model) / f"test_{dimension.lower()}" / f"{name}.json"


def unused_recordings(snapshots: Path, model: str, scopes: Sequence[tuple[str, str, str]]) -> list[Path]:
    """The recording files of ``model`` (plain, @shuffle-N and @circular folders) that no
    (dimension, identity, variant) of ``scopes`` would read: what pruning may remove."""
    if not model.strip():
        raise RecordingError("pruning recordings needs a model name; nothing was removed")
    plain = snapshots / model_dirname(model)
    wanted = {recording_path(snapshots, model, *scope).relative_to(plain) for scope in scopes}
    folders = [plain, *sorted(snapshots.glob(f"{model_dirname(model)}@*"))]
    return sorted(
        path
        for folder in folders
        if folder.is_dir()
        for path in folder.rglob("*.json")
        if path.relative_to(folder) not in wanted
    )
