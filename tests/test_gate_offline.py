"""The main job, run as a user runs it: pytest tests_bench --model=baseline:random."""

import json
from pathlib import Path

from .helpers import invented_items, run_pytest, write_source


def test_random_baseline_fails_the_gate_readably_and_identically_under_xdist(tmp_path: Path) -> None:
    serial = run_pytest(
        ["tests_bench", "--model=baseline:random", f"--giebench-report={tmp_path / 'a.json'}"]
    )
    parallel = run_pytest(
        ["tests_bench", "--model=baseline:random", "-n", "2", f"--giebench-report={tmp_path / 'b.json'}"]
    )
    for run in (serial, parallel):
        assert run.returncode == 1, run.stdout[-3000:]
        assert "GIEBench gate" in run.stdout
        assert "dimension" in run.stdout and "RAW→ID" in run.stdout and "Overall" in run.stdout
        assert "gate: FAILED" in run.stdout
        assert "< 0.05" in run.stdout and "exact p=" in run.stdout
    a = json.loads((tmp_path / "a.json").read_text())
    b = json.loads((tmp_path / "b.json").read_text())
    a.pop("created"), b.pop("created")  # when each report was written
    assert a == b
    assert a["dataset"]["source"] == "sample"
    assert len(a["results"]) == 3 * a["dataset"]["items"]
    assert a["gate"]["passed"] is False
    assert set(a["summary"]) == {"raw", "id", "cot"}
    assert 0.1 < a["summary"]["raw"]["overall"]["accuracy"] < 0.4  # chance is 0.25
    # which letters the judge picks, beside which are right: position bias shows here
    letters = a["summary"]["id"]["letters"]
    assert sum(letters["verdicts"].values()) == sum(letters["correct"].values()) == a["dataset"]["items"]
    assert "letters, id : chosen A" in serial.stdout


def test_invented_identities_become_test_ids(tmp_path: Path) -> None:
    folder = write_source(tmp_path / "data", invented_items({"Gender": ["Gryphon", "Sphinx"]}))
    run = run_pytest(
        [
            "tests_bench",
            "--model=baseline:random",
            f"--data={folder}",
            "--collect-only",
            "-q",
            "-k",
            "Gryphon",
        ]
    )
    assert "tests_bench/test_gender.py::test_accuracy[raw-Gryphon]" in run.stdout
    assert "tests_bench/test_gender.py::test_accuracy[cot-Gryphon]" in run.stdout
    assert "Sphinx" not in run.stdout


def test_selection_by_dimension_and_variant(tmp_path: Path) -> None:
    run = run_pytest(
        ["tests_bench", "--model=baseline:random", "--collect-only", "-q", "-m", "id", "-k", "Gender"]
    )
    ids = [line for line in run.stdout.splitlines() if "::" in line]
    assert ids and all("test_gender.py" in i and "id" in i for i in ids)
    assert "tests_bench/test_gender.py::test_accuracy[id-Female]" in ids


def test_without_a_model_the_run_says_how_to_choose_one() -> None:
    run = run_pytest(["tests_bench"])
    assert run.returncode == 4
    assert "--model=NAME" in run.stderr
    assert "Traceback" not in run.stderr + run.stdout


def test_a_bad_thresholds_file_stops_the_run_with_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "thresholds.toml"
    bad.write_text("[defaults]\nmin_acuracy = 0.5\n")
    run = run_pytest(["tests_bench", "--model=baseline:random", f"--thresholds={bad}"])
    assert run.returncode == 4
    errors = [line for line in run.stderr.splitlines() if line.startswith("ERROR")]
    assert len(errors) == 1
    assert errors[0].startswith(
        f"ERROR: {bad} (line 2): defaults.min_acuracy: unknown key; did you mean min_accuracy? known keys: "
    )
    bad.write_text("[defaults]\nmin_accuracy = -0.5\n")
    run = run_pytest(["tests_bench", "--model=baseline:random", f"--thresholds={bad}", "-n", "2"])
    assert run.returncode == 4 and "min_accuracy: -0.5 is out of range" in run.stderr


def test_a_broken_data_folder_stops_the_run_naming_file_and_key(tmp_path: Path) -> None:
    folder = write_source(tmp_path / "data", invented_items({"Gender": ["Gryphon"]}))
    data = json.loads((folder / "ID-Prompt.json").read_text())
    data["gender-gryphon-1"]["correct"] = "Q"
    (folder / "ID-Prompt.json").write_text(json.dumps(data))
    run = run_pytest(["tests_bench", "--model=baseline:random", f"--data={folder}"])
    assert run.returncode == 4
    assert "ID-Prompt.json item 'gender-gryphon-1': 'correct' is 'Q'" in run.stderr
    assert "Traceback" not in run.stderr


def test_an_override_for_an_identity_not_in_the_data_is_a_warning(tmp_path: Path) -> None:
    thresholds = tmp_path / "thresholds.toml"
    thresholds.write_text("[dimension.Gender.identity.Femal]\nmin_accuracy = 0.9\n")
    run = run_pytest(["tests_bench", "--model=baseline:random", f"--thresholds={thresholds}", "-k", "Gender"])
    assert (
        f"warning: {thresholds}: [dimension.Gender.identity.Femal] matches no Gender identity" in run.stdout
    )


def test_identities_with_spaces_are_selected_by_underscores() -> None:
    run = run_pytest(["tests_bench", "--model=baseline:random", "--collect-only", "-q", "-k", "Light_Brown"])
    ids = [line for line in run.stdout.splitlines() if "::" in line]
    assert ids == [f"tests_bench/test_skin.py::test_accuracy[{v}-Light_Brown]" for v in ("raw", "id", "cot")]
    # imported recordings land where the plugin looks for them
    from giebench_fixtures.recording.snapshots import recording_path

    path = recording_path(Path("snaps"), "m", "Skin", "Light Brown", "id")
    assert path == Path("snaps/m/test_skin/test_accuracy[id-Light_Brown].json")
