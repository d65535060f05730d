"""The paper's own Raw->ID and Raw->COT tables, and where a run on the release ranks among them.

Wang et al. (2024) compare 23 models pairwise on the same items: Raw->ID ("empathy") and
Raw->COT ("understanding"), each cell the change in accuracy in percentage points and the
``+N/-M`` flips. ``reference/paper-raw-to-id.csv`` and ``paper-raw-to-cot.csv`` hold those
two tables as printed (see ``reference/README.md`` for their provenance). They are shown
only beside runs on the GIEBench release itself: on any other data the numbers do not compare.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from giebench_fixtures.data.items import DIMENSIONS
from giebench_fixtures.judging.verdicts import VERDICT_RULE

COMPARISONS = {"raw->id": "paper-raw-to-id.csv", "raw->cot": "paper-raw-to-cot.csv"}
COMPARISON_TITLES = {"raw->id": "Raw→ID (empathy)", "raw->cot": "Raw→COT (understanding)"}
COLUMNS = (*DIMENSIONS, "Overall")
# What the paper's per-dimension percentages divide by: one more than the dimension's items,
# as the June 2024 eval.py counted each category's first item twice. Fitted to the printed
# cells: every one of them is (plus - minus) / denominator to 0.1 points, bar the copy errors.
PAPER_DENOMINATORS = {
    "Country": 97,
    "Orientation": 82,
    "Age": 93,
    "Gender": 68,
    "Personality": 108,
    "Skin": 101,
    "Faith": 96,
    "Education": 104,
    "Economy": 100,
    "Party": 100,
    "Occupation": 61,
}
# Cells whose flip counts the paper copied from another row (its percentages are right).
COPY_ERRORS = {
    ("raw->id", "Deepseek-7b"): "every count is the Raw→COT row's",
    ("raw->cot", "Gemma-7b"): "the Overall counts are GPT-3.5-turbo's",
}
FOOTNOTE = (
    "Ranks place this run's change, in percentage points, among the 23 models of the paper's "
    "Raw→ID and Raw→COT tables (1 = the largest gain; ties share a rank). The paper's "
    "per-dimension figures divide by one more than the dimension's items (Country 97, "
    "Orientation 82, Age 93, Gender 68, Personality 108, Skin 101, Faith 96, Education 104, "
    "Economy 100, Party 100, Occupation 61: its June 2024 eval.py counted each category's first "
    "item twice); ours divide by the items themselves, so the same flips give a change about 1% "
    "larger (relative) here. Its "
    "Overall figures use about 999 items. Two of its rows (marked † in the leaderboard) hold copy "
    "errors in their flip counts only: Raw→ID Deepseek-7b (the Raw→COT row's) and Raw→COT "
    "Gemma-7b Overall (GPT-3.5-turbo's)."
)


@dataclass(frozen=True)
class PaperCell:
    """One cell of the paper's change tables, as printed."""

    points: float  # change in accuracy, percentage points
    gained: int  # wrong under Raw, right under the other variant
    lost: int  # the reverse

    @property
    def text(self) -> str:
        return change_text(self.points, self.gained, self.lost)


def change_text(points: float, gained: int, lost: int) -> str:
    """A change cell as the paper writes it: '+43.8% +473/-36'."""
    return f"{points:+.1f}% +{gained}/-{lost}"


@cache
def paper_table(comparison: str) -> dict[str, dict[str, PaperCell]]:
    """Model -> column (dimension or 'Overall') -> cell, for 'raw->id' or 'raw->cot'."""
    text = (files("giebench_fixtures") / "reference" / COMPARISONS[comparison]).read_text(encoding="utf-8")
    return {
        row["model"]: {
            column: PaperCell(
                float(row[f"{column}_delta_pct"]), int(row[f"{column}_plus"]), int(row[f"{column}_minus"])
            )
            for column in COLUMNS
        }
        for row in csv.DictReader(io.StringIO(text))
    }


def not_shown_reason(report: Mapping[str, Any]) -> str | None:
    """Why the paper's models cannot stand beside this run, in one line; None when they can."""
    dataset = report.get("dataset", {})
    head = "The paper's 23 models are not shown"
    if dataset.get("source") != "official":
        return (
            f"{head}: this run is on {dataset.get('source', 'unknown')} data, not the GIEBench release "
            "(giebench data pull, then pytest tests_bench --data=official)."
        )
    if dataset.get("answers_shuffled_with_seed") is not None:
        return f"{head}: this run shuffled each item's answers (--shuffle-answers); the paper did not."
    if report.get("circular"):
        return f"{head}: this run asked each item in four rotations (--circular); the paper asked once."
    if report.get("verdict_rule") != VERDICT_RULE:
        return f"{head}: this report's verdicts were read by an earlier giebench rule, not the paper's."
    if not any(c in report.get("comparisons", {}) for c in COMPARISONS):
        return f"{head}: the paper compares Raw with ID and COT; this run has no such pair of variants."
    return None


@dataclass(frozen=True)
class Rank:
    """Where a change stands among the paper's models."""

    rank: int
    total: int
    points: float

    @property
    def text(self) -> str:
        return f"{self.rank}/{self.total} ({self.points:+.1f})"

    @property
    def shade(self) -> float:
        """1 at the top, 0 at the bottom."""
        return 1 - (self.rank - 1) / (self.total - 1) if self.total > 1 else 1.0


def run_cell(report: Mapping[str, Any], comparison: str, column: str) -> tuple[float, int, int] | None:
    """A run's change in points and its flips for a column ('Overall' is the report's '*')."""
    change = report.get("comparisons", {}).get(comparison, {}).get("*" if column == "Overall" else column)
    if change is None:
        return None
    points = round(change["change"] * 100, 1) + 0.0  # + 0.0: no "-0.0"
    return points, int(change["gained"]), int(change["lost"])


def ranks(report: Mapping[str, Any]) -> dict[str, dict[str, Rank]]:
    """Comparison -> column -> the run's rank among the paper's models (changes as printed, 0.1 points)."""
    result: dict[str, dict[str, Rank]] = {}
    for comparison in COMPARISONS:
        table = paper_table(comparison)
        result[comparison] = {}
        for column in COLUMNS:
            mine = run_cell(report, comparison, column)
            if mine is None:
                continue
            above = sum(1 for cells in table.values() if cells[column].points > mine[0])
            result[comparison][column] = Rank(above + 1, len(table) + 1, mine[0])
    return result


def rank_rows(report: Mapping[str, Any]) -> tuple[list[str], list[list[str]]]:
    """The rank table of one run: a row per comparison, a column per dimension and Overall."""
    by_comparison = ranks(report)
    rows = []
    for comparison, by_column in by_comparison.items():
        if by_column:
            cells = [by_column[c].text if c in by_column else "-" for c in COLUMNS]
            rows.append([COMPARISON_TITLES[comparison], *cells])
    return ["rank among the paper's models", *COLUMNS], rows


def markdown_lines(report: Mapping[str, Any]) -> list[str]:
    """The run report's section on the paper: the rank table and its footnote, or why it is absent."""
    reason = not_shown_reason(report)
    if reason:
        return [reason]
    header, rows = rank_rows(report)
    return [
        f"### `{report['model']}` among the paper's 23 models",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(r) + " |" for r in rows),
        "",
        f"<sub>{FOOTNOTE}</sub>",
    ]
