"""Every dimension the data holds is asked, or named as not asked: one added through
dimensions.toml runs through tests_bench/test_other_dimensions.py."""

from __future__ import annotations

import json
from pathlib import Path

from giebench_fixtures.data.repository import unasked_by_any_module

from .helpers import ROOT, invented_items, run_pytest, write_source


def _data(folder: Path) -> Path:
    write_source(folder, invented_items({"Gender": ["Female", "Male"], "Region": ["North", "South"]}, 4))
    (folder / "dimensions.toml").write_text('[dimensions]\nextra = ["Region"]\n', encoding="utf-8")
    return folder


def test_a_dimension_added_through_dimensions_toml_is_asked_and_judged(tmp_path: Path) -> None:
    data = _data(tmp_path / "data")
    report = tmp_path / "r.json"
    run = run_pytest(
        ["tests_bench", "--model=baseline:random", f"--data={data}", f"--giebench-report={report}", "-v"]
    )
    assert "test_other_dimensions.py::test_accuracy[Region-id-North]" in run.stdout, run.stdout[-3000:]
    assert "test_other_dimensions.py::test_change[Region-raw-to-cot]" in run.stdout
    written = json.loads(report.read_text())
    assert sum(r["dimension"] == "Region" for r in written["results"]) == 24  # 8 items x 3 variants
    assert written["not_asked"] == []
    assert "Region" in written["summary"]["id"]["dimensions"]

    selected = run_pytest(
        [
            "tests_bench",
            "--model=baseline:random",
            f"--data={data}",
            f"--giebench-report={report}",
            "-k",
            "Gender",
        ]
    )
    assert "not asked in this run: Region (8 items)" in selected.stdout, selected.stdout[-3000:]
    assert json.loads(report.read_text())["not_asked"] == ["Region"]


def test_without_a_module_for_it_a_dimension_fails_the_gate(tmp_path: Path) -> None:
    bench = tmp_path / "tests_bench"
    bench.mkdir()
    for name in ("test_gender.py", "test_other_dimensions.py"):
        (bench / name).write_text((ROOT / "tests_bench" / name).read_text())
    assert unasked_by_any_module(tmp_path, ["Gender", "Region"]) == []
    (bench / "test_other_dimensions.py").unlink()
    assert unasked_by_any_module(tmp_path, ["Gender", "Region"]) == ["Region"]
