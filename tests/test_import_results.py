"""Published result files become recordings that replay with no endpoint, exactly."""

import json
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from giebench_fixtures.recording.snapshots import RecordingExtension

from .conftest import SNAPSHOTS
from .helpers import ROOT
from .live_helpers import replay_offline, small_data

VARIANT_FILES = {"raw": "Raw-Prompt.json", "id": "ID-Prompt.json", "cot": "COT-Prompt.json"}
# The published rule, verbatim from eval.py: the accuracies below are computed with it, not with giebench.
PUBLISHED = re.compile(r"\[\[([A-Z])\]\](?!(?:[^\[]*\[\[[A-Z]\]\])+[^\[]*\[\[\1\]\])")

Answer = Callable[[str, dict[str, Any], int], str | None]  # variant, item, position -> answer text


def right_answer(variant: str, item: dict[str, Any], n: int) -> str | None:
    """The right letter, said the ways judges say it; one item has no answer (a failed call)."""
    right, other = item["correct"], "D" if item["correct"] != "D" else "A"
    if variant == "raw" and n == 0:
        return None
    if n % 3 == 0:  # echoes a prompt marker between its tokens: the published rule keeps the first
        marker = f"[The Start of Assistant {other}'s Answer]"
        return f"[[{right}]] fits. {marker} argues [[{other}]]; still [[{right}]]"
    if n % 3 == 1:
        return f"Assistant {right} takes the user's standpoint; [the others] do not.\n\n[[{right}]]"
    return f"My final verdict is [[{right}]]."


def faith_wrong_once_told(variant: str, item: dict[str, Any], n: int) -> str | None:
    """Right everywhere, except that told the user's identity it gets every Faith item wrong."""
    if variant == "id" and item["category"] == "Faith":
        return f"[[{'D' if item['correct'] != 'D' else 'A'}]]"
    return right_answer(variant, item, n)


def write_published_results(data: Path, folder: Path, prefix: str, answer: Answer) -> None:
    """<prefix>-Raw-Prompt.json etc.: the prompt files with each model answer under "answer"."""
    folder.mkdir(parents=True, exist_ok=True)
    for variant, name in VARIANT_FILES.items():
        items = json.loads((data / name).read_text())
        for n, entry in enumerate(items.values()):
            text = answer(variant, entry, n)
            if text is not None:
                entry["answer"] = text
        (folder / f"{prefix}-{name}").write_text(json.dumps(items, indent=4, ensure_ascii=False))


def accuracies_from_answers(folder: Path, prefix: str) -> dict[str, dict[str, float]]:
    """Per variant: accuracy per dimension and overall, read from the answers by the published rule."""
    result: dict[str, dict[str, float]] = {}
    for variant, name in VARIANT_FILES.items():
        tallies: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for entry in json.loads((folder / f"{prefix}-{name}").read_text()).values():
            match = PUBLISHED.search(entry.get("answer", ""))
            right = int(match is not None and match.group(1) == entry["correct"])
            for group in (entry["category"], "overall"):
                tallies[group][0] += right
                tallies[group][1] += 1
        result[variant] = {group: round(c / n, 6) for group, (c, n) in tallies.items()}
    return result


def import_results(folder: Path, model: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "giebench_fixtures.cli", "import-results", str(folder), "--model", model],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize(
    ("answer", "exit_code"),
    [
        pytest.param(right_answer, 0, id="right-answers"),
        pytest.param(faith_wrong_once_told, 1, id="gate-fails"),
    ],
)
def test_imported_results_replay_with_the_gates_own_verdict(
    answer: Answer, exit_code: int, model: str, tmp_path: Path
) -> None:
    data = small_data(tmp_path / "data")
    results = tmp_path / "results"
    write_published_results(data, results, "Judge-X", answer)
    cli = import_results(results, model)
    assert cli.returncode == 0, cli.stderr
    assert f"wrote 15 recordings for {model}" in cli.stdout
    recordings = sorted((SNAPSHOTS / model).rglob("*.json"))
    assert len(recordings) == 15
    for path in recordings:  # each file is what the replay's syrupy extension writes for its payload
        assert RecordingExtension().serialize(json.loads(path.read_text())).encode() == path.read_bytes()
    provenance = json.loads(recordings[0].read_text())["meta"]["imported_from"]
    assert {p["file"] for p in provenance} == {f"Judge-X-{n}" for n in VARIANT_FILES.values()}
    assert not any(p["is_published_file"] for p in provenance)  # ours, not the paper's files

    replay = replay_offline(model, data, tmp_path, f"--giebench-report={tmp_path / 'r.json'}")
    report = json.loads((tmp_path / "r.json").read_text())
    assert replay.returncode == exit_code, replay.stdout[-3000:]
    assert report["gate"]["passed"] is (exit_code == 0)
    # syrupy compares the replay's text with each file: all 15 equal, byte for byte
    assert "15 snapshots passed." in replay.stdout and "snapshots failed" not in replay.stdout
    assert "snapshot failed" not in replay.stdout
    assert report["accounting"]["requests"] == 0 and report["accounting"]["replayed"] == 45
    expected = accuracies_from_answers(results, "Judge-X")
    for variant, block in report["summary"].items():
        found = {dim: stats["accuracy"] for dim, stats in block["dimensions"].items()}
        assert {**found, "overall": block["overall"]["accuracy"]} == expected[variant]
    if exit_code:
        assert report["gate"]["failures"] and all("Faith" in f for f in report["gate"]["failures"])
        assert "Faith / all identities / id: accuracy 0.00 (0/9" in replay.stdout


def test_a_folder_with_two_models_needs_a_prefix(tmp_path: Path) -> None:
    data = small_data(tmp_path / "data")
    for prefix in ("A", "B"):
        for name in VARIANT_FILES.values():
            shutil.copy(data / name, tmp_path / f"{prefix}-{name}")
    cli = import_results(tmp_path, "m")
    assert cli.returncode == 1
    assert "2 files (A-Raw-Prompt.json, B-Raw-Prompt.json)" in cli.stderr
    assert "--prefix" in cli.stderr and "Traceback" not in cli.stderr
