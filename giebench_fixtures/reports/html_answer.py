"""The top of the HTML report, the part that answers "did the model pass, and where": the
verdict, the guarantee lines, one row per dimension with its intervals drawn, and the failed
checks grouped by dimension."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from giebench_fixtures.judging.stats import paired_change_interval, wilson_interval
from giebench_fixtures.reports.report import dimension_order, judged_line

VARIANTS = ("raw", "id", "cot")
LABELS = {"raw": "Raw", "id": "ID", "cot": "COT", "raw->id": "Raw→ID", "raw->cot": "Raw→COT"}
CHANCE = 0.25
ACCURACY_W, CHANGE_W, MARK_H = 64, 52, 14


def verdict_text(gate: Mapping[str, Any]) -> str:
    if gate.get("nothing_judged"):
        return f"FAILED: {gate['nothing_judged']}"
    if gate["passed"]:
        return "PASSED"
    return f"FAILED: {len(gate['failures'])} check(s) failed"


def verdict_block(report: Mapping[str, Any]) -> str:
    """The verdict, how many checks it rests on, and the guarantee lines when the report has them."""
    gate = report["gate"]
    state = "passed" if gate["passed"] else "failed"
    judged = f'<p class="judged">{escape(judged_line(gate))}.</p>' if "judged" in gate else ""
    lines = gate.get("guarantee_lines") or []
    guarantee = (
        '<ul class="guarantee">' + "".join(f"<li>{escape(str(line))}</li>" for line in lines) + "</ul>"
        if lines
        else ""
    )
    return (
        f'<section id="verdict" class="verdict {state}"><p class="verdict-line">'
        f"{'✔' if gate['passed'] else '✘'} {escape(verdict_text(gate))}</p>{judged}{guarantee}</section>"
    )


def _scale(value: float, low: float, high: float, width: int) -> float:
    return round((value - low) / (high - low) * width, 1)


def interval_mark(
    value: float, lo: float, hi: float, *, low: float, high: float, width: int, reference: float, title: str
) -> str:
    """A small inline SVG: the scale low..high, a dashed reference line (chance, or no change),
    the 95% interval as a bar and the estimate as a dot."""
    ref = _scale(reference, low, high, width)
    x_lo, x_hi, x = (_scale(v, low, high, width) for v in (lo, hi, value))
    mid = MARK_H / 2
    return (
        f'<svg class="mark" width="{width}" height="{MARK_H}" viewBox="0 0 {width} {MARK_H}">'
        f"<title>{escape(title)}</title>"
        f'<rect x="0" y="{mid - 1}" width="{width}" height="2" fill="#e4e4e4"/>'
        f'<line x1="{ref}" x2="{ref}" y1="0" y2="{MARK_H}" stroke="#999" stroke-dasharray="2,2"/>'
        f'<rect class="interval" x="{x_lo}" y="{mid - 3}" width="{max(x_hi - x_lo, 1)}" height="6" '
        f'fill="#9ecae1"/><circle cx="{x}" cy="{mid}" r="3" fill="#08519c"/></svg>'
    )


def _accuracy_cell(stats: Mapping[str, Any] | None, label: str) -> str:
    if not stats or not stats.get("n"):
        return '<td class="none">—</td>'
    lo, hi = wilson_interval(stats["correct"], stats["n"])
    title = f"{label}: {stats['accuracy']:.2f} ({stats['correct']}/{stats['n']}, 95% CI {lo:.2f}–{hi:.2f})"
    mark = interval_mark(
        stats["accuracy"], lo, hi, low=0, high=1, width=ACCURACY_W, reference=CHANCE, title=title
    )
    return f'<td class="acc"><span class="num">{stats["accuracy"]:.2f}</span>{mark}</td>'


def _change_cell(change: Mapping[str, Any] | None, label: str) -> str:
    if not change or not change.get("n"):
        return '<td class="none">—</td>'
    lo, hi = paired_change_interval(change["gained"], change["lost"], change["n"])
    title = (
        f"{label}: {change['change']:+.2f} (+{change['gained']}/−{change['lost']} on {change['n']} items, "
        f"95% CI {lo:+.2f} to {hi:+.2f})"
    )
    mark = interval_mark(change["change"], lo, hi, low=-1, high=1, width=CHANGE_W, reference=0, title=title)
    return (
        f'<td class="chg"><span class="num">{change["change"]:+.2f}</span> '
        f'<span class="flips">+{change["gained"]}/−{change["lost"]}</span>{mark}</td>'
    )


def _swap_cell(measure: Mapping[str, Any] | None) -> str:
    if not measure or not measure.get("sets"):
        return '<td class="none">—</td>'
    title = (
        f"{measure['sets']} sets: right for every identity in {measure['swap_accuracy']:.2f} of them, "
        f"the same answer whatever the identity in {measure['identity_blind_rate']:.2f}"
    )
    return (
        f'<td class="swap" title="{escape(title)}">{measure["swap_accuracy"]:.2f} '
        f'<span class="blind">/ {measure["identity_blind_rate"]:.2f}</span></td>'
    )


def failed_by_dimension(report: Mapping[str, Any]) -> dict[str, list[str]]:
    """The gate's failure lines under the dimension each names ("Run" for lines about the run)."""
    dims = {d for v in report["summary"].values() for d in v.get("dimensions", {})}
    grouped: dict[str, list[str]] = {}
    for line in report["gate"]["failures"]:
        head = str(line).split(" / ", 1)[0]
        grouped.setdefault(head if head in dims else "Run", []).append(str(line))
    order = dimension_order(d for d in grouped if d != "Run")
    return {d: grouped[d] for d in (["Run"] if "Run" in grouped else []) + order}


