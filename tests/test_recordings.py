"""Recorded responses as syrupy snapshots: record, replay offline, stale data, drift, safety."""

import json
from pathlib import Path

from .conftest import SNAPSHOTS
from .helpers import run_pytest
from .live_helpers import answering_server, replay_offline, small_data


def _record(model: str, data: Path, tmp_path: Path, salt: str = "", extra: tuple[str, ...] = ()) -> str:
    with answering_server(salt) as server:
        run = run_pytest(
            [
                "tests_bench",
                f"--model={model}",
                f"--base-url={server.url}",
                f"--data={data}",
                "--snapshot-update",
                f"--giebench-report={tmp_path / 'recorded.json'}",
                *extra,
            ],
            env={"GIEBENCH_CACHE_DIR": str(tmp_path / "cache-record"), "OPENAI_API_KEY": "sk-never-written"},
        )
    assert "GIEBench gate" in run.stdout, run.stdout[-2000:]
    return run.stdout


def _files(model: str) -> set[str]:
    return {str(p.relative_to(SNAPSHOTS / model)) for p in (SNAPSHOTS / model).rglob("*.json")}


def test_record_then_replay_offline_gives_the_same_report_with_no_request(model: str, tmp_path: Path) -> None:
    data = small_data(tmp_path / "data")
    _record(model, data, tmp_path, extra=("-n", "2"))
    files = _files(model)
    assert len(files) == 15  # one per identity and variant
    recording = json.loads((SNAPSHOTS / model / "test_gender" / "test_accuracy[id-Gryphon].json").read_text())
    assert set(recording["items"]) == {"gender-gryphon-0", "gender-gryphon-1", "gender-gryphon-2"}
    entry = recording["items"]["gender-gryphon-0"]
    assert set(entry) == {"prompt_sha256", "response", "verdict", "finish_reason"}
    assert entry["finish_reason"] == "stop"
    assert recording["meta"]["sampling"]["temperature"] == 0.0
    assert recording["meta"]["client"].startswith("openai ")
    all_text = "".join((SNAPSHOTS / model / f).read_text() for f in files)
    assert "sk-never-written" not in all_text and "authorization" not in all_text.lower()

    # The server is gone: nothing can be requested. Same report, serial and parallel.
    for extra in ((), ("-n", "2")):
        run = replay_offline(model, data, tmp_path, f"--giebench-report={tmp_path / 'replayed.json'}", *extra)
        recorded = json.loads((tmp_path / "recorded.json").read_text())
        replayed = json.loads((tmp_path / "replayed.json").read_text())
        for key in ("results", "summary", "comparisons", "gate"):
            assert replayed[key] == recorded[key], key
        assert replayed["accounting"]["requests"] == 0
        assert replayed["accounting"]["replayed"] == 45
        assert "recordings (45)" in run.stdout


def test_a_changed_prompt_stops_replay_naming_the_item(model: str, tmp_path: Path) -> None:
    data = small_data(tmp_path / "data")
    _record(model, data, tmp_path)
    raw = json.loads((data / "ID-Prompt.json").read_text())
    raw["faith-oracle-1"]["prompt"] = raw["faith-oracle-1"]["prompt"].replace("Question 1", "Question one")
    (data / "ID-Prompt.json").write_text(json.dumps(raw))
    run = replay_offline(model, data, tmp_path)
    assert run.returncode != 0
    assert "1 recorded response(s) no longer match the data" in run.stdout
    assert "test_accuracy[id-Oracle].json: faith-oracle-1 (prompt changed)" in run.stdout
    assert (
        f"Re-record them with: pytest tests_bench --model={model} --data={data} --snapshot-update"
        in run.stdout
    )


