"""Where answers are kept: every model name in a folder of its own inside __snapshots__,
answers tied to the endpoint that gave them, and no credential in any file or line."""

import json
import shutil
import uuid
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from giebench_fixtures.recording.snapshots import model_dirname

from .conftest import SNAPSHOTS
from .helpers import ROOT, run_pytest
from .live_helpers import NO_ENDPOINT, answering_server, small_data

NAMES = ["..", ".", "a/b", "a b", "giebench-" + "long" * 75, "模型-测试"]
RECORDING = Path("test_faith") / "test_accuracy[raw-Druid].json"
IGNORED = {".git", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}


def _repository_files(ours: Iterable[str] = ()) -> set[Path]:
    """The checkout's files, leaving out recording folders other than ours: tests running beside
    this one under xdist record models of their own there."""
    folders = {model_dirname(name) for name in ours}
    snapshots = SNAPSHOTS.relative_to(ROOT)
    files = set()
    for p in ROOT.rglob("*"):
        relative = p.relative_to(ROOT)
        if not p.is_file() or IGNORED & set(relative.parts) or ".egg-info" in str(p):
            continue
        if relative.is_relative_to(snapshots) and relative.relative_to(snapshots).parts[0] not in folders:
            continue
        files.add(relative)
    return files


@pytest.fixture
def cleanup() -> Iterator[list[str]]:
    """Model names whose recording folders are removed after the test."""
    names: list[str] = []
    yield names
    for name in names:
        shutil.rmtree(SNAPSHOTS / model_dirname(name), ignore_errors=True)
    if SNAPSHOTS.exists() and not any(SNAPSHOTS.iterdir()):
        SNAPSHOTS.rmdir()


def test_each_model_name_records_and_replays_in_a_folder_of_its_own(
    tmp_path: Path, cleanup: list[str]
) -> None:
    data = small_data(tmp_path / "data")
    cleanup.extend([*NAMES, "renamed"])
    before = _repository_files(cleanup)
    # min_items = 1: the one selected check is judged (a run that judges nothing fails)
    bars = tmp_path / "thresholds.toml"
    bars.write_text("[defaults]\nmin_items = 1\n[variant.raw]\nmin_accuracy = 0.7\n")
    selection = ["-k", "Druid and raw", f"--data={data}", f"--thresholds={bars}"]
    with answering_server() as server:

        def record(name: str) -> str:
            run = run_pytest(
                [
                    "tests_bench",
                    f"--model={name}",
                    f"--base-url={server.url}",
                    "--snapshot-update",
                    *selection,
                ],
                env={"GIEBENCH_CACHE_DIR": str(tmp_path / "cache")},
            )
            return run.stdout

        with ThreadPoolExecutor(max_workers=3) as pool:
            recorded = list(pool.map(record, NAMES))
    written = _repository_files(cleanup) - before
    folders = {name: SNAPSHOTS / model_dirname(name) for name in NAMES}
    assert written == {(folders[n] / RECORDING).relative_to(ROOT) for n in NAMES}, recorded[0][-2000:]
    assert len({f.name for f in folders.values()}) == len(NAMES)
    for name, folder in folders.items():
        assert folder.parent == SNAPSHOTS
        assert json.loads((folder / RECORDING).read_text())["model"] == name

    def replay(name: str) -> str:
        run = run_pytest(
            ["tests_bench", f"--model={name}", f"--base-url={NO_ENDPOINT}", *selection],
            env={"GIEBENCH_CACHE_DIR": str(tmp_path / "cache-empty")},
        )
        assert run.returncode == 0, (name, run.stdout[-2000:])
        return run.stdout

    # a folder moved to another model's name replays, and says whose answers they are
    shutil.copytree(folders["a/b"], SNAPSHOTS / model_dirname("renamed"))
    with ThreadPoolExecutor(max_workers=3) as pool:
        replayed = dict(zip([*NAMES, "renamed"], pool.map(replay, [*NAMES, "renamed"]), strict=True))
    for name in NAMES:
        assert "responses from recordings (3)" in replayed[name]
        assert "were made for model" not in replayed[name]
    assert "responses from recordings (3)" in replayed["renamed"]
    moved = SNAPSHOTS / model_dirname("renamed")
    note = f"note: the recordings in {moved} were made for model 'a/b'; replayed for 'renamed'"
    assert note in replayed["renamed"]
    assert _repository_files(cleanup) - before - written == {
        (SNAPSHOTS / model_dirname("renamed") / RECORDING).relative_to(ROOT)
    }


def test_answers_belong_to_their_endpoint_and_credentials_go_nowhere(tmp_path: Path, model: str) -> None:
    data = small_data(tmp_path / "data")
    password, key = f"pw-{uuid.uuid4().hex}", f"sk-{uuid.uuid4().hex}"  # made here: in no file yet
    out = tmp_path / "out"
    reports = [
        f"--giebench-report={out / 'report.json'}",
        f"--giebench-markdown={out / 'report.md'}",
        f"--giebench-csv={out / 'report.csv'}",
        f"--giebench-html={out / 'report.html'}",
    ]
    env = {"GIEBENCH_CACHE_DIR": str(tmp_path / "cache"), "OPENAI_API_KEY": key}
    common = ["tests_bench", f"--model={model}", f"--data={data}", "-k", "Druid"]
    with answering_server() as first, answering_server(salt="another") as second:  # its verdicts differ
        with_credentials = first.url.replace("http://", f"http://giebench:{password}@")
        runs = [
            run_pytest([*common, f"--base-url={with_credentials}", "--snapshot-update", *reports], env=env)
        ]
        assert first.requests() == 9
        # the same model name elsewhere: nothing of the first endpoint's is reused, and that is said
        runs.append(run_pytest([*common, f"--base-url={second.url}", "--live", *reports], env=env))
        assert second.requests() == 9
        report = json.loads((out / "report.json").read_text())
        assert runs[-1].returncode == 1 and "verdict(s) changed from the recording" in runs[-1].stdout
        assert len(report["results"]) == 9  # a run failing on changed verdicts still reports them
        assert report["model_settings"]["endpoint"] == second.url
        assert report["model_settings"]["answered_by"] == [second.url]
        assert (
            f"note: the response cache holds answers of {model} to 9 of these prompts from {first.url}; "
            f"they are not reused for {second.url}"
        ) in runs[-1].stdout
        # replaying the first endpoint's recordings against the second says so
        runs.append(run_pytest([*common, f"--base-url={second.url}"], env=env))
        assert second.requests() == 9
        assert f"note: replayed recordings of {model} made against {first.url}; this run's endpoint" in (
            runs[-1].stdout
        )
    recording = json.loads((SNAPSHOTS / model / RECORDING).read_text())
    assert recording["meta"]["endpoint"] == first.url
    printed = "".join(r.stdout + r.stderr for r in runs)
    files = [p for p in (*tmp_path.rglob("*"), *ROOT.rglob("*")) if p.is_file() and ".git" not in p.parts]
    for secret in (password, key):
        assert secret not in printed
        assert not [p for p in files if secret.encode() in p.read_bytes()]
