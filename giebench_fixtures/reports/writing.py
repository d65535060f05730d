"""Writing the report files a run was asked for, and GitHub's step summary.

Returns what to print, so the plugin only prints: a path that cannot be written costs that
file only, and says so.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from giebench_fixtures.reports.html import render_html
from giebench_fixtures.reports.report import csv_text, markdown

STEP_SUMMARY_LIMIT = 1000 * 1024  # GitHub refuses larger step summaries

# option dest -> how that file is rendered from the report
REPORT_FORMATS: dict[str, Callable[[dict[str, Any]], str]] = {
    "report": lambda report: json.dumps(report, indent=2, ensure_ascii=False) + "\n",
    "markdown": markdown,
    "csv": csv_text,
    "html": render_html,
}


def write_reports(
    report: dict[str, Any], targets: Mapping[str, str | None], step_summary: str | None
) -> list[tuple[str, bool]]:
    """Write each requested format; (line to print, whether it is a failure) per file."""
    lines = []
    for option, render in REPORT_FORMATS.items():
        target = targets.get(option)
        if target:
            lines.extend(_write(Path(target), render(report)))
    if step_summary:
        lines.extend(_write(Path(step_summary), markdown(report)[:STEP_SUMMARY_LIMIT], append=True))
    return lines


def _write(path: Path, text: str, *, append: bool = False) -> list[tuple[str, bool]]:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a" if append else "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        return [(f"giebench: could not write {path}: {exc.strerror or exc}", True)]
    return [] if append else [(f"wrote {path}", False)]