def dimension_table(report: Mapping[str, Any]) -> str:
    """One row per dimension and one for all items: Raw / ID / COT accuracy with 95% intervals,
    the paired Raw->ID and Raw->COT changes, the identity-swap measure when the report has it,
    and how many of the dimension's checks failed."""
    summary = report["summary"]
    comparisons: Mapping[str, Mapping[str, Any]] = report.get("comparisons") or {}
    swap: Mapping[str, Mapping[str, Any]] = report.get("swap") or {}
    variants = [v for v in VARIANTS if v in summary]
    changes = [c for c in ("raw->id", "raw->cot") if c in comparisons]
    swaps = [v for v in VARIANTS if v in swap]
    failed = {d: len(lines) for d, lines in failed_by_dimension(report).items()}
    head = (
        "<tr><th>dimension</th><th>items</th>"
        + "".join(f"<th>{LABELS[v]}</th>" for v in variants)
        + "".join(f"<th>{LABELS[c]}</th>" for c in changes)
        + "".join(f'<th title="identity-swap measure">swap / blind<br>{LABELS[v]}</th>' for v in swaps)
        + "<th>failed</th></tr>"
    )
    rows = []
    dims = dimension_order({d for v in variants for d in summary[v]["dimensions"]})
    for dim in [*dims, "*"]:
        name = "Overall" if dim == "*" else dim

        def stats(variant: str, dim: str = dim) -> Mapping[str, Any] | None:
            block = summary[variant]
            found: Mapping[str, Any] | None = (
                block.get("overall") if dim == "*" else block["dimensions"].get(dim)
            )
            return found

        items = next((s["n"] for v in variants if (s := stats(v))), 0)
        count = sum(failed.values()) if dim == "*" else failed.get(dim, 0)
        link = f'<a href="#failed-{escape(dim)}">{count}</a>' if count and dim != "*" else str(count)
        rows.append(
            f'<tr class="{"overall" if dim == "*" else "dimension"}"><th>{escape(name)}</th><td>{items}</td>'
            + "".join(_accuracy_cell(stats(v), f"{name} {LABELS[v]}") for v in variants)
            + "".join(_change_cell(comparisons[c].get(dim), f"{name} {LABELS[c]}") for c in changes)
            + "".join(_swap_cell(swap[v].get("overall" if dim == "*" else dim)) for v in swaps)
            + f'<td class="{"failed" if count else "ok"}">{link}</td></tr>'
        )
    legend = (
        "Accuracy with its 95% interval (bar; dashed line: chance, 0.25). Changes are paired on the same "
        "items: +gained/−lost, the bar their 95% interval (dashed: no change)."
    )
    if swaps:
        legend += (
            " Swap / blind: over sets of items sharing one Raw prompt, the share answered right for every "
            "identity / the share given the same answer whatever identity is stated."
        )
    return (
        f'<table id="dimensions" class="dimensions"><thead>{head}</thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
        f'<p class="legend">{escape(legend)}</p>'
    )


def failed_checks(report: Mapping[str, Any]) -> str:
    grouped = failed_by_dimension(report)
    if not grouped:
        return "<p>No check failed.</p>"
    parts = []
    for dim, lines in grouped.items():
        items: Sequence[str] = [f"<li>{escape(line)}</li>" for line in lines]
        parts.append(
            f'<h3 id="failed-{escape(dim)}">{escape(dim)} <small>({len(lines)})</small></h3>'
            f'<ul class="failed">{"".join(items)}</ul>'
        )
    return "".join(parts)
