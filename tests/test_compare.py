"""``giebench compare``: two JSON reports in, the identities that got worse out."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from giebench_fixtures.errors import GiebenchError
from giebench_fixtures.reports.compare import (
    LoadedReport,
    compare_reports,
    load_report,
    min_significant_flips,
)

from .helpers import ROOT, invented_items, run_pytest, write_source

IDENTITIES = ("Female", "Male", "Transgender")


def make_report(
    model: str,
    right: Mapping[str, int],
    *,
    per_identity: int = 30,
    variant: str = "id",
    dimension: str = "Gender",
    source: str = "sample",
) -> dict[str, Any]:
    """A report in build_report's schema: `right[identity]` of each identity's items answered right."""
    rows = []
    for identity, n_right in right.items():
        for i in range(per_identity):
            rows.append(
                {
                    "id": f"{dimension.lower()}-{identity.lower()}-{i}",
                    "variant": variant,
                    "dimension": dimension,
                    "identity": identity,
                    "correct": "A",
                    "verdict": "A" if i < n_right else "C",
                    "evaluated": True,
                }
            )
    return {
        "model": model,
        "model_settings": {"name": model, "sampling": {"temperature": 0.0, "max_tokens": 1024, "seed": None}},
        "dataset": {"source": source, "path": "/nowhere", "items": len(rows), "note": "invented"},
        "responses_from": "a test",
        "results": rows,
        "summary": {},
        "comparisons": {},
        "gate": {"passed": True, "failures": []},
        "thresholds": {},
        "accounting": {},
    }


def write(path: Path, report: Any) -> Path:
    path.write_text(json.dumps(report), encoding="utf-8")
    return path


def loaded(folder: Path, report: dict[str, Any], name: str) -> LoadedReport:
    return load_report(write(folder / name, report))


def compare(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "giebench_fixtures.cli", "compare", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def worse(tmp_path: Path) -> tuple[Path, Path]:
    """Female drops from 25 of 30 right to 5 of 30; the others stay where they were."""
    old = write(tmp_path / "old.json", make_report("model-a", {"Female": 25, "Male": 20, "Transgender": 15}))
    new = write(tmp_path / "new.json", make_report("model-b", {"Female": 5, "Male": 20, "Transgender": 15}))
    return old, new


def test_a_significant_drop_is_named_and_fails_with_the_flag(worse: tuple[Path, Path]) -> None:
    run = compare(*worse, "--fail-on-regression")
    assert run.returncode == 1, run.stdout + run.stderr
    out = run.stdout
    assert out.splitlines()[0] == (
        "compare model-a (old.json) -> model-b (new.json) on sample: 90 items paired"
    )
    # the identity, its dimension (60 right -> 40 right of 90) and the overall row
    assert "significant regressions: 3 (1 overall, 1 dimension, 1 identity; McNemar p < 0.05)" in out
    assert "Gender / Female / id: 0.83 -> 0.17 (-0.67, +0/-20 on 30 items, McNemar p=1.9e-06)" in out
    assert "Gender / all identities / id: 0.67 -> 0.44 (-0.22, +0/-20 on 90 items" in out
    assert "Gender / Male" not in out and "Gender / Transgender" not in out
    changed = out.split("identities whose accuracy changed (1 of 3), worst first:")[1]
    assert "Female" in changed and "REGRESSION" in changed and "Male" not in changed
    assert run.stderr == ""


def test_without_the_flag_a_regression_is_reported_but_exits_0(worse: tuple[Path, Path]) -> None:
    run = compare(*worse)
    assert run.returncode == 0, run.stderr
    assert "Gender / Female / id: 0.83 -> 0.17" in run.stdout


def test_identical_reports_have_no_regressions(tmp_path: Path) -> None:
    report = make_report("model-a", {"Female": 25, "Male": 20, "Transgender": 15})
    run = compare(
        write(tmp_path / "a.json", report), write(tmp_path / "b.json", report), "--fail-on-regression"
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "significant regressions: 0 (McNemar p < 0.05)" in run.stdout
    assert "identities whose accuracy changed (0 of 3), worst first:\n  (none)" in run.stdout
    assert "warning" not in run.stdout and "note:" not in run.stdout


def test_a_drop_too_small_to_be_significant_says_so(tmp_path: Path) -> None:
    old = make_report("a", {"Female": 8, "Male": 5}, per_identity=10)
    new = make_report("b", {"Female": 3, "Male": 5}, per_identity=10)
    comparison = compare_reports(loaded(tmp_path, old, "old.json"), loaded(tmp_path, new, "new.json"))
    assert comparison.regressions == []
    female = comparison.changed_identities[0]
    assert (
        female.summary() == "Gender / Female / id: 0.80 -> 0.30 (-0.50, +0/-5 on 10 items, McNemar p=0.062)"
    )
    note = comparison.note()
    assert note is not None and "1 identity dropped, none significantly" in note
    assert f"at least {min_significant_flips(0.05)} right->wrong flips" in note
    assert min_significant_flips(0.05) == 6  # 2 * 0.5**6 = 0.031 < 0.05 <= 2 * 0.5**5


def test_only_items_evaluated_in_both_are_paired(tmp_path: Path) -> None:
    old = make_report("a", {"Female": 10}, per_identity=10)
    new = make_report("b", {"Female": 10}, per_identity=10)
    new["results"][0]["evaluated"] = False
    new["results"][0]["verdict"] = None
    del new["results"][1]
    comparison = compare_reports(loaded(tmp_path, old, "old.json"), loaded(tmp_path, new, "new.json"))
    assert comparison.paired == 8
    assert any("1 result(s) only in the old report" in w for w in comparison.warnings)
    assert any("1 shared result(s) were not evaluated" in w for w in comparison.warnings)


def test_different_sources_and_item_counts_warn_but_do_not_fail(tmp_path: Path) -> None:
    old = write(tmp_path / "old.json", make_report("a", {"Female": 20, "Male": 20}, source="sample"))
    new = write(tmp_path / "new.json", make_report("b", {"Female": 20}, source="official"))
    run = compare(old, new, "--fail-on-regression")
    assert run.returncode == 0, run.stderr
    assert "warning: the reports used different data sources (sample vs official)" in run.stdout
    assert "warning: the reports ran on different item counts (60 vs 30)" in run.stdout
    assert "30 items paired" in run.stdout.splitlines()[0]


def test_markdown_writes_the_same_tables(worse: tuple[Path, Path], tmp_path: Path) -> None:
    target = tmp_path / "compare.md"
    run = compare(*worse, "--markdown", target)
    assert run.returncode == 0, run.stderr
    text = target.read_text(encoding="utf-8")
    assert "| dimension | identity | variant | n | old | new | change | flips | p | 95% CI | flag |" in text
    assert "| Gender | Female | id | 30 | 0.83 | 0.17 | -0.67 | +0/-20 | 1.9e-06 |" in text
    assert "### Significant regressions: 3" in text
    assert "- Gender / Female / id: 0.83 -> 0.17" in text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("{not json", "is not JSON"),
        ("[1, 2, 3]", "is not a giebench report"),
        ('{"model": "m", "dataset": {}}', "no 'results' list"),
        ('{"results": [{"id": "x", "variant": "id"}]}', "results[0] lacks 'dimension'"),
        (
            '{"results": [{"id": 1, "variant": "id", "dimension": "Age", "identity": "Old", '
            '"correct": "A", "verdict": "A", "evaluated": "yes"}]}',
            "wrong type for 'id', 'evaluated'",
        ),
    ],
)
def test_a_bad_report_is_one_line_naming_the_file(
    tmp_path: Path, worse: tuple[Path, Path], content: str | None, message: str
) -> None:
    bad = tmp_path / "broken-report.json"
    if content is not None:
        bad.write_text(content, encoding="utf-8")
    run = compare(worse[0], bad, "--fail-on-regression")
    assert run.returncode == 1
    assert run.stderr.startswith("giebench: ")
    assert "broken-report.json" in run.stderr and message in run.stderr
    assert "Traceback" not in run.stderr and run.stdout == ""


def test_reports_sharing_no_item_are_an_error(tmp_path: Path) -> None:
    old = write(tmp_path / "old.json", make_report("a", {"Female": 3}, dimension="Gender"))
    new = write(tmp_path / "new.json", make_report("b", {"Elder": 3}, dimension="Age"))
    run = compare(old, new)
    assert run.returncode == 1
    assert "share no item evaluated in both" in run.stderr and "old.json" in run.stderr
    assert "Traceback" not in run.stderr


def test_an_unwritable_markdown_target_is_one_line(worse: tuple[Path, Path], tmp_path: Path) -> None:
    run = compare(*worse, "--markdown", tmp_path / "no" / "such" / "dir.md")
    assert run.returncode == 1
    assert run.stderr.startswith("giebench: cannot write ") and "Traceback" not in run.stderr


@pytest.mark.parametrize("alpha", ["0", "1.5", "lots"])
def test_a_bad_alpha_is_a_usage_error(worse: tuple[Path, Path], alpha: str) -> None:
    run = compare(*worse, "--alpha", alpha)
    assert run.returncode == 2
    assert "--alpha" in run.stderr and "Traceback" not in run.stderr


def test_a_stricter_alpha_can_clear_a_regression(tmp_path: Path) -> None:
    old = make_report("a", {"Female": 8}, per_identity=10)
    new = make_report("b", {"Female": 1}, per_identity=10)  # +0/-7: p = 0.0156
    pair = loaded(tmp_path, old, "old.json"), loaded(tmp_path, new, "new.json")
    assert len(compare_reports(*pair, alpha=0.05).regressions) == 3
    assert compare_reports(*pair, alpha=0.01).regressions == []


@pytest.mark.slow
def test_two_seeds_of_the_random_baseline_compare_end_to_end(tmp_path: Path) -> None:
    reports = [tmp_path / f"seed{seed}.json" for seed in (1, 2)]
    data = write_source(
        tmp_path / "data",
        invented_items({"Gender": ["Gryphon", "Sphinx"], "Faith": ["Druid", "Oracle"]}, per_identity=5),
    )

    def gate(seed: int) -> subprocess.CompletedProcess[str]:
        args = ["tests_bench", "--model=baseline:random", f"--seed={seed}", f"--data={data}"]
        return run_pytest([*args, f"--giebench-report={reports[seed - 1]}"])

    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(gate, (1, 2)))
    for run, target in zip(runs, reports, strict=True):
        assert target.exists(), run.stdout[-2000:] + run.stderr[-2000:]
    first, second = (json.loads(p.read_text()) for p in reports)
    assert first["model_settings"]["sampling"]["seed"] == 1
    assert second["model_settings"]["sampling"]["seed"] == 2
    assert [r["verdict"] for r in first["results"]] != [r["verdict"] for r in second["results"]]

    run = compare(*reports, "--markdown", tmp_path / "compare.md")
    assert run.returncode == 0, run.stdout + run.stderr
    header = run.stdout.splitlines()[0]
    source = first["dataset"]["source"]
    assert header == (
        f"compare baseline:random (seed1.json) -> baseline:random (seed2.json) on {source}: 60 items paired"
    )  # 20 items x 3 variants
    assert "warning" not in run.stdout
    assert "significant regressions:" in run.stdout
    assert (tmp_path / "compare.md").read_text(encoding="utf-8").count("| Gender |") >= 3


def test_load_report_errors_are_giebench_errors(tmp_path: Path) -> None:
    with pytest.raises(GiebenchError, match=r"missing\.json: no such file"):
        load_report(tmp_path / "missing.json")
