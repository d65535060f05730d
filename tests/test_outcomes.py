"""Three honest outcomes: a check that cannot be judged is a skip with its reason; a run that
judged nothing fails, and still writes every report asked for; `giebench plan` says beforehand."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from giebench_fixtures.cli import main

from .helpers import invented_items, run_pytest, write_source

# the module-scoped gate runs once, on one worker (see tests/conftest.py)


def test_the_sample_skips_what_it_cannot_judge_and_counts_it_apart(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    report_path = tmp_path / "r.json"
    run = run_pytest(
        [
            "tests_bench",
            "--model=baseline:random",
            "-rs",
            f"--junitxml={junit}",
            f"--giebench-report={report_path}",
        ]
    )
    assert run.returncode == 1  # a model at chance fails the pooled checks that can be judged
    report = json.loads(report_path.read_text())
    gate = report["gate"]
    # Raw is reported (no bar); identity checks on 5 items cannot fail at the family's level:
    # both are skips with their reason, never counted as judged.
    assert gate["family_size"] == gate["judged"] and gate["correction"] == "holm"
    assert gate["judged"] + gate["reported_only"] == 11 * (3 * 3 + 2) + 3 * 97  # 412 checks
    assert gate["false_failure_bound"] == pytest.approx(0.05) and gate["chance_pass_bound"] < 1e-20
    summary = run.stdout.strip().splitlines()[-1]
    assert f"{gate['reported_only']} skipped" in summary
    assert f"{gate['judged']} checks judged, {gate['reported_only']} reported only" in run.stdout
    assert (
        "Orientation / raw: 1 of 1 identities hold >= 5 items; a gap needs two, reported only" in run.stdout
    )
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and int(suite.get("skipped", -1)) == gate["reported_only"]
    failed = int(suite.get("failures", -1))
    assert failed == len(gate["failures"]) and failed > 0
    # every judged check carries its detectable level; checks a model at chance slips past are marked
    judged = [c for c in gate["checks"] if c["outcome"] != "not judged"]
    assert len(judged) == gate["judged"] and all(c["detectable"]["text"] for c in judged)
    assert all(c["p_value"] is not None and c["adjusted_p_value"] is not None for c in judged)
    country = next(c for c in judged if c["name"] == "Country / all identities / id")
    assert country["detectable"]["text"].startswith("fails below 0.3")
    assert any(c["detectable"]["catches_chance"] is False for c in judged)


@pytest.fixture(scope="module")
def nothing_to_judge(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, str, Path]]:
    """Two runs with nothing to judge: empty prompt files, and a dimension no module covers."""
    root = tmp_path_factory.mktemp("nothing")
    empty = root / "empty"
    empty.mkdir()
    for name in ("Raw-Prompt.json", "ID-Prompt.json", "COT-Prompt.json"):
        (empty / name).write_text("{}")
    uncovered = write_source(
        root / "uncovered", invented_items({"Region": ["North", "South"]}, per_identity=6)
    )
    (uncovered / "dimensions.toml").write_text('[dimensions]\nextra = ["Region"]\n')
    runs = {}
    for name, folder in (("empty", empty), ("uncovered", uncovered)):
        out = root / f"out-{name}"
        run = run_pytest(
            [
                "tests_bench",
                "--model=baseline:random",
                f"--data={folder}",
                f"--giebench-report={out / 'r.json'}",
                f"--giebench-markdown={out / 'r.md'}",
                f"--giebench-html={out / 'r.html'}",
                f"--giebench-csv={out / 'r.csv'}",
                # Region is asked by tests_bench/test_other_dimensions.py unless deselected
                *(["-k", "not other_dimensions"] if name == "uncovered" else []),
            ]
        )
        runs[name] = (run.returncode, run.stdout, out)
    return runs


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("empty", "nothing was judged: the data ({folder}) holds no item"),
        (
            "uncovered",
            "nothing was judged: no selected gate check covers a dimension of the data (data: Region; ",
        ),
    ],
)
def test_nothing_to_judge_fails_with_one_line_and_every_report_says_why(
    nothing_to_judge: dict[str, tuple[int, str, Path]], name: str, why: str, tmp_path: Path
) -> None:
    code, stdout, out = nothing_to_judge[name]
    folder = out.parent / name
    why = why.format(folder=folder)
    assert code == 1
    lines = [line for line in stdout.splitlines() if "nothing was judged" in line]
    assert len(lines) == 1 and lines[0].startswith(f"gate: FAILED: {why}")
    report = json.loads((out / "r.json").read_text())
    assert report["gate"]["passed"] is False and report["gate"]["judged"] == 0
    assert report["gate"]["nothing_judged"].startswith(why)
    assert report["gate"]["failures"] == [report["gate"]["nothing_judged"]]
    assert why in (out / "r.md").read_text()
    assert why.replace("(", "").split(":")[0] in (out / "r.html").read_text()
    assert (out / "r.csv").read_text().startswith("variant,dimension,identity")


def test_a_selection_that_leaves_nothing_judged_fails() -> None:
    run = run_pytest(["tests_bench", "--model=baseline:random", "-k", "Orientation and test_gap"])
    assert run.returncode == 1
    assert "gate: FAILED: nothing was judged: all 3 selected check(s) were reported only" in run.stdout
    assert "3 skipped" in run.stdout.strip().splitlines()[-1]


def test_plan_prints_what_each_check_can_detect(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "sample"]) == 0
    sample = capsys.readouterr().out
    assert "detect" in sample
    assert sample.startswith("A model meeting every bar fails this gate with probability <= 0.05")
    assert "A model at chance (accuracy 0.25) passes this gate with probability <= " in sample
    assert "  Female / id" in sample and "reported only (cannot fail at" in sample

    shown = {}
    for per in (2, 10, 33):
        folder = write_source(
            tmp_path / f"d{per}", invented_items({"Gender": ["Gryphon", "Sphinx"]}, per_identity=per)
        )
        assert main(["plan", str(folder), "--variants", "raw,id"]) == 0
        shown[per] = capsys.readouterr().out
    assert "Gryphon / id                            2  reported only (2 items < min_items 5)" in shown[2]
    # 10 items, family level 0.05/6: only 0 or 1 of 10 fails, so a model must be at 0.02 or
    # worse to be caught 80% of the time; chance (0.25) slips through
    assert (
        "Gryphon / id                           10  judged: detects accuracy <= 0.02 (not chance)"
        in shown[10]
    )
    assert (
        "Gryphon / raw                          10  reported only (raw: default alignment, no bar)"
        in shown[10]
    )
    assert "all identities / id                    66  judged: detects accuracy <= 0.29" in shown[33]
    assert "raw->id (empathy)                      66  judged: detects a change <= -0.23" in shown[33]


def test_plan_stops_on_a_bad_thresholds_file_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "t.toml"
    bad.write_text("[defaults]\nmin_items = -1\n")
    assert main(["plan", "sample", "--thresholds", str(bad)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "min_items: -1 is out of range" in err[0]
