"""What a run tells people: the JSON report, the paper-style table, markdown and CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from giebench_fixtures import __version__
from giebench_fixtures.data.items import DIMENSIONS
from giebench_fixtures.judging import circular
from giebench_fixtures.judging.metrics import Outcome, comparisons, summarize
from giebench_fixtures.judging.stats import wilson_interval
from giebench_fixtures.judging.verdicts import VERDICT_RULE
from giebench_fixtures.reports import paper


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
    checks: Sequence[Mapping[str, Any]] = (),
    nothing_judged: str | None = None,
    notes: Sequence[str] = (),
    swap: Mapping[str, Any] | None = None,
    gate_figures: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON report of CONTRACT.md, plus paired comparisons and accounting.

    ``checks``: every gate check's verdict (``gate.Verdict.as_dict``), judged or reported
    only; ``nothing_judged``: the one line saying why a run judged nothing, which fails it.
    """
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
        "gate": {**gate_summary(failures, checks, nothing_judged), **dict(gate_figures or {})},
        "circular": any(o.rotations for o in ordered),
        **({"swap": swap} if swap else {}),
        **({"circular_summary": rotated} if (rotated := circular.summary(ordered)) else {}),
        "thresholds": dict(thresholds or {}),
        "warnings": list(warnings),
        "notes": list(notes),
        "accounting": dict(accounting),
    }


def gate_summary(
    failures: Sequence[str], checks: Sequence[Mapping[str, Any]], nothing_judged: str | None
) -> dict[str, Any]:
    """The report's ``gate``: passed, the failures, and how many checks were judged."""
    everything = [nothing_judged, *failures] if nothing_judged else list(failures)
    judged = sum(1 for c in checks if c["outcome"] != "not judged")
    return {
        "passed": not everything,
        "failures": everything,
        "judged": judged,
        "reported_only": len(checks) - judged,
        "nothing_judged": nothing_judged,
        "checks": sorted((dict(c) for c in checks), key=lambda c: str(c["name"])),
    }


def judged_line(gate: Mapping[str, Any]) -> str:
    """'55 checks judged, 324 reported only' (and how many cannot catch a model at chance)."""
    line = f"{gate.get('judged', 0)} checks judged, {gate.get('reported_only', 0)} reported only"
    blind = [c for c in gate.get("checks", []) if (c.get("detectable") or {}).get("catches_chance") is False]
    if blind:
        line += f"; {len(blind)} accuracy check(s) cannot catch a model at chance (0.25) with 80% probability"
    return line


def detectable_text(gate: Mapping[str, Any], message: str) -> str | None:
    """The detectable level of the check with this message, as reports show it."""
    for check in gate.get("checks", []):
        if check.get("message") == message and check.get("detectable"):
            return str(check["detectable"]["text"])
    return None


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
        *report["gate"].get("guarantee_lines", []),
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
    lines.extend(swap_lines(report))
    lines.extend(finish_lines(report))
    lines.extend(f"note: {n}" for n in report.get("notes", []))
    lines.extend(f"warning: {w}" for w in report.get("warnings", [])[:10])
    acc = report["accounting"]
    unparsed = sum(1 for r in report["results"] if r["evaluated"] and r["verdict"] is None)
    lines.append(
        f"{len(report['results'])} results, {unparsed} without a verdict, "
        f"{acc.get('failed', 0)} not evaluated; {acc.get('requests', 0)} requests "
        f"({acc.get('retries', 0)} retries), {acc.get('from_cache', 0)} from cache"
    )
    gate = report["gate"]
    if "judged" in gate:
        lines.append(judged_line(gate))
    if gate.get("nothing_judged"):
        lines.append(f"gate: FAILED: {gate['nothing_judged']}")
    elif gate["passed"]:
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


TRUNCATION_COMMON = 0.05  # share of a variant's answers cut at --max-tokens that earns a hint


