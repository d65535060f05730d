"""The artefacts people read: JSON, markdown, CSV and a self-contained HTML report."""

import csv
import json
import os
import re
import shutil
import struct
import subprocess
from html import escape
from pathlib import Path

import pytest

from giebench_fixtures.reports.html import render_html

from .helpers import invented_items, run_pytest, write_source

# the module-scoped gate runs once, on one worker (see tests/conftest.py)

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


# Small purpose-made data: every dimension with two identities of five items (Orientation one),
# and one identity too small to judge, so each part of the reports has something to show.
IDENTITIES = {
    "Country": ["Atlantis", "Lemuria"],
    "Orientation": ["Homosexuality"],
    "Age": ["Young People", "Older People"],
    "Gender": ["Female", "Male"],
    "Personality": ["Introversion", "Extraversion"],
    "Skin": ["Brown", "White"],
    "Faith": ["Druids", "Stoics"],
    "Education": ["Bachelors", "Masters"],
    "Economy": ["Low Income", "High Income"],
    "Party": ["Green", "Labor"],
    "Occupation": ["Chef", "Athlete"],
}
SMALL_IDENTITY = ("Country", "Mu")  # two items: reported only, never judged
IDENTITY_COUNT = sum(len(names) for names in IDENTITIES.values()) + 1


