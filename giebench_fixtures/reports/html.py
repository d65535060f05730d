"""A self-contained HTML report: inline SVG charts, no network needed to open it.

It opens on the answer (html_answer: the verdict, the guarantee, a row per dimension, the failed
checks by dimension); below, per dimension, a collapsed heat map of accuracy per identity and
variant with the gate's bar marked, then what each check can detect.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from giebench_fixtures.judging.stats import wilson_interval
from giebench_fixtures.reports.html_answer import dimension_table, failed_checks, verdict_block, verdict_text
from giebench_fixtures.reports.paper import COLUMNS, COMPARISON_TITLES, FOOTNOTE, not_shown_reason, ranks
from giebench_fixtures.reports.report import circular_line, dimension_order, judged_line

CELL_W, CELL_H, LABEL_W = 120, 20, 300


def heat_colour(value: float) -> str:
    """Red at 0, amber at chance-and-a-bit, green at 1."""
    hue = round(120 * value)
    return f"hsl({hue}, 65%, {55 + round(10 * (1 - value))}%)"


@dataclass(frozen=True)
class GridCell:
    """One cell of a heat map: its text, its colour on the 0..1 scale, and what hovering shows."""

    text: str
    shade: float
    title: str
    bar: float | None = None  # a tick at this 0..1 position (the gate's bar)
    outlined: bool = False  # a red outline (a failed check)
    skipped: bool = False  # grey: a check reported only, not judged


def heat_grid(
    columns: Sequence[str],
    rows: Sequence[tuple[str, Sequence[GridCell | None]]],
    *,
    aria: str,
    cell_width: int = CELL_W,
    label_width: int = LABEL_W,
    marked_rows: Collection[int] = (),
) -> str:
    """An inline SVG heat map: a label per row, a coloured cell per column (grey where None)."""
    width = label_width + cell_width * len(columns) + 10
    height = CELL_H * (len(rows) + 1) + 10
    parts = [
        f'<svg class="heatmap" role="img" aria-label="{escape(aria)}" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-size="12">'
    ]
    for col, name in enumerate(columns):
        x = label_width + col * cell_width + cell_width / 2
        parts.append(f'<text x="{x}" y="14" text-anchor="middle" font-weight="bold">{escape(name)}</text>')
    for row, (label, cells) in enumerate(rows):
        y = CELL_H * (row + 1)
        weight = ' font-weight="bold"' if row in marked_rows else ""
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 14}" text-anchor="end"{weight}>{escape(label)}</text>'
        )
        for col, cell in enumerate(cells):
            x = label_width + col * cell_width
            if cell is None:
                parts.append(
                    f'<rect x="{x}" y="{y}" width="{cell_width - 2}" height="{CELL_H - 2}" fill="#eee"/>'
                )
                continue
            outline = ' stroke="#b00" stroke-width="2"' if cell.outlined else ""
            kind = " below" if cell.outlined else " skipped" if cell.skipped else ""
            fill = "#ddd" if cell.skipped else heat_colour(cell.shade)
            parts.append(
                f'<rect class="cell{kind}" x="{x}" y="{y}" '
                f'width="{cell_width - 2}" height="{CELL_H - 2}" fill="{fill}"{outline}>'
                f"<title>{escape(cell.title)}</title></rect>"
            )
            if cell.bar is not None:  # the gate's bar as a tick on the cell's 0..1 scale
                bx = x + cell.bar * (cell_width - 2)
                parts.append(
                    f'<line class="bar" x1="{bx}" x2="{bx}" y1="{y}" y2="{y + CELL_H - 2}" stroke="#000"/>'
                )
            parts.append(f'<text x="{x + 4}" y="{y + 14}"{weight}>{escape(cell.text)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _checks_by_cell(report: Mapping[str, Any]) -> tuple[set[str], set[str]]:
    """The identity checks ("Dimension / Identity / variant") that failed, and those only reported."""
    gate = report["gate"]
    failed = {str(line).split(":", 1)[0] for line in gate["failures"]}
    reported = {c["name"] for c in gate.get("checks", []) if c.get("outcome") == "not judged"}
    return failed, reported


def identity_grid(report: Mapping[str, Any], dim: str, failed: set[str], reported: set[str]) -> str:
    """One dimension's heat map: a row per identity, a column per variant."""
    summary = report["summary"]
    bars: Mapping[str, Any] = report.get("thresholds", {})
    variants = [v for v in ("raw", "id", "cot") if v in summary]
    idents = sorted(
        {i for v in variants for i in summary[v]["dimensions"].get(dim, {}).get("identities", {})}
    )
    rows: list[tuple[str, list[GridCell | None]]] = []
    for ident in idents:
        cells: list[GridCell | None] = []
        for variant in variants:
            stats = summary[variant]["dimensions"].get(dim, {}).get("identities", {}).get(ident)
            if not stats or not stats["n"]:
                cells.append(None)
                continue
            acc = stats["accuracy"]
            lo, hi = wilson_interval(stats["correct"], stats["n"])
            bar = bars.get(variant, {}).get(dim, {}).get(ident)
            name = f"{dim} / {ident} / {variant}"
            below, skipped = name in failed, name in reported
            title = (
                f"{name}: {acc:.2f} ({stats['correct']}/{stats['n']}, 95% CI {lo:.2f}-{hi:.2f})"
                + (f"; bar {bar:.2f}" if bar is not None else "")
                + ("; reported only, not judged" if skipped else "")
            )
            text = f"{acc:.2f} ({stats['correct']}/{stats['n']})" + (
                " ▼" if below else " reported only" if skipped else ""
            )
            cells.append(GridCell(text, acc, title, bar, below, skipped))
        rows.append((ident, cells))
    return heat_grid(
        [v.upper() for v in variants], rows, aria=f"{dim}: accuracy per identity and variant", label_width=200
    )


