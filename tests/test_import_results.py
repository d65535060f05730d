"""Published result files become recordings that replay with no endpoint."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

from giebench_fixtures.verdicts import read_verdict

from .conftest import SNAPSHOTS
from .helpers import ROOT
from .live_helpers import letter_of, replay_offline, small_data


def test_imported_results_replay_the_published_answers(model: str, tmp_path: Path) -> None:
    data = small_data(tmp_path / "data")
    results = tmp_path / "results"
    results.mkdir()
    for name in ("Raw-Prompt.json", "ID-Prompt.json", "COT-Prompt.json"):
        items = json.loads((data / name).read_text())
        for entry in items.values():
            entry["answer"] = f"My verdict: [[{letter_of(entry['prompt'])}]]"
        (results / f"Judge-X-{name}").write_text(json.dumps(items))
    cli = subprocess.run(
        [sys.executable, "-m", "giebench_fixtures.cli", "import-results", str(results), "--model", model],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert cli.returncode == 0, cli.stderr
    assert "wrote 15 recordings" in cli.stdout
    recording = json.loads((SNAPSHOTS / model / "test_gender" / "test_accuracy[id-Gryphon].json").read_text())
    provenance = recording["meta"]["imported_from"]
    assert {p["file"] for p in provenance} == {
        f"Judge-X-{n}" for n in ("Raw-Prompt.json", "ID-Prompt.json", "COT-Prompt.json")
    }
    assert not any(p["is_published_file"] for p in provenance)  # ours, not the paper's files
    run = replay_offline(model, data, tmp_path, f"--giebench-report={tmp_path / 'r.json'}")
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["accounting"]["requests"] == 0 and report["accounting"]["replayed"] == 45
    prompts = {
        (key, name.split("-")[0].lower()): entry["prompt"]
        for name in ("Raw-Prompt.json", "ID-Prompt.json", "COT-Prompt.json")
        for key, entry in json.loads((data / name).read_text()).items()
    }
    for row in report["results"]:
        assert row["verdict"] == read_verdict(f"[[{letter_of(prompts[(row['id'], row['variant'])])}]]")
    assert "GIEBench gate" in run.stdout


def test_a_folder_with_two_models_needs_a_prefix(tmp_path: Path) -> None:
    data = small_data(tmp_path / "data")
    for prefix in ("A", "B"):
        for name in ("Raw-Prompt.json", "ID-Prompt.json", "COT-Prompt.json"):
            shutil.copy(data / name, tmp_path / f"{prefix}-{name}")
    cli = subprocess.run(
        [sys.executable, "-m", "giebench_fixtures.cli", "import-results", str(tmp_path), "--model", "m"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert cli.returncode == 1
    assert "2 files (A-Raw-Prompt.json, B-Raw-Prompt.json)" in cli.stderr
    assert "--prefix" in cli.stderr and "Traceback" not in cli.stderr
