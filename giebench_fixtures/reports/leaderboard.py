"""Several models side by side, in the paper's layout: ``giebench leaderboard REPORT.json...``.

One table per variant (a row per model, a column per dimension and Overall, each cell the
accuracy), then the Raw->ID and Raw->COT tables with each cell as the paper writes it
(``+43.8% +473/-36``): in the terminal, in Markdown and in a self-contained HTML page in the
run report's heat-map style. Reports stand side by side only when they were made on the same
data (``dataset.fingerprint``: the same items, prompts and answers), on the same selection of
items, and read by the same verdict rule; otherwise the command refuses in one line. Plain,
--shuffle-answers and --circular runs of the same data stand side by side, each marked. Every
figure is recomputed from the reports' ``results`` (a report's ``summary`` is not trusted), and
each accuracy table says the share of answers with no verdict. On the GIEBench release the
paper's own 23 models are placed beside them (``paper.py``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from giebench_fixtures.errors import GiebenchError
from giebench_fixtures.judging.metrics import Outcome, comparisons, summarize
from giebench_fixtures.judging.verdicts import UNRECORDED_RULE
from giebench_fixtures.reports.html import GridCell, heat_grid, html_page
from giebench_fixtures.reports.loaded import LoadedReport, load_report, run_marks
from giebench_fixtures.reports.paper import COLUMNS as PAPER_COLUMNS
from giebench_fixtures.reports.paper import (
    COMPARISON_TITLES,
    COMPARISONS,
    COPY_ERRORS,
    FOOTNOTE,
    change_text,
    not_shown_reason,
    paper_table,
    ranks,
    run_cell,
)
from giebench_fixtures.reports.report import dimension_order

VARIANT_TITLES = {"raw": "Raw", "id": "ID", "cot": "COT"}
NO_VERDICT = "no-verdict"  # the accuracy tables' last column: answers with no [[X]] in them
STEP_SUMMARY_LIMIT = 1000 * 1024  # GitHub's job summary takes at most 1 MiB


@dataclass(frozen=True)
class Table:
    """One table of the leaderboard: a row per model, a cell per column, and each cell's colour."""

    title: str
    columns: list[str]
    rows: list[tuple[str, list[str]]]
    shades: list[list[float | None]]  # 0..1, red to green; None: no value
    marked: frozenset[int] = frozenset()  # rows to set apart (your models among the paper's)


@dataclass
class Leaderboard:
    labels: list[str]
    data: str
    verdict_rule: str
    tables: list[Table]
    paper_tables: list[Table] = field(default_factory=list)
    paper_note: str = ""  # the footnote when the paper's models are shown, else why they are not
    notes: list[str] = field(default_factory=list)


def build(reports: Sequence[LoadedReport]) -> Leaderboard:
    """The leaderboard of reports made on the same data; GiebenchError (one line) when they are not."""
    refusal = incomparable(reports)
    if refusal:
        raise GiebenchError(refusal)
    labels = _labels(reports)
    data: list[Mapping[str, Any]] = [recomputed(r.data) for r in reports]
    dims = dimension_order({d for r in data for block in r["summary"].values() for d in block["dimensions"]})
    columns = [*dims, "Overall"]
    tables = [
        _accuracy_table(v, columns, labels, data)
        for v in VARIANT_TITLES
        if any(v in r["summary"] for r in data)
    ]
    tables += [
        _change_table(c, columns, labels, data)
        for c in COMPARISONS
        if any(c in r["comparisons"] for r in data)
    ]
    first = data[0]["dataset"]
    covered = len({row["id"] for row in data[0]["results"]})
    items = f"{first['items']} items" if covered >= first["items"] else f"{covered} of {first['items']} items"
    board = Leaderboard(
        labels=labels,
        data=f"{first['source']} ({items}; {first.get('note', '')}), "
        f"data fingerprint {first['fingerprint'][:12]}",
        verdict_rule=data[0].get("verdict_rule", UNRECORDED_RULE),
        tables=tables,
    )
    for label, report in zip(labels, data, strict=True):
        seed = report["dataset"].get("answers_shuffled_with_seed")
        if seed is not None:
            board.notes.append(
                f"{label}: made with --shuffle-answers {seed}: the same items with their answers "
                "re-ordered; a gap to the unshuffled run is position bias."
            )
    _add_paper(board, labels, data)
    return board