def identity_grids(report: Mapping[str, Any]) -> str:
    """A collapsed section per dimension, its summary line saying what is inside."""
    summary = report["summary"]
    failed, reported = _checks_by_cell(report)
    dims = dimension_order({d for v in summary.values() for d in v.get("dimensions", {})})
    parts = []
    for dim in dims:
        idents = {i for v in summary.values() for i in v["dimensions"].get(dim, {}).get("identities", {})}
        cells = {f"{dim} / {i} / {v}" for i in idents for v in summary}
        failing, skipped = len(cells & failed), len(cells & reported)
        notes = [f"{len(idents)} identities"]
        if failing:
            notes.append(f"{failing} identity check(s) failed")
        if skipped:
            notes.append(f"{skipped} reported only")
        parts.append(
            f'<details class="identities"><summary><b>{escape(dim)}</b>: {escape(", ".join(notes))}</summary>'
            f"{identity_grid(report, dim, failed, reported)}</details>"
        )
    return "".join(parts)


_CHECK_SCRIPT = """
<script>
// Marks on <body> what actually rendered, for a reader's devtools and for our browser test.
window.addEventListener('load', () => {
  const drawn = (sel) => [...document.querySelectorAll(sel)].filter(e => e.getBBox().width > 0).length;
  document.body.dataset.heatmapCells = drawn('svg.heatmap rect.cell');
  document.body.dataset.intervalMarks = drawn('svg.mark rect.interval');
  // where the answer sits on the first screen: left,top,right,bottom in CSS pixels
  const box = (sel) => {
    const e = document.querySelector(sel);
    if (!e) return '';
    const r = e.getBoundingClientRect();
    return [r.left, r.top, r.right, r.bottom].map(Math.round).join(',');
  };
  document.body.dataset.verdictBox = box('#verdict');
  document.body.dataset.dimensionsBox = box('#dimensions');
  document.body.dataset.viewport = `${window.innerWidth}x${window.innerHeight}`;
});
</script>
"""


def checks_table(report: Mapping[str, Any]) -> str:
    """Every judged check with its outcome and what it can detect; checks blind to a model at
    chance are marked."""
    gate = report["gate"]
    judged = [c for c in gate.get("checks", []) if c["outcome"] != "not judged"]
    intro = f"<p>{escape(judged_line(gate))}.</p>" if "judged" in gate else ""
    if not judged:
        return intro
    rows = []
    for c in judged:
        level = c.get("detectable") or {}
        blind = level.get("catches_chance") is False
        rows.append(
            f'<tr class="{c["outcome"]}{" blind" if blind else ""}"><td>{escape(c["name"])}</td>'
            f"<td>{escape(c['outcome'])}</td><td>{escape(str(level.get('text', '')))}"
            f"{' ⚠' if blind else ''}</td></tr>"
        )
    return (
        f'{intro}<table class="checks"><thead><tr><th>check</th><th>outcome</th>'
        f"<th>detectable level (fails with 80% probability)</th></tr></thead><tbody>{''.join(rows)}"
        "</tbody></table>"
    )


