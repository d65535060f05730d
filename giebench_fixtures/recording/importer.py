"""Turning published result files (prompt layout plus an "answer") into recordings.

The GIEBench repository publishes GPT-4-turbo's and Qwen-1.5-110b's responses as
``results/<Model>-Raw-Prompt.json`` etc.; once imported, ``pytest tests_bench
--model=NAME`` replays the paper's own answers.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections import defaultdict
from pathlib import Path

from giebench_fixtures.data.items import VARIANTS, Item
from giebench_fixtures.data.loading import load_source
from giebench_fixtures.data.release import OFFICIAL_RESULTS, git_blob_id
from giebench_fixtures.errors import DataError
from giebench_fixtures.recording.snapshots import build_recording, recording_path, recording_text


def find_result_files(folder: Path, prefix: str | None) -> dict[str, Path]:
    """Variant file name -> the results file for it, e.g. GPT-4-Raw-Prompt.json."""
    found: dict[str, Path] = {}
    problems = []
    for variant in VARIANTS:
        pattern = f"{prefix}-{variant.filename}" if prefix else f"*{variant.filename}"
        matches = sorted(folder.glob(pattern))
        if len(matches) != 1:
            what = (
                "no file" if not matches else f"{len(matches)} files ({', '.join(m.name for m in matches)})"
            )
            problems.append(f"{folder}: {what} matching {pattern}; pass --prefix to choose one model's files")
        else:
            found[variant.filename] = matches[0]
    if problems:
        raise DataError(problems)
    return found


def import_results(folder: Path, model: str, snapshots: Path, prefix: str | None = None) -> list[Path]:
    """Write one recording per identity and variant; return the files written."""
    files = find_result_files(folder, prefix)
    answers: dict[tuple[str, str], str | None] = {}
    with tempfile.TemporaryDirectory() as staging:
        for standard, path in files.items():
            shutil.copy(path, Path(staging) / standard)
        try:
            dataset = load_source(Path(staging), source=str(folder))
        except DataError as exc:
            # Name the user's files, never the staging copies (gone once this returns).
            named = [_named(p, Path(staging), files) for p in exc.problems]
            raise DataError(named, source=str(folder)) from None
    for variant in VARIANTS:
        raw = json.loads(files[variant.filename].read_text(encoding="utf-8-sig"))
        for key, entry in raw.items():
            answer = entry.get("answer")
            answers[(key, variant.value)] = answer if isinstance(answer, str) else None
    groups: dict[tuple[str, str, str], list[Item]] = defaultdict(list)
    for variant in VARIANTS:
        for item in dataset.items[variant].values():
            groups[(item.dimension, item.identity, variant.value)].append(item)
    written = []
    meta = {"imported_from": [_provenance(p) for p in files.values()], "sampling": "as published"}
    for (dimension, identity, variant_name), items in sorted(groups.items()):
        texts = {i.key: answers.get((i.key, variant_name)) for i in items}
        payload = build_recording(model, f"{dimension}/{identity}/{variant_name}", items, texts, meta)
        path = recording_path(snapshots, model, dimension, identity, variant_name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(recording_text(payload), encoding="utf-8")
        written.append(path)
    return written


def _named(problem: str, staging: Path, files: dict[str, Path]) -> str:
    for standard, path in files.items():
        problem = problem.replace(str(staging / standard), str(path))
    return problem.replace(str(staging), str(next(iter(files.values())).parent))


def _provenance(path: Path) -> dict[str, object]:
    """The file, its git blob id, and whether it is byte-identical to a published result file."""
    blob = git_blob_id(path.read_bytes())
    return {
        "file": path.name,
        "git_blob_id": blob,
        "is_published_file": blob in OFFICIAL_RESULTS.values(),
    }