def test_live_shows_exactly_the_items_whose_verdict_changed(model: str, tmp_path: Path) -> None:
    data = small_data(tmp_path / "data")
    _record(model, data, tmp_path)
    # The endpoint now answers differently on Sphinx's raw prompts only.
    with answering_server(salt="") as server:
        original = server.answer

        def answer(prompt: str) -> str:
            if "sphinx" in prompt.lower() and "belongs to" not in prompt:
                verdict = original(prompt)[-3]
                other = "ABCD"[("ABCD".index(verdict) + 1) % 4]
                return f"Changed my mind. [[{other}]]"
            return original(prompt)

        server.answer = answer
        run = run_pytest(
            ["tests_bench", f"--model={model}", f"--base-url={server.url}", f"--data={data}", "--live"],
            env={"GIEBENCH_CACHE_DIR": str(tmp_path / "cache-live")},
        )
        assert "3 verdict(s) changed from the recording" in run.stdout
        changed = sorted(
            line.strip() for line in run.stdout.splitlines() if line.strip().startswith("Gender/")
        )
        assert len(set(changed)) == 3
        assert all(line.startswith("Gender/Sphinx/raw item gender-sphinx-") for line in changed)
        assert "FAILED tests_bench/test_gender.py::test_accuracy[raw-Sphinx]" in run.stdout
        assert "test_accuracy[raw-Gryphon]" not in run.stdout.split("short test summary")[-1]

        accepted = run_pytest(
            [
                "tests_bench",
                f"--model={model}",
                f"--base-url={server.url}",
                f"--data={data}",
                "--live",
                "--snapshot-update",
                "-k",
                "Sphinx",
            ],
            env={"GIEBENCH_CACHE_DIR": str(tmp_path / "cache-live")},
        )
        assert "snapshot" in accepted.stdout and "updated" in accepted.stdout
    updated = json.loads((SNAPSHOTS / model / "test_gender" / "test_accuracy[raw-Sphinx].json").read_text())
    assert all(e["response"].startswith("Changed my mind") for e in updated["items"].values())


def test_updating_a_subset_leaves_every_other_recording_in_place(model: str, tmp_path: Path) -> None:
    data = small_data(tmp_path / "data")
    _record(model, data, tmp_path)
    before = {f: (SNAPSHOTS / model / f).read_text() for f in _files(model)}
    assert len(before) == 15  # something was recorded: one file per identity and variant
    assert all(len(json.loads(text)["items"]) == 3 for text in before.values())
    subset = _record(model, data, tmp_path, extra=("-k", "Gryphon"))
    assert "3 snapshots passed" in subset  # the subset was compared with its recordings
    _record(model, data, tmp_path, extra=("--variants", "raw", "-n", "2"))
    after = {f: (SNAPSHOTS / model / f).read_text() for f in _files(model)}
    assert after == before


def test_a_failing_endpoint_during_update_leaves_the_recording_as_it_was(model: str, tmp_path: Path) -> None:
    data = small_data(tmp_path / "data")
    _record(model, data, tmp_path)
    before = {f: (SNAPSHOTS / model / f).read_text() for f in _files(model)}
    # Now the endpoint fails every Sphinx prompt; the other answers change.
    with answering_server(
        salt="x", fault=lambda p, attempt: "500" if "sphinx" in p.lower() else None
    ) as server:
        run = run_pytest(
            [
                "tests_bench",
                f"--model={model}",
                f"--base-url={server.url}",
                f"--data={data}",
                "--live",
                "--snapshot-update",
                "--max-retries=0",
            ],
            env={"GIEBENCH_CACHE_DIR": str(tmp_path / "cache-failing")},
        )
    assert "item(s) not evaluated" in run.stdout
    after = {f: (SNAPSHOTS / model / f).read_text() for f in _files(model)}
    assert set(after) == set(before)
    sphinx = [f for f in before if "Sphinx" in f]
    assert sphinx and all(after[f] == before[f] for f in sphinx)  # not overwritten with holes
    assert any(after[f] != before[f] for f in before if "Sphinx" not in f)  # the rest re-recorded


def test_last_failed_with_update_leaves_the_recordings_in_place(model: str, tmp_path: Path) -> None:
    data = small_data(tmp_path / "data")
    _record(model, data, tmp_path)
    before = {f: (SNAPSHOTS / model / f).read_text() for f in _files(model)}
    assert len(before) == 15 and all(json.loads(text)["items"] for text in before.values())
    strict = tmp_path / "strict.toml"  # bars that answers at random fail on 15 items
    strict.write_text('[defaults]\nmin_accuracy = 0.95\nmin_items = 1\nmultiple_checks = "none"\n')
    first = replay_offline(
        model, data, tmp_path, f"--thresholds={strict}", cache_dir=tmp_path / "pytest-cache"
    )
    assert "failed" in first.stdout.splitlines()[-1]  # answers at random fail some checks
    again = replay_offline(
        model,
        data,
        tmp_path,
        f"--thresholds={strict}",
        "--lf",
        "--snapshot-update",
        cache_dir=tmp_path / "pytest-cache",
    )
    assert "run-last-failure" in again.stdout or "rerun previous" in again.stdout
    after = {f: (SNAPSHOTS / model / f).read_text() for f in _files(model)}
    assert after == before
