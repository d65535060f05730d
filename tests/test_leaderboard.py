"""`giebench leaderboard`: several models side by side in the paper's tables, on the same data only."""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from giebench_fixtures.data.items import DIMENSIONS, shuffle_answers
from giebench_fixtures.data.loading import load_source
from giebench_fixtures.recording.importer import import_results

from .conftest import SNAPSHOTS
from .helpers import ROOT, run_pytest
from .live_helpers import NO_ENDPOINT, small_data
from .test_reports import CHROMIUM, chromium_flags

# the module-scoped gate runs once, on one worker (see tests/conftest.py)

SAMPLE = ROOT / "data" / "sample"
VARIANT_FILES = {"raw": "Raw-Prompt.json", "id": "ID-Prompt.json", "cot": "COT-Prompt.json"}
# Three judges of different skill: the chance of the right answer under Raw, ID and COT.
JUDGES = {"judge-a": (0.45, 0.55, 0.80), "judge-b": (0.40, 0.42, 0.62), "judge-c": (0.30, 0.27, 0.36)}


def published_answers(model: str, skills: tuple[float, float, float], folder: Path) -> Path:
    """Result files in the published layout for a judge right with the given chances."""
    folder.mkdir(parents=True)
    for (variant, name), chance in zip(VARIANT_FILES.items(), skills, strict=True):
        items = json.loads((SAMPLE / name).read_text())
        for key, entry in items.items():
            u = int(hashlib.sha256(f"{model}/{key}/{variant}".encode()).hexdigest(), 16) / 2**256
            wrong = "ABCD"[("ABCD".index(entry["correct"]) + 1 + int(u * 1000) % 3) % 4]
            letter = entry["correct"] if u < chance else wrong
            entry["answer"] = f"Assistant {letter} fits the user best. [[{letter}]]"
        (folder / f"{model}-{name}").write_text(json.dumps(items))
    return folder


def gate_reports(runs: dict[str, tuple[str, ...]], out: Path) -> dict[str, Path]:
    """Gate runs with no endpoint, side by side (each is one pytest process): name -> its report."""
    with ThreadPoolExecutor(max_workers=len(runs)) as pool:
        done = {
            name: pool.submit(
                run_pytest,
                ["tests_bench", f"--base-url={NO_ENDPOINT}", f"--giebench-report={out / name}.json", *args],
                env={"GIEBENCH_CACHE_DIR": str(out / "cache-empty")},
            )
            for name, args in runs.items()
        }
        for name, future in done.items():
            run = future.result()
            assert (out / f"{name}.json").exists(), run.stdout[-2000:]
    return {name: out / f"{name}.json" for name in runs}


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """Three models recorded on the sample, and a run on other data."""
    out = tmp_path_factory.mktemp("leaderboard")
    tag = uuid.uuid4().hex[:6]
    try:
        runs: dict[str, tuple[str, ...]] = {}
        for judge, skills in JUDGES.items():
            model = f"{judge}-{tag}"
            import_results(published_answers(model, skills, out / judge), model, SNAPSHOTS)
            runs[judge] = (f"--model={model}",)
        other = small_data(out / "other-data")
        runs["other"] = ("--model=baseline:random", f"--data={other}")
        runs["other-circular"] = ("--model=baseline:random", f"--data={other}", "--circular")
        yield gate_reports(runs, out)
    finally:
        for judge in JUDGES:
            shutil.rmtree(SNAPSHOTS / f"{judge}-{tag}", ignore_errors=True)
        if SNAPSHOTS.exists() and not any(SNAPSHOTS.iterdir()):
            SNAPSHOTS.rmdir()


def leaderboard(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "giebench_fixtures.cli", "leaderboard", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )


def markdown_rows(text: str, title: str) -> dict[str, list[str]]:
    """The rows of one Markdown table of the leaderboard: first cell -> the other cells."""
    lines = text.splitlines()
    start = lines.index(f"### {title}") + 4
    rows = {}
    for line in lines[start:]:
        if not line.startswith("| "):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[cells[0]] = cells[1:]
    return rows


