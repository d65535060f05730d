"""The artefacts people read: JSON, markdown, CSV and a self-contained HTML report."""

import csv
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from .helpers import run_pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def chromium_flags(profile: Path) -> list[str]:
    """Headless chromium as this machine needs it: no sandbox as root, no background network."""
    assert CHROMIUM is not None
    return [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
    ]


@pytest.fixture(scope="module")
def artefacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("artefacts")
    summary = out / "step-summary.md"
    run = run_pytest(
        [
            "tests_bench",
            "--model=baseline:random",
            "-n",
            "2",
            f"--giebench-report={out / 'r.json'}",
            f"--giebench-markdown={out / 'r.md'}",
            f"--giebench-csv={out / 'r.csv'}",
            f"--giebench-html={out / 'r.html'}",
        ],
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert "gate: FAILED" in run.stdout
    return out


def test_markdown_summary_leads_with_the_verdict_and_renders_as_tables(artefacts: Path) -> None:
    text = (artefacts / "r.md").read_text()
    lines = text.splitlines()
    failing = len(json.loads((artefacts / "r.json").read_text())["gate"]["failures"])
    assert failing > 0
    assert lines[0].startswith(f"## giebench: ❌ failed ({failing} failing check(s))")
    header = next(i for i, line in enumerate(lines) if line.startswith("| dimension |"))
    assert lines[header + 1].startswith("|---|")
    assert sum(1 for line in lines if line.startswith("| ")) == 1 + 11 + 1  # header, dimensions, overall
    assert "### Failing checks" in text and "exact p=" in text
    assert "`sample`" in text and "not the GIEBench release" in text
    # also appended to GitHub's job summary, within its 1 MiB limit
    assert (artefacts / "step-summary.md").read_text() == text


def test_csv_has_a_row_per_identity_and_variant(artefacts: Path) -> None:
    rows = list(csv.DictReader((artefacts / "r.csv").open()))
    assert len(rows) == 97 * 3
    female = next(r for r in rows if r["identity"] == "Female" and r["variant"] == "id")
    assert float(female["ci_low"]) <= float(female["accuracy"]) <= float(female["ci_high"])
    assert int(female["n"]) == 5


def test_html_report_is_self_contained(artefacts: Path) -> None:
    html = (artefacts / "r.html").read_text()
    assert not re.search(r"(src|href)=\"https?://", html)
    assert html.count('class="cell') == 97 * 3
    report = json.loads((artefacts / "r.json").read_text())
    assert report["thresholds"]["cot"]["Gender"]["Female"] == 0.6


def test_html_report_renders_its_charts_in_a_real_browser(artefacts: Path, tmp_path: Path) -> None:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: .ci/run installs Debian's chromium for this test")
        pytest.skip("chromium not installed (apt-get install chromium)")
    flags = chromium_flags(tmp_path / "profile")
    page = (artefacts / "r.html").as_uri()
    dom = subprocess.run([*flags, "--dump-dom", page], capture_output=True, text=True, timeout=120).stdout
    body = re.search(r"<body[^>]*>", dom)
    assert body is not None
    assert 'data-heatmap-cells="291"' in body.group(0)  # every identity x variant cell was laid out
    assert 'data-change-marks="24"' in body.group(0)  # 11 dimensions + overall, x Raw->ID, Raw->COT
    shot = tmp_path / "report.png"
    subprocess.run(
        [*flags, "--window-size=1000,1400", f"--screenshot={shot}", page], capture_output=True, timeout=120
    )
    assert shot.exists() and shot.stat().st_size > 20_000


def test_an_unwritable_report_path_costs_that_file_only(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder is expected")
    run = run_pytest(
        [
            "tests_bench",
            "--model=baseline:random",
            "-k",
            "Gender",
            f"--giebench-report={blocker / 'r.json'}",
            f"--giebench-csv={tmp_path / 'ok.csv'}",
        ]
    )
    assert f"giebench: could not write {blocker / 'r.json'}" in run.stdout
    assert (tmp_path / "ok.csv").exists()
    assert "INTERNALERROR" not in run.stdout + run.stderr