def finish_lines(report: Mapping[str, Any]) -> list[str]:
    """Answers per finish reason, where any was not a plain stop; --max-tokens named when
    truncation is common. Cut-off (length) and filtered (content_filter) answers have no
    verdict and count as wrong."""
    lines = []
    for variant, block in report["summary"].items():
        reasons: Mapping[str, int] = block.get("finish_reasons", {})
        if not set(reasons) - {"stop", "unknown"}:
            continue
        counts = ", ".join(f"{reason} {n}" for reason, n in reasons.items())
        line = f"finish reasons, {variant:<3}: {counts}"
        cut = reasons.get("length", 0)
        total = sum(reasons.values())
        if cut and cut >= TRUNCATION_COMMON * total:
            limit = report.get("model_settings", {}).get("sampling", {}).get("max_tokens")
            line += (
                f" ({cut / total:.0%} cut off at --max-tokens={limit}, counted wrong with no verdict; "
                "raise --max-tokens)"
            )
        lines.append(line)
    return lines


def _shares(counts: Mapping[str, int]) -> str:
    total = sum(counts.values()) or 1
    return " ".join(f"{letter} {n / total:.0%}" for letter, n in counts.items())


def markdown(report: Mapping[str, Any]) -> str:
    gate = report["gate"]
    out = [
        f"## giebench: {'✅ passed' if gate['passed'] else '❌ failed'} "
        f"({len(gate['failures'])} failing check(s)) — `{report['model']}`",
        "",
        *(f"> {line}  " for line in gate.get("guarantee_lines", [])),
        *([""] if gate.get("guarantee_lines") else []),
    ]
    if gate.get("nothing_judged"):
        out += [f"**{gate['nothing_judged']}**", ""]
    if "judged" in gate:
        out += [judged_line(gate) + ".", ""]
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
    if swap := swap_lines(report):
        out += ["", "Identity swap: " + swap[0].split(": ", 1)[1] + ".", "", "```", *swap[1:], "```"]
    if gate["failures"]:
        out += ["", "### Failing checks", ""]
        for f in gate["failures"]:
            level = detectable_text(gate, f)
            out.append(f"- {f}" + (f" — {level}" if level else ""))
    judged = [c for c in gate.get("checks", []) if c["outcome"] != "not judged"]
    if judged:
        out += [
            "",
            "<details><summary>What each judged check can detect</summary>",
            "",
            *(f"- {_mark(c)} {c['name']}: {c['detectable']['text']}" for c in judged if c.get("detectable")),
            "",
            "</details>",
        ]
    extra = [*finish_lines(report), *(f"note: {n}" for n in report.get("notes", []))]
    if extra:
        out += ["", *(f"- {line}" for line in extra)]
    d = report["dataset"]
    out += [
        "",
        f"Data: `{d['source']}`, {d['items']} items ({d.get('note', '')}). "
        f"Responses from {report['responses_from']}. "
        f"Sampling: `{report['model_settings'].get('sampling')}`"
        + (f", sent as `{sent}`" if (sent := report["model_settings"].get("sent")) else "")
        + ".",
    ]
    out += ["", *paper.markdown_lines(report)]
    return "\n".join(out) + "\n"


def _mark(check: Mapping[str, Any]) -> str:
    return "✅" if check["outcome"] == "passed" else "❌"


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


def swap_lines(report: Mapping[str, Any]) -> list[str]:
    """The identity-swap table: per dimension, swap sets and 'right for all / identity-blind'."""
    swap = report.get("swap") or {}
    if not swap:
        return []
    variants = list(swap)
    lines = [
        "identity swap (items sharing one Raw prompt): share of sets right for every identity / "
        "share answered the same whoever asks",
        f"{'':<14}{'sets':>5}  " + "  ".join(f"{v:>12}" for v in variants),
    ]
    for dimension in [
        "overall",
        *dimension_order(d for block in swap.values() for d in block if d != "overall"),
    ]:
        cells = [swap[v].get(dimension) for v in variants]
        sets = max((c["sets"] for c in cells if c), default=0)
        shown = [f"{c['swap_accuracy']:.2f} / {c['identity_blind_rate']:.2f}" if c else "-" for c in cells]
        lines.append(f"{dimension:<14}{sets:>5}  " + "  ".join(f"{s:>12}" for s in shown))
    return lines