@pytest.fixture(scope="module")
def three(reports: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("board")
    summary = out / "step-summary.md"
    run = leaderboard(
        *(reports[j] for j in JUDGES),
        "--markdown",
        out / "board.md",
        "--html",
        out / "board.html",
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )
    return {"run": run, "out": out, "summary": summary}


def test_three_models_in_the_papers_layout(three: dict[str, Any], reports: dict[str, Path]) -> None:
    run = three["run"]
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    items = len(json.loads((SAMPLE / "Raw-Prompt.json").read_text()))
    assert lines[0].startswith(f"3 models on sample ({items} items;")
    for title in ("Accuracy, Raw prompt", "Accuracy, ID prompt", "Accuracy, COT prompt"):
        header = lines[lines.index(title) + 1].split()
        assert header == ["model", *DIMENSIONS, "Overall", "no-verdict"]
    assert "Raw→ID (empathy): change in accuracy, +gained/-lost items" in lines
    assert "Raw→COT (understanding): change in accuracy, +gained/-lost items" in lines
    # On the sample the paper's models are not shown, and one line says why.
    assert lines[-3].startswith("The paper's 23 models are not shown: this run is on sample data")
    assert sum("The paper's 23 models" in line for line in lines) == 1
    assert f"wrote {three['out'] / 'board.md'}" in run.stdout

    text = (three["out"] / "board.md").read_text()
    assert three["summary"].read_text() == text  # also in GitHub's job summary
    for judge in JUDGES:
        report = json.loads(reports[judge].read_text())
        label = report["model"]
        for variant, title in (("raw", "Raw"), ("id", "ID"), ("cot", "COT")):
            block = report["summary"][variant]
            expected = [f"{block['dimensions'][d]['accuracy'] * 100:.1f}%" for d in block["dimensions"]]
            row = markdown_rows(text, f"Accuracy, {title} prompt")[label]
            assert sorted(row[:-2]) == sorted(expected)
            assert row[-2] == f"{block['overall']['accuracy'] * 100:.1f}%"
            rows = [r for r in report["results"] if r["variant"] == variant]
            assert row[-1] == f"{sum(r['verdict'] is None for r in rows) / len(rows) * 100:.0f}%"
        for name, title in (("raw->id", "Raw→ID (empathy)"), ("raw->cot", "Raw→COT (understanding)")):
            overall = report["comparisons"][name]["*"]
            row = markdown_rows(text, f"{title}: change in accuracy, +gained/-lost items")[label]
            assert row[-1] == f"{overall['change'] * 100:+.1f}% +{overall['gained']}/-{overall['lost']}"
            assert all(re.fullmatch(r"[+-]\d+\.\d% \+\d+/-\d+", cell) for cell in row)


def test_the_html_page_renders_every_cell_in_a_real_browser(three: dict[str, Any], tmp_path: Path) -> None:
    page = three["out"] / "board.html"
    html = page.read_text()
    assert not re.search(r"(src|href)=\"https?://", html)
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: .ci/run installs Debian's chromium for this test")
        pytest.skip("chromium not installed (apt-get install chromium)")
    dom = subprocess.run(
        [*chromium_flags(tmp_path / "profile"), "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    body = re.search(r"<body[^>]*>", dom)
    assert body is not None
    # 3 models x 12 columns (and the no-verdict share), in 3 accuracy tables and 2 change tables
    assert 'data-heatmap-cells="189"' in body.group(0)


def test_reports_on_other_data_are_refused_in_one_line(reports: dict[str, Path]) -> None:
    run = leaderboard(reports["judge-a"], reports["other"])
    assert run.returncode == 1
    assert run.stdout == ""
    message = run.stderr.strip()
    assert "\n" not in message and "Traceback" not in message
    assert message.startswith(
        "giebench: cannot compare these reports: different data (judge-a.json: sample, "
        f"{len(json.loads((SAMPLE / 'Raw-Prompt.json').read_text()))} items"
    )
    assert "other.json: " in message and ", 15 items, fingerprint " in message


def test_reports_read_by_another_verdict_rule_are_refused(reports: dict[str, Path], tmp_path: Path) -> None:
    old = json.loads(reports["judge-b"].read_text())
    del old["verdict_rule"]  # as a report made before giebench recorded its rule
    (tmp_path / "old.json").write_text(json.dumps(old))
    run = leaderboard(reports["judge-a"], tmp_path / "old.json")
    assert run.returncode == 1
    assert run.stderr.strip() == (
        "giebench: cannot compare these reports: different verdict rules (judge-a.json: "
        "giebench-eval.py-regex; old.json: first-unrepeated-token (before verdict_rule was recorded))"
    )


def test_a_shuffled_run_is_marked(reports: dict[str, Path], tmp_path: Path) -> None:
    shuffled = json.loads(reports["judge-b"].read_text())
    shuffled["dataset"]["answers_shuffled_with_seed"] = 3  # as a run with --shuffle-answers=3 writes it
    (tmp_path / "shuffled.json").write_text(json.dumps(shuffled))
    run = leaderboard(reports["judge-a"], tmp_path / "shuffled.json")
    assert run.returncode == 0, run.stderr
    label = f"{shuffled['model']} [answers shuffled, seed 3]"
    assert sum(line.startswith(label + " ") for line in run.stdout.splitlines()) == 5  # in every table
    assert f"{label}: made with --shuffle-answers 3" in run.stdout


def test_on_the_release_your_models_stand_among_the_papers(reports: dict[str, Path], tmp_path: Path) -> None:
    paths = []
    for judge in ("judge-a", "judge-b"):
        report = json.loads(reports[judge].read_text())
        report["dataset"]["source"] = "official"  # as a run with --data=official writes it
        paths.append(tmp_path / f"{judge}.json")
        paths[-1].write_text(json.dumps(report))
    run = leaderboard(*paths, "--markdown", tmp_path / "board.md")
    assert run.returncode == 0, run.stderr
    assert "The paper's 23 models are not shown" not in run.stdout
    text = (tmp_path / "board.md").read_text()
    ranks = markdown_rows(text, "Rank among the paper's 23 models (of 24; change in points)")
    assert len(ranks) == 4  # two models x Raw→ID, Raw→COT
    assert all(re.fullmatch(r"\d+/24 \([+-]\d+\.\d\)", c) for row in ranks.values() for c in row)
    merged = markdown_rows(text, "Raw→COT (understanding): the paper's models and yours, by Overall change")
    assert len(merged) == 25
    assert merged["GPT-4-turbo"][-1] == "+43.8% +473/-36"
    assert "Gemma-7b †" in merged  # the paper's copy error, marked
    assert sum(1 for name in merged if name.startswith("**")) == 2  # yours, in bold
    assert "Gender 68" in text and "counted each category's first item twice" in text


def test_the_fingerprint_is_the_datas_not_the_shuffles(tmp_path: Path) -> None:
    sample = load_source(SAMPLE)
    assert sample.describe()["fingerprint"] == load_source(SAMPLE).fingerprint()
    assert shuffle_answers(sample, 3).describe()["fingerprint"] == sample.fingerprint()
    changed = tmp_path / "changed"
    shutil.copytree(SAMPLE, changed)
    raw = json.loads((changed / "ID-Prompt.json").read_text())
    first = next(iter(raw))
    raw[first]["prompt"] = raw[first]["prompt"].replace("[User Question]", "[User Question] ", 1)
    (changed / "ID-Prompt.json").write_text(json.dumps(raw))
    assert load_source(changed).fingerprint() != sample.fingerprint()  # one prompt, one space


def test_a_circular_run_stands_beside_the_plain_one_marked(reports: dict[str, Path]) -> None:
    run = leaderboard(reports["other"], reports["other-circular"])
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[0].startswith("2 models on ")
    assert sum(line.startswith("baseline:random [circular] ") for line in run.stdout.splitlines()) == 5


def test_compare_marks_a_circular_run_beside_a_plain_one(reports: dict[str, Path]) -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "giebench_fixtures.cli",
            "compare",
            reports["other"],
            reports["other-circular"],
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("compare baseline:random (other.json) -> baseline:random [circular] ")


def test_figures_are_recomputed_from_the_results_not_taken_from_the_summary(
    reports: dict[str, Path], tmp_path: Path
) -> None:
    report = json.loads(reports["judge-a"].read_text())
    true_overall = report["summary"]["id"]["overall"]["accuracy"]
    report["summary"]["id"]["overall"]["accuracy"] = 0.999  # a tampered summary
    (tmp_path / "tampered.json").write_text(json.dumps(report))
    run = leaderboard(tmp_path / "tampered.json", reports["judge-b"], "--markdown", tmp_path / "board.md")
    assert run.returncode == 0, run.stderr
    row = markdown_rows((tmp_path / "board.md").read_text(), "Accuracy, ID prompt")[report["model"]]
    assert row[-2] == f"{true_overall * 100:.1f}%"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.pop("summary"), "'summary' is missing or not an object"),
        (lambda r: r["summary"]["id"]["overall"].update(accuracy=float("nan")), "it holds NaN"),
        (lambda r: r.update(model=["judge"]), "'model' is missing or not a string"),
        (lambda r: r["results"][0].update(verdict=1), "results[0] has a wrong type for 'verdict'"),
    ],
)
def test_a_malformed_report_is_refused_in_one_line_naming_it(
    reports: dict[str, Path], tmp_path: Path, change: Any, message: str
) -> None:
    report = json.loads(reports["judge-a"].read_text())
    change(report)
    (tmp_path / "malformed.json").write_text(json.dumps(report))
    run = leaderboard(reports["judge-b"], tmp_path / "malformed.json")
    assert run.returncode == 1
    assert run.stdout == "" and "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    assert "malformed.json is not a giebench report" in run.stderr and message in run.stderr


def test_the_items_covered_and_the_no_verdict_share_are_shown(
    reports: dict[str, Path], tmp_path: Path
) -> None:
    paths = []
    for judge in ("judge-a", "judge-b"):
        report = json.loads(reports[judge].read_text())
        report["results"] = [r for r in report["results"] if r["dimension"] == "Gender"]  # as -k Gender
        if judge == "judge-b":
            for row in report["results"]:
                row["verdict"] = None  # a model that never wrote [[X]]
        paths.append(tmp_path / f"{judge}.json")
        paths[-1].write_text(json.dumps(report))
    run = leaderboard(*paths, "--markdown", tmp_path / "board.md")
    assert run.returncode == 0, run.stderr
    covered = len({r["id"] for r in report["results"]})
    items = len(json.loads((SAMPLE / "Raw-Prompt.json").read_text()))
    assert run.stdout.splitlines()[0].startswith(f"2 models on sample ({covered} of {items} items;")
    rows = markdown_rows((tmp_path / "board.md").read_text(), "Accuracy, ID prompt")
    assert rows[report["model"]][-1] == "100%" and rows[report["model"]][-2] == "0.0%"
