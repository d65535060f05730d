"""giebench leaderboard: several models side by side in the paper's layout."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import ROOT, invented_items, run_pytest, write_source
from .test_reports import CHROMIUM, chromium_flags

MODELS = ("--model=baseline:random --seed=1", "--model=baseline:random --seed=2", "--model=baseline:opener")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "giebench_fixtures.cli", *args], cwd=ROOT, capture_output=True, text=True
    )


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Three models' reports on the bundled sample (offline judges, no endpoint)."""
    folder = tmp_path_factory.mktemp("leaderboard")
    paths = []
    for n, model in enumerate(MODELS):
        path = folder / f"model{n}.json"
        run = run_pytest(["tests_bench", *model.split(), f"--giebench-report={path}"])
        assert path.exists(), run.stdout[-2000:]
        paths.append(path)
    return paths


def test_three_models_side_by_side_in_the_papers_layout(reports: list[Path], tmp_path: Path) -> None:
    markdown, html = tmp_path / "lb.md", tmp_path / "lb.html"
    run = _cli("leaderboard", *map(str, reports), "--markdown", str(markdown), "--html", str(html))
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert out.startswith("3 models on sample")
    for title in ("Accuracy, Raw prompt", "Accuracy, ID prompt", "Accuracy, COT prompt"):
        assert title in out
    assert "Raw→ID (empathy)" in out and "Raw→COT (understanding)" in out
    header = next(line for line in out.splitlines() if line.startswith("model") and "Occupation" in line)
    assert header.split()[-1] == "Overall" and "Country" in header
    rows = [line for line in out.splitlines() if line.startswith("baseline:opener")]
    assert len(rows) == 5  # one row per table: three variants, two changes
    assert re.search(r"[+-]\d+\.\d% \+\d+/-\d+", rows[3])  # a change cell as the paper writes it
    assert "paper's 23 models are not shown" in out  # sample data: no comparison with the paper
    assert "| model |" in markdown.read_text()
    page = html.read_text()
    assert not re.search(r"(src|href)=\"https?://", page)


def test_reports_on_different_data_are_refused_in_one_line(reports: list[Path], tmp_path: Path) -> None:
    other = write_source(tmp_path / "other", invented_items({"Gender": ["Gryphon", "Sphinx"]}, 5))
    path = tmp_path / "other.json"
    run_pytest(["tests_bench", "--model=baseline:random", f"--data={other}", f"--giebench-report={path}"])
    refused = _cli("leaderboard", str(reports[0]), str(path))
    assert refused.returncode == 1
    assert refused.stdout == ""
    assert len(refused.stderr.strip().splitlines()) == 1
    assert refused.stderr.startswith("giebench: cannot compare these reports: different data")


def test_the_leaderboard_renders_in_a_real_browser(reports: list[Path], tmp_path: Path) -> None:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: .ci/run installs Debian's chromium for this test")
        pytest.skip("chromium not installed (apt-get install chromium)")
    html = tmp_path / "lb.html"
    assert _cli("leaderboard", *map(str, reports), "--html", str(html)).returncode == 0
    flags = chromium_flags(tmp_path / "profile")
    dom = subprocess.run([*flags, "--dump-dom", html.as_uri()], capture_output=True, text=True, timeout=120)
    body = re.search(r"<body[^>]*>", dom.stdout)
    assert body is not None
    drawn = re.search(r'data-heatmap-cells="(\d+)"', body.group(0))
    assert drawn is not None
    assert int(drawn.group(1)) == html.read_text().count('class="cell') > 0  # every cell laid out
