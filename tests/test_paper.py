"""The paper's own tables, shipped as reference, and where a run on the release stands among them."""

import copy
from typing import Any

import pytest

from giebench_fixtures.judging.verdicts import VERDICT_RULE
from giebench_fixtures.reports.html import render_html
from giebench_fixtures.reports.paper import (
    COLUMNS,
    COPY_ERRORS,
    PAPER_DENOMINATORS,
    not_shown_reason,
    paper_table,
    ranks,
)
from giebench_fixtures.reports.report import markdown


def test_the_shipped_tables_hold_23_models_and_the_example_of_giebench_md() -> None:
    for comparison in ("raw->id", "raw->cot"):
        table = paper_table(comparison)
        assert len(table) == 23
        assert all(set(cells) == set(COLUMNS) for cells in table.values())
    assert paper_table("raw->cot")["GPT-4-turbo"]["Overall"].text == "+43.8% +473/-36"


@pytest.mark.parametrize("comparison", ["raw->id", "raw->cot"])
def test_every_printed_cell_is_its_flips_over_the_papers_denominator_bar_the_copy_errors(
    comparison: str,
) -> None:
    """(plus - minus) / denominator gives the printed change to 0.1 points: per dimension with
    one more than the items (the June 2024 eval.py), overall with 999; only the two cells
    GIEBENCH.md names as copy errors do not."""
    off = set()
    for model, cells in paper_table(comparison).items():
        for column, cell in cells.items():
            denominator = PAPER_DENOMINATORS.get(column, 999)
            if abs((cell.gained - cell.lost) / denominator * 100 - cell.points) > 0.15:
                off.add((model, column))
    if comparison == "raw->id":
        assert {m for m, _ in off} == {"Deepseek-7b"}  # every count copied from its Raw->COT row
        assert ("raw->id", "Deepseek-7b") in COPY_ERRORS
    else:
        assert off == {("Gemma-7b", "Overall")}  # GPT-3.5-turbo's counts
        assert paper_table("raw->cot")["Gemma-7b"]["Overall"].gained == 215


def official_report(cot_overall: float, **changes: Any) -> dict[str, Any]:
    """A report as a run on the release writes it, with Raw->COT Overall at cot_overall."""
    change = {"n": 999, "change": cot_overall, "gained": 400, "lost": 100, "p_value": 0.0}
    return {
        "model": "my-model",
        "dataset": {"source": "official", "items": 999, "answers_shuffled_with_seed": None},
        "verdict_rule": VERDICT_RULE,
        "comparisons": {"raw->cot": {"*": change, **changes}},
    }


def test_ranks_count_the_papers_models_above() -> None:
    # Above +30.0 on Raw->COT overall the paper has GPT-4-turbo 43.8, Qwen-1.5-72b 36.1, Yi-large 36.1,
    # Qwen-2-72b 34.8, Mixtral-8x22b 33.9, Yi-1.5-34b 32.7, Llama-3-70b 31.5, Mistral-7b 30.6.
    assert ranks(official_report(0.30))["raw->cot"]["Overall"].text == "9/24 (+30.0)"
    assert ranks(official_report(0.438))["raw->cot"]["Overall"].rank == 1  # a tie with GPT-4-turbo shares 1st
    assert ranks(official_report(-0.5))["raw->cot"]["Overall"].rank == 24
    assert ranks(official_report(0.3))["raw->id"] == {}  # no Raw->ID in this run


def test_the_run_report_shows_the_rank_on_the_release_with_the_footnote() -> None:
    report = official_report(0.30, Party={"n": 99, "change": 0.9, "gained": 90, "lost": 1, "p_value": 0.0})
    assert not_shown_reason(report) is None
    lines = _markdown_paper_lines(report)
    assert lines[0] == "### `my-model` among the paper's 23 models"
    row = next(line for line in lines if line.startswith("| Raw→COT (understanding) |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[COLUMNS.index("Party") + 1] == "1/24 (+90.0)"
    assert cells[-1] == "9/24 (+30.0)"
    assert (
        "Country 97, Orientation 82" in lines[-1] and "counted each category's first item twice" in lines[-1]
    )
    html = render_html(_full(report))
    assert "Among the paper's 23 models" in html and "9/24 (+30.0)" in html


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (
            {"dataset": {"source": "sample", "items": 194}},
            "this run is on sample data, not the GIEBench release",
        ),
        ({"dataset": {"source": "official", "answers_shuffled_with_seed": 3}}, "(--shuffle-answers)"),
        ({"verdict_rule": None}, "read by an earlier giebench rule"),
    ],
)
def test_elsewhere_the_report_says_in_one_line_why_the_paper_is_absent(
    change: dict[str, Any], why: str
) -> None:
    report = official_report(0.3)
    report.update(change)
    reason = not_shown_reason(report)
    assert reason is not None and why in reason and "\n" not in reason
    assert _markdown_paper_lines(report) == [reason]
    html = render_html(_full(report))
    assert "Among the paper's 23 models" not in html and why in html


def _full(report: dict[str, Any]) -> dict[str, Any]:
    """The rest of a run report, empty, around the parts the paper section reads."""
    full = copy.deepcopy(report)
    full["dataset"] = {"note": "", **full["dataset"], "items": full["dataset"].get("items", 0)}
    full.update(
        gate={"passed": True, "failures": []},
        summary={},
        results=[],
        responses_from="recordings",
        model_settings={"sampling": {}},
    )
    return full


def _markdown_paper_lines(report: dict[str, Any]) -> list[str]:
    """The lines of the run's Markdown summary after its data line: the paper's section."""
    lines = markdown(_full(report)).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Data: "))
    return [line for line in lines[start + 1 :] if line]