def recomputed(report: Mapping[str, Any]) -> dict[str, Any]:
    """The report with its summary and Raw->ID/COT changes computed again from its results."""
    outcomes = [_outcome(row) for row in report["results"]]
    changes = {
        name: {dim: change.as_dict() for dim, change in by_dim.items()}
        for name, by_dim in comparisons(outcomes).items()
    }
    return {**report, "summary": summarize(outcomes), "comparisons": changes}


def _outcome(row: Mapping[str, Any]) -> Outcome:
    error = None if row["evaluated"] else str(row.get("error") or "not evaluated")
    rotations = row.get("rotations")
    return Outcome(
        key=row["id"],
        variant=row["variant"],
        dimension=row["dimension"],
        identity=row["identity"],
        correct=row["correct"],
        verdict=row["verdict"],
        response=None,
        error=error,
        rotations=tuple(rotations) if isinstance(rotations, list) else (),
    )


def incomparable(reports: Sequence[LoadedReport]) -> str | None:
    """One line naming what differs between the reports (data, items, verdict rule), or None."""
    missing = [r.path.name for r in reports if not r.data.get("dataset", {}).get("fingerprint")]
    if missing:
        return (
            f"cannot compare: {', '.join(missing)} carry no data fingerprint (made before giebench "
            "recorded one); re-run them (from their recordings, no request is made) to make new reports"
        )
    aspects = []
    for name, key, describe in (
        ("data", _data_key, _data_text),
        ("items", lambda r: frozenset(row["id"] for row in r.data["results"]), _items_text),
        ("verdict rules", lambda r: r.data.get("verdict_rule", UNRECORDED_RULE), _rule_text),
    ):
        if len({key(r) for r in reports}) > 1:
            aspects.append(
                f"different {name} ({'; '.join(f'{r.path.name}: {describe(r)}' for r in reports)})"
            )
    return "cannot compare these reports: " + " and ".join(aspects) if aspects else None


def _data_key(report: LoadedReport) -> str:
    return str(report.data["dataset"]["fingerprint"])


def _data_text(report: LoadedReport) -> str:
    d = report.data["dataset"]
    return f"{d.get('source')}, {d.get('items')} items, fingerprint {str(d['fingerprint'])[:12]}"


def _items_text(report: LoadedReport) -> str:
    return f"{len({row['id'] for row in report.data['results']})} items evaluated"


def _rule_text(report: LoadedReport) -> str:
    return str(report.data.get("verdict_rule", UNRECORDED_RULE))


def _labels(reports: Sequence[LoadedReport]) -> list[str]:
    labels = [str(r.data["model"]) + run_marks(r.data) for r in reports]
    return [
        f"{label} ({r.path.name})" if labels.count(label) > 1 else label
        for label, r in zip(labels, reports, strict=True)
    ]


def _accuracy_table(
    variant: str, columns: list[str], labels: list[str], data: list[Mapping[str, Any]]
) -> Table:
    rows, shades = [], []
    for label, report in zip(labels, data, strict=True):
        block = report["summary"].get(variant)
        silent = _no_verdict_share(report, variant)
        values: list[float | None] = []
        for column in columns:
            stats = (
                None
                if block is None
                else block["overall"]
                if column == "Overall"
                else block["dimensions"].get(column)
            )
            values.append(stats["accuracy"] if stats and stats["n"] else None)
        cells = [f"{v * 100:.1f}%" if v is not None else "-" for v in values]
        rows.append((label, [*cells, f"{silent * 100:.0f}%" if silent is not None else "-"]))
        shades.append([*values, None if silent is None else 1 - silent])
    return Table(f"Accuracy, {VARIANT_TITLES[variant]} prompt", [*columns, NO_VERDICT], rows, shades)


