"""A self-contained HTML report: inline SVG charts, no network needed to open it.

Three parts: a heat map of accuracy per identity (rows, grouped by dimension) and variant
(columns) with the gate's bar marked, the Raw->ID and Raw->COT change per dimension with
its interval, and the failing checks.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from giebench_fixtures.judging.stats import paired_change_interval, wilson_interval
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
            parts.append(
                f'<rect class="cell{" below" if cell.outlined else ""}" x="{x}" y="{y}" '
                f'width="{cell_width - 2}" height="{CELL_H - 2}" fill="{heat_colour(cell.shade)}"{outline}>'
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


def heat_map(report: Mapping[str, Any]) -> str:
    summary = report["summary"]
    bars: Mapping[str, Any] = report.get("thresholds", {})
    variants = [v for v in ("raw", "id", "cot") if v in summary]
    dims = dimension_order({d for v in variants for d in summary[v]["dimensions"]})
    failed = " ".join(report["gate"]["failures"])
    rows: list[tuple[str, list[GridCell | None]]] = []
    for dim in dims:
        idents = sorted(
            {i for v in variants for i in summary[v]["dimensions"].get(dim, {}).get("identities", {})}
        )
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
                below = f"{dim} / {ident} / {variant}:" in failed
                title = (
                    f"{dim} / {ident} / {variant}: {acc:.2f} ({stats['correct']}/{stats['n']}, "
                    f"95% CI {lo:.2f}-{hi:.2f})" + (f"; bar {bar:.2f}" if bar is not None else "")
                )
                text = f"{acc:.2f} ({stats['correct']}/{stats['n']}){' ▼' if below else ''}"
                cells.append(GridCell(text, acc, title, bar, below))
            rows.append((f"{dim} / {ident}", cells))
    return heat_grid([v.upper() for v in variants], rows, aria="accuracy per identity and variant")


def change_chart(report: Mapping[str, Any]) -> str:
    comps: Mapping[str, Mapping[str, Any]] = report["comparisons"]
    if not comps:
        return "<p>No paired comparison: run Raw together with ID or COT.</p>"
    dims = [*dimension_order(d for c in comps.values() for d in c if d != "*"), "*"]
    names = list(comps)
    plot_w, row_h = 400, 18
    width = LABEL_W + plot_w + 20
    height = row_h * len(dims) * len(names) + 40
    zero = LABEL_W + plot_w / 2

    def px(change: float) -> float:
        return zero + change * plot_w / 2

    parts = [
        f'<svg class="changes" role="img" aria-label="paired changes" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-size="12">',
        f'<line x1="{zero}" x2="{zero}" y1="10" y2="{height - 20}" stroke="#888"/>',
        f'<text x="{px(-1)}" y="{height - 5}">-100%</text><text x="{zero - 8}" y="{height - 5}">0</text>'
        f'<text x="{px(1) - 40}" y="{height - 5}">+100%</text>',
    ]
    row = 0
    for dim in dims:
        for name in names:
            c = comps[name].get(dim)
            y = 20 + row * row_h
            row += 1
            if c is None:
                continue
            lo, hi = paired_change_interval(c["gained"], c["lost"], c["n"])
            label = f"{'Overall' if dim == '*' else dim} {name.upper().replace('->', '→')}"
            colour = "#1f77b4" if name.endswith("id") else "#d62728"
            parts.append(f'<text x="{LABEL_W - 6}" y="{y + 4}" text-anchor="end">{escape(label)}</text>')
            parts.append(
                f'<line class="interval" x1="{px(lo)}" x2="{px(hi)}" y1="{y}" y2="{y}" stroke="{colour}"/>'
            )
            parts.append(
                f'<circle class="change" cx="{px(c["change"])}" cy="{y}" r="4" fill="{colour}">'
                f"<title>{escape(label)}: {c['change']:+.2f} (+{c['gained']}/-{c['lost']} on {c['n']}, "
                f"95% CI {lo:+.2f} to {hi:+.2f}, McNemar p={c['p_value']:.3f})</title></circle>"
            )
    parts.append("</svg>")
    return "".join(parts)


_CHECK_SCRIPT = """
<script>
// Marks on <body> what actually rendered, for a reader's devtools and for our browser test.
window.addEventListener('load', () => {
  const drawn = (sel) => [...document.querySelectorAll(sel)].filter(e => e.getBBox().width > 0).length;
  document.body.dataset.heatmapCells = drawn('svg.heatmap rect.cell');
  document.body.dataset.changeMarks = drawn('svg.changes circle.change');
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
    verdict = "passed" if gate["passed"] else f"failed: {len(gate['failures'])} check(s)"
    if gate.get("nothing_judged"):
        verdict = f"failed: {gate['nothing_judged']}"
    failures = "".join(f"<li>{escape(f)}</li>" for f in gate["failures"]) or "<li>none</li>"
    rotations = "".join(
        f"<li>{escape(circular_line(v, b))}</li>" for v, b in report.get("circular_summary", {}).items()
    )
    circular = (
        "<h2>Circular evaluation</h2><p>Every item asked in its four rotations; right only when all "
        f"four are.</p><ul>{rotations}</ul>"
        if report.get("circular")
        else ""
    )
    css = f""".verdict {{ font-size: 1.4em; padding: .4em .8em; display: inline-block; border-radius: 4px;
  background: {"#d4edda" if gate["passed"] else "#f8d7da"}; }}
table.checks td {{ font-size: 12px; padding: 0 .6em; }}
tr.failed {{ background: #f8d7da; }} tr.blind td:last-child {{ color: #a60; }}"""
    body = f"""<h1>GIEBench gate: <code>{escape(report["model"])}</code></h1>
<p class="verdict">{escape(verdict)}</p>
<p>Data: <b>{escape(str(d["source"]))}</b>, {d["items"]} items — {escape(str(d.get("note", "")))}.
Responses from {escape(str(report.get("responses_from", "")))}.</p>
<h2>Accuracy per identity</h2>
<p>Cell colour: accuracy from red (0) to green (1); black tick: the gate's bar (min_accuracy);
red outline and ▼: the identity's check failed. Hover a cell for counts and its 95% interval.</p>
{heat_map(report)}
<h2>Raw→ID (empathy) and Raw→COT (understanding), paired on the same items</h2>
<p>Dot: change in accuracy; line: its 95% interval (Agresti–Min).</p>
{change_chart(report)}
{circular}
{paper_section(report)}
<h2>Failing checks</h2>
<ul>{failures}</ul>
<h2>What each check can detect</h2>
<p>The true accuracy (gap, change) at which each judged check fails with 80% probability, computed
exactly from the binomial under its own rule; ⚠: cannot catch a model at chance (0.25).</p>
{checks_table(report)}"""
    return html_page(f"giebench: {report['model']} — {verdict}", body, css=css)