@pytest.fixture(scope="module")
def artefacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("artefacts")
    items = invented_items(IDENTITIES, per_identity=5)
    items += invented_items({SMALL_IDENTITY[0]: [SMALL_IDENTITY[1]]}, per_identity=2)
    data = write_source(out / "data", items)
    summary = out / "step-summary.md"
    run = run_pytest(
        [
            "tests_bench",
            "--model=baseline:random",
            f"--data={data}",
            "-n",
            "2",
            f"--giebench-report={out / 'r.json'}",
            f"--giebench-markdown={out / 'r.md'}",
            f"--giebench-csv={out / 'r.csv'}",
            f"--giebench-html={out / 'r.html'}",
        ],
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert "gate: FAILED" in run.stdout, run.stdout[-3000:]
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
    assert "`" + str(artefacts / "data") + "`" in text or str(artefacts / "data") in text
    # also appended to GitHub's job summary, within its 1 MiB limit
    assert (artefacts / "step-summary.md").read_text() == text


def test_csv_has_a_row_per_identity_and_variant(artefacts: Path) -> None:
    rows = list(csv.DictReader((artefacts / "r.csv").open()))
    assert len(rows) == IDENTITY_COUNT * 3
    female = next(r for r in rows if r["identity"] == "Female" and r["variant"] == "id")
    assert float(female["ci_low"]) <= float(female["accuracy"]) <= float(female["ci_high"])
    assert int(female["n"]) == 5


def test_html_report_is_self_contained_and_opens_on_the_answer(artefacts: Path) -> None:
    html = (artefacts / "r.html").read_text()
    report = json.loads((artefacts / "r.json").read_text())
    assert not re.search(r"(src|href)=\"https?://", html)
    # the verdict, then the table of dimensions, then the failed checks, then the identity grids
    order = [html.index(mark) for mark in ('id="verdict"', 'id="dimensions"', "Failed checks", "<details")]
    assert order == sorted(order)
    assert f"FAILED: {len(report['gate']['failures'])} check(s) failed" in html
    table = html[html.index('id="dimensions"') : html.index("</table>", html.index('id="dimensions"'))]
    assert table.count('<tr class="dimension">') == 11 and table.count('<tr class="overall">') == 1
    assert "+" in table and "/−" in table  # Raw->ID and Raw->COT flips
    # failed checks under their dimension, each with its one-line reason
    dimension = report["gate"]["failures"][0].split(" / ")[0]
    ours = [f for f in report["gate"]["failures"] if f.startswith(f"{dimension} / ")]
    section = html[html.index(f'id="failed-{dimension}"') :].split("</ul>", 1)[0]
    assert section.count("<li>") == len(ours)
    assert all(escape(line) in section for line in ours)
    # identity grids collapsed, every identity x variant cell there; the small identity grey and labelled
    assert "<details open" not in html
    assert html.count('class="cell') == IDENTITY_COUNT * 3
    # every identity check the gate could not judge (too few items to fail at its level) is grey
    reported_only = [
        c
        for c in report["gate"]["checks"]
        if c["outcome"] == "not judged"
        and c["name"].count(" / ") == 2
        and " / all identities / " not in c["name"]
        and not c["name"].endswith(" / letters")
    ]
    assert reported_only
    skipped = html.count('class="cell skipped"')
    assert skipped == len(reported_only) and html.count("reported only</text>") == skipped
    country = sum(1 for c in reported_only if c["name"].startswith("Country / "))
    assert re.search(rf"<b>Country</b>: 3 identities[^<]*, {country} reported only</summary>", html)
    small = re.findall(r'<rect class="cell skipped"[^>]*fill="([^"]+)"', html)
    assert small == ["#ddd"] * skipped


def test_html_report_shows_the_guarantee_and_the_swap_measure_when_the_report_has_them(
    artefacts: Path,
) -> None:
    report = json.loads((artefacts / "r.json").read_text())
    report["gate"]["guarantee_lines"] = [
        "a model meeting every bar fails this gate with probability <= 0.05",
        "a model at chance passes with probability <= 0.002",
    ]
    report["swap"] = {"id": {"Gender": {"sets": 4, "swap_accuracy": 0.25, "identity_blind_rate": 0.5}}}
    html = render_html(report)
    top = html[html.index('id="verdict"') : html.index("</section>")]
    assert "probability &lt;= 0.05" in top and "passes with probability &lt;= 0.002" in top
    table = html[html.index('id="dimensions"') : html.index("</table>", html.index('id="dimensions"'))]
    assert "swap / blind<br>ID" in table
    gender = table[table.index("<th>Gender</th>") :].split("</tr>", 1)[0]
    assert '0.25 <span class="blind">/ 0.50</span>' in gender
    plain = render_html(json.loads((artefacts / "r.json").read_text()))
    if "guarantee_lines" not in json.loads((artefacts / "r.json").read_text())["gate"]:
        assert 'class="guarantee"' not in plain


def test_the_first_screen_holds_the_verdict_and_the_dimension_table(artefacts: Path, tmp_path: Path) -> None:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: .ci/run installs Debian's chromium for this test")
        pytest.skip("chromium not installed (apt-get install chromium)")
    # the fullest top a report can have: the guarantee lines and a swap column per variant
    report = json.loads((artefacts / "r.json").read_text())
    report["gate"].setdefault(
        "guarantee_lines", ["a model meeting every bar fails ...", "a model at chance ..."]
    )
    dims = report["summary"]["id"]["dimensions"]
    measure = {"sets": 5, "swap_accuracy": 0.2, "identity_blind_rate": 0.4}
    report.setdefault("swap", {v: dict.fromkeys(dims, measure) for v in ("raw", "id", "cot")})
    page = tmp_path / "report.html"
    page.write_text(render_html(report), encoding="utf-8")
    flags = [*chromium_flags(tmp_path / "profile"), "--window-size=1280,800"]
    dom = subprocess.run([*flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    body = re.search(r"<body[^>]*>", dom.stdout)
    assert body is not None, dom.stderr[-2000:]
    boxes = dict(re.findall(r'data-(verdict|dimensions)-box="([\d,.-]+)"', body.group(0)))
    assert set(boxes) == {"verdict", "dimensions"}, body.group(0)
    for name, box in boxes.items():
        left, top, right, bottom = (int(v) for v in box.split(","))
        assert left >= 0 and right <= 1280 and top >= 0 and bottom <= 800, (name, box)
    # every accuracy (12 rows x 3 variants) and change (12 x 2) has its interval drawn
    assert 'data-interval-marks="60"' in body.group(0)
    shot = tmp_path / "first-screen.png"
    subprocess.run([*flags, f"--screenshot={shot}", page.as_uri()], capture_output=True, timeout=120)
    width, height = struct.unpack(">II", shot.read_bytes()[16:24])  # the PNG header's size
    assert (width, height) == (1280, 800)


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