def paper_section(report: Mapping[str, Any]) -> str:
    """The run among the paper's 23 models (runs on the release only), or one line saying why not."""
    reason = not_shown_reason(report)
    if reason:
        return f'<p class="paper-note">{escape(reason)}</p>'
    rows: list[tuple[str, list[GridCell | None]]] = []
    for comparison, by_column in ranks(report).items():
        if by_column:
            title = COMPARISON_TITLES[comparison]
            cells: list[GridCell | None] = [
                GridCell(r.text, r.shade, f"{title}, {c}: {r.points:+.1f} points, rank {r.rank} of {r.total}")
                if (r := by_column.get(c))
                else None
                for c in COLUMNS
            ]
            rows.append((title, cells))
    grid = heat_grid(COLUMNS, rows, aria="rank among the paper's models", cell_width=100)
    return (
        f"<h2>Among the paper's 23 models</h2>\n<p>Rank of this run's change (points) in the paper's "
        f'tables; green is the top.</p>\n{grid}\n<p class="footnote"><small>{escape(FOOTNOTE)}</small></p>'
    )


def html_page(title: str, body: str, *, css: str = "") -> str:
    """A self-contained page in the run report's style (no network needed), with its render check."""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{escape(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
svg text {{ fill: #222; }} li {{ font-family: ui-monospace, monospace; font-size: 12px; }}
{css}
</style></head><body>
{body}
{_CHECK_SCRIPT}
</body></html>
"""


def render_html(report: Mapping[str, Any]) -> str:
    gate = report["gate"]
    d = report["dataset"]
    rotations = "".join(
        f"<li>{escape(circular_line(v, b))}</li>" for v, b in report.get("circular_summary", {}).items()
    )
    circular = (
        "<h2>Circular evaluation</h2><p>Every item asked in its four rotations; right only when all "
        f"four are.</p><ul>{rotations}</ul>"
        if report.get("circular")
        else ""
    )
    css = """body { margin: 1em 1.5em; }
.verdict { padding: .3em .8em; border-radius: 4px; margin: .4em 0; }
.verdict.passed { background: #d4edda; } .verdict.failed { background: #f8d7da; }
.verdict p, .verdict ul { margin: .2em 0; } .verdict-line { font-size: 1.35em; font-weight: bold; }
.guarantee li { font-family: inherit; font-size: 13px; }
h1 { font-size: 1.3em; margin: 0 0 .2em; } h2 { font-size: 1.1em; margin: 1em 0 .3em; }
table.dimensions { border-collapse: collapse; font-size: 12.5px; }
table.dimensions th, table.dimensions td { padding: 1px 5px; text-align: left; white-space: nowrap; }
table.dimensions thead th { border-bottom: 1px solid #888; vertical-align: bottom; }
table.dimensions tr.overall { border-top: 1px solid #888; font-weight: bold; }
table.dimensions svg.mark { vertical-align: middle; margin-left: 4px; }
.num { display: inline-block; min-width: 2.6em; text-align: right; } .flips, .blind { color: #555; }
td.failed a, td.failed { color: #b00; font-weight: bold; } td.ok { color: #080; }
.legend, .data { font-size: 12px; color: #444; margin: .3em 0; }
ul.failed { margin: .2em 0; } ul.failed li { font-size: 12px; }
h3 { font-size: 1em; margin: .6em 0 0; } details.identities { margin: .2em 0; }
table.checks td { font-size: 12px; padding: 0 .6em; }
tr.failed { background: #f8d7da; } tr.blind td:last-child { color: #a60; }"""
    body = f"""<h1>GIEBench gate: <code>{escape(report["model"])}</code></h1>
{verdict_block(report)}
<p class="data">Data: <b>{escape(str(d["source"]))}</b>, {d["items"]} items —
{escape(str(d.get("note", "")))}.
Responses from {escape(str(report.get("responses_from", "")))}.</p>
{dimension_table(report)}
<h2>Failed checks, by dimension</h2>
{failed_checks(report)}
<h2>Accuracy per identity</h2>
<p>Open a dimension. Cell colour: accuracy from red (0) to green (1); black tick: the gate's bar
(min_accuracy); red outline and ▼: the identity's check failed; grey, "reported only": too few items
to judge. Hover a cell for counts and its 95% interval.</p>
{identity_grids(report)}
{circular}
{paper_section(report)}
<details class="detectable"><summary><b>What each check can detect</b></summary>
<p>The true accuracy (gap, change) at which each judged check fails with 80% probability, computed
exactly from the binomial under its own rule; ⚠: cannot catch a model at chance (0.25).</p>
{checks_table(report)}</details>"""
    return html_page(f"giebench: {report['model']} — {verdict_text(gate)}", body, css=css)