def _no_verdict_share(report: Mapping[str, Any], variant: str) -> float | None:
    """Of the evaluated answers, the share with no verdict in them (counted wrong): a model
    that never writes [[X]] shows here, not as a model that picks wrong."""
    rows = [r for r in report["results"] if r["variant"] == variant and r["evaluated"]]
    if not rows:
        return None
    return sum(1 for r in rows if r["verdict"] is None) / len(rows)


def _change_shade(points: float) -> float:
    """Green for gains, red for losses, full colour at +-50 points."""
    return min(1.0, max(0.0, 0.5 + points / 100))


def _change_table(
    comparison: str, columns: list[str], labels: list[str], data: list[Mapping[str, Any]]
) -> Table:
    rows, shades = [], []
    for label, report in zip(labels, data, strict=True):
        cells = [run_cell(report, comparison, column) for column in columns]
        rows.append((label, [change_text(*c) if c else "-" for c in cells]))
        shades.append([_change_shade(c[0]) if c else None for c in cells])
    return Table(
        f"{COMPARISON_TITLES[comparison]}: change in accuracy, +gained/-lost items", columns, rows, shades
    )


def _add_paper(board: Leaderboard, labels: list[str], data: list[Mapping[str, Any]]) -> None:
    """Your models among the paper's 23 (runs on the release), or one line saying why not."""
    placed = [
        (label, report)
        for label, report in zip(labels, data, strict=True)
        if not_shown_reason(report) is None
    ]
    if not placed:
        board.paper_note = str(not_shown_reason(data[0]))
        return
    board.paper_note = FOOTNOTE
    for label, report in zip(labels, data, strict=True):
        reason = not_shown_reason(report)
        if reason:
            board.notes.append(f"{label}: {reason}")
    columns = list(PAPER_COLUMNS)
    rank_rows, rank_shades = [], []
    for label, report in placed:
        for comparison, by_column in ranks(report).items():
            if by_column:
                rank_rows.append(
                    (
                        f"{label}, {COMPARISON_TITLES[comparison]}",
                        [by_column[c].text if c in by_column else "-" for c in columns],
                    )
                )
                rank_shades.append([by_column[c].shade if c in by_column else None for c in columns])
    board.paper_tables.append(
        Table("Rank among the paper's 23 models (of 24; change in points)", columns, rank_rows, rank_shades)
    )
    for comparison in COMPARISONS:
        entries: list[tuple[float, str, list[tuple[float, int, int] | None], bool]] = []
        for model, cells in paper_table(comparison).items():
            mark = " †" if (comparison, model) in COPY_ERRORS else ""
            row = [(c.points, c.gained, c.lost) for c in cells.values()]
            entries.append((cells["Overall"].points, f"{model}{mark}", list(row), False))
        for label, report in placed:
            mine = [run_cell(report, comparison, c) for c in columns]
            if any(mine):
                overall = mine[-1][0] if mine[-1] else float("-inf")
                entries.append((overall, label, mine, True))
        entries.sort(key=lambda e: -e[0])
        board.paper_tables.append(
            Table(
                f"{COMPARISON_TITLES[comparison]}: the paper's models and yours, by Overall change",
                columns,
                [(name, [change_text(*c) if c else "-" for c in cells]) for _, name, cells, _ in entries],
                [[_change_shade(c[0]) if c else None for c in cells] for _, _, cells, _ in entries],
                frozenset(i for i, e in enumerate(entries) if e[3]),
            )
        )


# --- output ----------------------------------------------------------------------------------


