"""Recordings are never deleted by a run that asked no model; pruning names a model and
says what it removes before removing it."""

from __future__ import annotations

from pathlib import Path

import pytest

from giebench_fixtures.cli import main

from .conftest import SNAPSHOTS
from .helpers import ROOT, run_pytest
from .live_helpers import answering_server, small_data


def _files(model: str) -> set[Path]:
    return set((SNAPSHOTS / model).rglob("*.json"))


def test_no_model_run_never_deletes_or_advises_deleting_recordings(
    model: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = small_data(tmp_path / "data")
    with answering_server() as server:
        recorded = run_pytest(
            [
                "tests_bench",
                f"--model={model}",
                f"--base-url={server.url}",
                f"--data={data}",
                "-k",
                "Gender",
                "--snapshot-update",
            ],
            env={"GIEBENCH_CACHE_DIR": str(tmp_path / "cache")},
        )
    before = _files(model)
    assert len(before) == 6, recorded.stdout[-2000:]
    for extra in ((), ("--model=",)):
        run = run_pytest(["tests_bench", "--co", "--snapshot-update", *extra])
        assert _files(model) == before, run.stdout[-2000:]
        assert "deleted" not in run.stdout.lower()
    advice = run_pytest(["tests_bench", "--co"])
    assert "--snapshot-update" not in advice.stdout + advice.stderr

    # Pruning: only with a model, listing first, removing only with --yes.
    stray = SNAPSHOTS / model / "test_gender" / "test_accuracy[id-Ghost].json"
    stray.write_text("{}", encoding="utf-8")
    monkeypatch.chdir(ROOT)
    assert main(["recordings", "prune", model, f"--data={data}"]) == 0
    listed = capsys.readouterr().out
    assert "would remove 1 recording(s)" in listed and "test_accuracy[id-Ghost].json" in listed
    assert stray.exists()
    assert main(["recordings", "prune", model, f"--data={data}", "--yes"]) == 0
    assert "removing 1 recording(s)" in capsys.readouterr().out
    assert _files(model) == before
    assert main(["recordings", "prune", " ", f"--data={data}", "--yes"]) == 1
    assert "needs a model name" in capsys.readouterr().err
