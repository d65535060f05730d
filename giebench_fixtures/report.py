"""What a run tells people: the JSON report, the paper-style table, markdown and CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from . import __version__, circular, paper
from .data import DIMENSIONS
from .metrics import Outcome, comparisons, summarize
from .stats import wilson_interval
from .verdicts import VERDICT_RULE


def build_report(
    *,
    model: Mapping[str, Any],
    dataset: Mapping[str, Any],
    outcomes: Sequence[Outcome],
    failures: Sequence[str],
    accounting: Mapping[str, Any],
    responses_from: str,
    thresholds: Mapping[str, Any] | None = None,
    warnings: Sequence[str] = (),
) -> dict[str, Any]:
    """The JSON report of CONTRACT.md, plus paired comparisons and accounting."""
    ordered = sorted(outcomes, key=lambda o: (o.variant, o.dimension, o.identity, o.key))
    return {
        "giebench_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": model["name"],
        "model_settings": dict(model),
        "dataset": dict(dataset),
        "verdict_rule": VERDICT_RULE,
        "responses_from": responses_from,
        "results": [o.row() for o in ordered],
        "summary": summarize(ordered),
        "comparisons": {
            name: {dim: change.as_dict() for dim, change in by_dim.items()}
            for name, by_dim in comparisons(ordered).items()
        },
        "gate": {"passed": not failures, "failures": list(failures)},
        "circular": any(o.rotations for o in ordered),
        **({"circular_summary": rotated} if (rotated := circular.summary(ordered)) else {}),
        "thresholds": dict(thresholds or {}),
        "warnings": list(warnings),
        "accounting": dict(accounting),
    }


def dimension_order(names: Iterable[str]) -> list[str]:
    names = set(names)
    return [d for d in DIMENSIONS if d in names] + sorted(names - set(DIMENSIONS))


def table_rows(report: Mapping[str, Any]) -> tuple[list[str], list[list[str]]]:
    """The paper's layout: per dimension, accuracy per variant and Raw->ID / Raw->COT change."""
    summary = report["summary"]
    comps = report["comparisons"]
    variants = [v for v in ("raw", "id", "cot") if v in summary]
    dims = dimension_order(d for v in variants for d in summary[v]["dimensions"])
    header = [
        "dimension",
        *(v.upper() for v in variants),
        *(c.replace("->", "→").upper() for c in comps),
    ]
    rows = []
    for dim in [*dims, "*"]:
        cells = ["Overall" if dim == "*" else dim]
        for v in variants:
            stats = summary[v]["overall"] if dim == "*" else summary[v]["dimensions"].get(dim)
            cells.append(f"{stats['accuracy'] * 100:.1f}%" if stats and stats["n"] else "-")
        for by_dim in comps.values():
            c = by_dim.get(dim)
            cells.append(f"{c['change'] * 100:+.1f}% +{c['gained']}/-{c['lost']}" if c else "-")
        rows.append(cells)
    return header, rows


def terminal_lines(report: Mapping[str, Any]) -> list[str]:
    header, rows = table_rows(report)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    fmt = "  ".join(f"{{:{'<' if i == 0 else '>'}{w}}}" for i, w in enumerate(widths))
    dataset = report["dataset"]
    lines = [
        f"model {report['model']} on {dataset['source']} ({dataset['items']} items; "
        f"{dataset.get('note', '')}); responses from {report['responses_from']}",
        fmt.format(*header),
        *(fmt.format(*r) for r in rows),
    ]
    for variant, block in report["summary"].items():
        lines.append(
            f"letters, {variant:<3}: chosen {_shares(block['letters']['verdicts'])}; "
            f"right {_shares(block['letters']['correct'])}"
        )
    for variant, block in report.get("circular_summary", {}).items():
        lines.append(circular_line(variant, block))
    lines.extend(f"warning: {w}" for w in report.get("warnings", [])[:10])
    acc = report["accounting"]
    unparsed = sum(1 for r in report["results"] if r["evaluated"] and r["verdict"] is None)
    lines.append(
        f"{len(report['results'])} results, {unparsed} without a verdict, "
        f"{acc.get('failed', 0)} not evaluated; {acc.get('requests', 0)} requests "
        f"({acc.get('retries', 0)} retries), {acc.get('from_cache', 0)} from cache"
    )
    gate = report["gate"]
    if gate["passed"]:
        lines.append("gate: PASSED")
    else:
        lines.append(f"gate: FAILED, {len(gate['failures'])} check(s):")
        lines.extend(f"  {f}" for f in gate["failures"])
    return lines


def circular_line(variant: str, block: Mapping[str, Any]) -> str:
    """'circular, raw: accuracy 0.00 (rotations 0.25 0.25 0.25 0.25), consistency 0.00; letters
    chosen A 100%'."""
    rotations = " ".join(f"{a:.2f}" for a in block["rotation_accuracy"])
    return (
        f"circular, {variant:<3}: accuracy {block['circular_accuracy']:.2f} (rotations {rotations}), "
        f"consistency {block['consistency']:.2f}; letters chosen {_shares(block['letters'])}"
    )


def _shares(counts: Mapping[str, int]) -> str:
    total = sum(counts.values()) or 1
    return " ".join(f"{letter} {n / total:.0%}" for letter, n in counts.items())


def markdown(report: Mapping[str, Any]) -> str:
    gate = report["gate"]
    out = [
        f"## giebench: {'✅ passed' if gate['passed'] else '❌ failed'} "
        f"({len(gate['failures'])} failing check(s)) — `{report['model']}`",
        "",
    ]
    header, rows = table_rows(report)
    out += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    if report.get("circular"):
        out += [
            "",
            "Circular evaluation: each item asked in its four rotations, right only when all four are.",
            "",
        ]
        out += [f"- {circular_line(v, b)}" for v, b in report.get("circular_summary", {}).items()]
    if gate["failures"]:
        out += ["", "### Failing checks", ""] + [f"- {f}" for f in gate["failures"]]
    d = report["dataset"]
    out += [
        "",
        f"Data: `{d['source']}`, {d['items']} items ({d.get('note', '')}). "
        f"Responses from {report['responses_from']}. "
        f"Sampling: `{report['model_settings'].get('sampling')}`.",
    ]
    out += ["", *paper.markdown_lines(report)]
    return "\n".join(out) + "\n"


def csv_text(report: Mapping[str, Any], confidence: float = 0.95) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["variant", "dimension", "identity", "n", "correct", "accuracy", "ci_low", "ci_high"])
    for variant, block in report["summary"].items():
        for dim, dstats in block["dimensions"].items():
            for ident, s in dstats["identities"].items():
                lo, hi = wilson_interval(s["correct"], s["n"], confidence)
                writer.writerow(
                    [
                        variant,
                        dim,
                        ident,
                        s["n"],
                        s["correct"],
                        f"{s['accuracy']:.4f}",
                        f"{lo:.4f}",
                        f"{hi:.4f}",
                    ]
                )
    return buffer.getvalue()