def _aligned(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    fmt = "  ".join(f"{{:{'<' if i == 0 else '>'}{w}}}" for i, w in enumerate(widths))
    return [fmt.format(*header), *(fmt.format(*r) for r in rows)]


def terminal_lines(board: Leaderboard) -> list[str]:
    lines = [f"{len(board.labels)} models on {board.data}; verdicts read by {board.verdict_rule}"]
    for table in [*board.tables, *board.paper_tables]:
        rows = [
            [("▶ " if i in table.marked else "  " if table.marked else "") + label, *cells]
            for i, (label, cells) in enumerate(table.rows)
        ]
        lines += [
            "",
            table.title,
            *_aligned(["model" if not table.marked else "  model", *table.columns], rows),
        ]
    lines += ["", *board.notes, board.paper_note] if board.notes else ["", board.paper_note]
    return lines


def markdown(board: Leaderboard) -> str:
    out = [
        f"## giebench leaderboard: {len(board.labels)} models",
        "",
        f"Data: `{board.data}`. Verdicts read by `{board.verdict_rule}`.",
    ]
    for table in [*board.tables, *board.paper_tables]:
        out += [
            "",
            f"### {table.title}",
            "",
            "| model | " + " | ".join(table.columns) + " |",
            "|" + "---|" * (len(table.columns) + 1),
        ]
        for i, (label, cells) in enumerate(table.rows):
            name = f"**{label}**" if i in table.marked else label
            out.append("| " + " | ".join([name, *cells]) + " |")
    out += [""] + [f"- {note}" for note in board.notes]
    out += ["", f"<sub>{board.paper_note}</sub>" if board.paper_tables else board.paper_note]
    return "\n".join(out) + "\n"


def render_html(board: Leaderboard) -> str:
    tables = [*board.tables, *board.paper_tables]
    longest = max(len(label) for table in tables for label, _ in table.rows)
    label_width = max(120, 7 * longest + 20)  # one width for every table, so their columns align
    sections = []
    for table in tables:
        rows = [
            (
                label,
                [
                    GridCell(text, shade, f"{label} / {column}: {text}") if shade is not None else None
                    for column, text, shade in zip(table.columns, cells, table.shades[i], strict=True)
                ],
            )
            for i, (label, cells) in enumerate(table.rows)
        ]
        grid = heat_grid(
            table.columns,
            rows,
            aria=table.title,
            label_width=label_width,
            marked_rows=table.marked,
        )
        sections.append(f"<h2>{escape(table.title)}</h2>\n{grid}")
    notes = "".join(f"<li>{escape(n)}</li>" for n in board.notes)
    paper = f'<p class="paper-note"><small>{escape(board.paper_note)}</small></p>'
    body = (
        f"<h1>GIEBench leaderboard: {len(board.labels)} models</h1>\n"
        f"<p>Data: <b>{escape(board.data)}</b>. Verdicts read by <code>{escape(board.verdict_rule)}</code>. "
        "Accuracy from red (0) to green (1); changes from red (-50 points) to green (+50).</p>\n"
        + "\n".join(sections)
        + (f"\n<ul>{notes}</ul>" if notes else "")
        + f"\n{paper}"
    )
    return html_page(f"giebench leaderboard: {', '.join(board.labels)}", body)


def main(
    paths: Sequence[Path],
    *,
    markdown_path: Path | None = None,
    html_path: Path | None = None,
    out: Callable[[str], None] = print,
) -> int:
    """Print the leaderboard of these reports and write the files asked for; 0 when done."""
    board = build([load_report(p) for p in paths])
    for line in terminal_lines(board):
        out(line)
    text = markdown(board)
    if markdown_path is not None:
        _write(markdown_path, text)
        out(f"wrote {markdown_path}")
    if html_path is not None:
        _write(html_path, render_html(board))
        out(f"wrote {html_path}")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        _write(Path(summary), text[:STEP_SUMMARY_LIMIT], append=True)
    return 0


def _write(path: Path, text: str, *, append: bool = False) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a" if append else "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise GiebenchError(f"cannot write {path}: {exc.strerror or exc}") from None
