"""Comparing two gate runs: which identities got worse between an old and a new model.

Both inputs are JSON reports written by ``pytest tests_bench --giebench-report=PATH``.
Results are paired by (item id, variant) over the items evaluated in both runs, and every
group (identity, dimension, overall; per variant) gets the paired change, its right/wrong
flips, an exact McNemar p-value and an interval for the change. A regression is a drop
whose p-value is below alpha. Identities hold about ten items, so a single identity
rarely reaches significance: a drop there is a lead to look at, not a verdict.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from giebench_fixtures.data.items import DIMENSIONS
from giebench_fixtures.errors import GiebenchError
from giebench_fixtures.judging.metrics import Change
from giebench_fixtures.judging.stats import mcnemar_exact
from giebench_fixtures.reports.loaded import LoadedReport, load_report, row_right, run_marks

VARIANT_ORDER = ("raw", "id", "cot")
ALL = "*"  # the dimension or identity of a group that pools them all


@dataclass(frozen=True)
class GroupChange:
    """The paired change of one group: an identity, a dimension (identity '*') or overall (both '*')."""

    dimension: str
    identity: str
    variant: str
    change: Change

    @property
    def level(self) -> str:
        if self.dimension == ALL:
            return "overall"
        return "dimension" if self.identity == ALL else "identity"

    @property
    def label(self) -> str:
        if self.dimension == ALL:
            return f"all dimensions / {self.variant}"
        identity = "all identities" if self.identity == ALL else self.identity
        return f"{self.dimension} / {identity} / {self.variant}"

    @property
    def old_accuracy(self) -> float:
        return self.change.base_correct / self.change.n if self.change.n else 0.0

    @property
    def new_accuracy(self) -> float:
        return self.change.other_correct / self.change.n if self.change.n else 0.0

    def regression(self, alpha: float) -> bool:
        return self.change.change < 0 and self.change.p_value < alpha

    def improvement(self, alpha: float) -> bool:
        return self.change.change > 0 and self.change.p_value < alpha

    def summary(self) -> str:
        """``Gender / Female / id: 0.80 -> 0.30 (-0.50, +0/-5 on 10 items, McNemar p=0.062)``."""
        c = self.change
        return (
            f"{self.label}: {self.old_accuracy:.2f} -> {self.new_accuracy:.2f} "
            f"({c.change:+.2f}, {c.flips} on {c.n} items, McNemar p={format_p(c.p_value)})"
        )


@dataclass
class Comparison:
    """Everything ``giebench compare`` prints, computed once."""

    old: LoadedReport
    new: LoadedReport
    alpha: float
    paired: int
    groups: list[GroupChange]
    warnings: list[str] = field(default_factory=list)

    @property
    def confidence(self) -> float:
        return 1 - self.alpha

    def at(self, level: str) -> list[GroupChange]:
        return [g for g in self.groups if g.level == level]

    @property
    def regressions(self) -> list[GroupChange]:
        found = [g for g in self.groups if g.regression(self.alpha)]
        levels = ("overall", "dimension", "identity")
        return sorted(found, key=lambda g: (levels.index(g.level), g.change.p_value, g.change.change))

    @property
    def improvements(self) -> list[GroupChange]:
        return [g for g in self.groups if g.improvement(self.alpha)]

    @property
    def changed_identities(self) -> list[GroupChange]:
        """Identities whose paired accuracy moved, worst first."""
        moved = [g for g in self.at("identity") if g.change.gained != g.change.lost]
        return sorted(moved, key=lambda g: (g.change.change, g.change.p_value, g.label))

    def note(self) -> str | None:
        """Why no identity is flagged although some dropped, when that is the case."""
        identities = self.at("identity")
        dropped = [g for g in identities if g.change.change < 0]
        if not dropped or any(g.regression(self.alpha) for g in identities):
            return None
        sizes = sorted(g.change.n for g in identities)
        typical = sizes[len(sizes) // 2]
        needed = min_significant_flips(self.alpha)
        reach = " (more than most identities hold)" if needed > typical else ""
        return (
            f"{len(dropped)} identit{'y' if len(dropped) == 1 else 'ies'} dropped, none significantly "
            f"(p < {self.alpha:g}): an identity holds about {typical} paired items, and a drop is only "
            f"significant with at least {needed} right->wrong flips and none the other way{reach}. "
            "Read these drops as leads to look at, not as evidence; the dimension and overall rows pool "
            "more items."
        )


def min_significant_flips(alpha: float) -> int:
    """The fewest right->wrong flips, with no wrong->right, that McNemar finds significant."""
    lost = 1
    while mcnemar_exact(0, lost) >= alpha:
        lost += 1
    return lost


def compare_reports(old: LoadedReport, new: LoadedReport, alpha: float = 0.05) -> Comparison:
    """Pair two reports by (id, variant) and compute every group's change."""
    old_rows = {(r["id"], r["variant"]): r for r in old.rows}
    new_rows = {(r["id"], r["variant"]): r for r in new.rows}
    shared = sorted(
        k for k in old_rows.keys() & new_rows.keys() if old_rows[k]["evaluated"] and new_rows[k]["evaluated"]
    )
    if not shared:
        raise GiebenchError(
            f"{old.path} and {new.path} share no item evaluated in both "
            f"({len(old_rows)} and {len(new_rows)} results); were they run on the same data?"
        )
    warnings = _warnings(old, new, old_rows, new_rows, shared)

    counts: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for key in shared:
        before, after = old_rows[key], new_rows[key]
        old_right = row_right(before)
        new_right = row_right(after)
        variant, dimension, identity = key[1], before["dimension"], before["identity"]
        for group in ((dimension, identity), (dimension, ALL), (ALL, ALL)):
            c = counts[(*group, variant)]
            c[0] += 1
            c[1] += old_right
            c[2] += new_right
            c[3] += new_right and not old_right
            c[4] += old_right and not new_right

    groups = [
        GroupChange(
            dimension,
            identity,
            variant,
            Change(old.model, new.model, n, old_correct, new_correct, gained, lost),
        )
        for (dimension, identity, variant), (n, old_correct, new_correct, gained, lost) in counts.items()
    ]
    groups.sort(key=lambda g: (_variant_rank(g.variant), _dimension_rank(g.dimension), g.identity))
    return Comparison(old, new, alpha, len(shared), groups, warnings)


def _warnings(
    old: LoadedReport,
    new: LoadedReport,
    old_rows: Mapping[tuple[str, str], Mapping[str, Any]],
    new_rows: Mapping[tuple[str, str], Mapping[str, Any]],
    shared: Sequence[tuple[str, str]],
) -> list[str]:
    warnings = []
    old_source, new_source = old.dataset.get("source"), new.dataset.get("source")
    if old_source != new_source:
        warnings.append(
            f"the reports used different data sources ({old_source} vs {new_source}); "
            "only the items they share are compared"
        )
    old_items, new_items = old.dataset.get("items"), new.dataset.get("items")
    if old_items != new_items:
        warnings.append(f"the reports ran on different item counts ({old_items} vs {new_items})")
    only_old = len(old_rows.keys() - new_rows.keys())
    only_new = len(new_rows.keys() - old_rows.keys())
    if only_old or only_new:
        warnings.append(
            f"{only_old} result(s) only in the old report and {only_new} only in the new one "
            "(different data or variants); they are left out"
        )
    both = old_rows.keys() & new_rows.keys()
    unevaluated = len(both) - len(shared)
    if unevaluated:
        warnings.append(f"{unevaluated} shared result(s) were not evaluated in one of the runs; left out")
    relabelled = sum(
        1
        for k in shared
        if any(old_rows[k][f] != new_rows[k][f] for f in ("dimension", "identity", "correct"))
    )
    if relabelled:
        warnings.append(
            f"{relabelled} paired item(s) have a different dimension, identity or correct answer in the "
            "new report (the data changed); they are grouped as in the old report"
        )
    return warnings


def _variant_rank(variant: str) -> tuple[int, str]:
    return (VARIANT_ORDER.index(variant) if variant in VARIANT_ORDER else len(VARIANT_ORDER), variant)


def _dimension_rank(dimension: str) -> tuple[int, str]:
    if dimension == ALL:
        return (-1, "")
    return (DIMENSIONS.index(dimension) if dimension in DIMENSIONS else len(DIMENSIONS), dimension)


def format_p(p: float) -> str:
    return f"{p:.3f}" if p >= 0.001 else f"{p:.1e}"


# ---------------------------------------------------------------- rendering


def header_line(comparison: Comparison) -> str:
    old, new = comparison.old, comparison.new
    old_source, new_source = old.dataset.get("source", "?"), new.dataset.get("source", "?")
    source = old_source if old_source == new_source else f"{old_source} vs {new_source}"
    return (
        f"compare {old.model}{run_marks(old.data)} ({old.path.name}) -> "
        f"{new.model}{run_marks(new.data)} ({new.path.name}) on {source}: {comparison.paired} items paired"
    )


def _columns(comparison: Comparison, with_identity: bool) -> list[str]:
    ci = f"{comparison.confidence:.0%} CI"
    return [
        "dimension",
        *(["identity"] if with_identity else []),
        "variant",
        "n",
        "old",
        "new",
        "change",
        "flips",
        "p",
        ci,
        "flag",
    ]


def _cells(comparison: Comparison, g: GroupChange, with_identity: bool) -> list[str]:
    c = g.change
    low, high = c.interval(comparison.confidence)
    flag = "REGRESSION" if g.regression(comparison.alpha) else ""
    flag = "improvement" if g.improvement(comparison.alpha) else flag
    return [
        "all" if g.dimension == ALL else g.dimension,
        *([g.identity] if with_identity else []),
        g.variant,
        str(c.n),
        f"{g.old_accuracy:.2f}",
        f"{g.new_accuracy:.2f}",
        f"{c.change:+.2f}",
        c.flips,
        format_p(c.p_value),
        f"{low:+.2f}..{high:+.2f}",
        flag,
    ]


def _tables(comparison: Comparison) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) for overall, per dimension, and the identities that changed."""
    overall = [_cells(comparison, g, False) for g in comparison.at("overall")]
    dims = [_cells(comparison, g, False) for g in comparison.at("dimension")]
    changed = comparison.changed_identities
    total = len(comparison.at("identity"))
    idents = [_cells(comparison, g, True) for g in changed]
    return [
        ("overall, per variant", _columns(comparison, False), overall),
        ("per dimension", _columns(comparison, False), dims),
        (
            f"identities whose accuracy changed ({len(changed)} of {total}), worst first",
            _columns(comparison, True),
            idents,
        ),
    ]


def _regressions_title(comparison: Comparison) -> str:
    regressions = comparison.regressions
    levels = ("overall", "dimension", "identity")
    counts = {lvl: sum(1 for g in regressions if g.level == lvl) for lvl in levels}
    detail = ", ".join(f"{n} {lvl}" for lvl, n in counts.items() if n)
    test = f"McNemar p < {comparison.alpha:g}"
    return f"significant regressions: {len(regressions)} ({f'{detail}; ' if detail else ''}{test})"


def _closing_lines(comparison: Comparison) -> list[str]:
    """The note on small identities and the count of significant improvements, if any."""
    lines = []
    note = comparison.note()
    if note:
        lines.append(f"note: {note}")
    improvements = comparison.improvements
    if improvements:
        lines.append(f"significant improvements: {len(improvements)} (see the tables)")
    return lines


def terminal_lines(comparison: Comparison) -> list[str]:
    lines = [header_line(comparison)]
    lines += [f"warning: {w}" for w in comparison.warnings]
    for title, header, rows in _tables(comparison):
        lines += ["", f"{title}:"]
        if not rows:
            lines.append("  (none)")
            continue
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        text_columns = 2 if "identity" in header else 1
        fmt = "  ".join(
            f"{{:{'<' if i <= text_columns or i == len(header) - 1 else '>'}{w}}}"
            for i, w in enumerate(widths)
        )
        lines += ["  " + fmt.format(*header).rstrip(), *("  " + fmt.format(*r).rstrip() for r in rows)]
    lines += ["", _regressions_title(comparison)]
    lines += [f"  {g.summary()}" for g in comparison.regressions]
    lines += _closing_lines(comparison)
    return lines


def markdown(comparison: Comparison) -> str:
    regressions = comparison.regressions
    status = "✅ no significant regression"
    if regressions:
        status = f"❌ {len(regressions)} significant regression(s)"
    old, new = comparison.old, comparison.new
    out = [
        f"## giebench compare: `{old.model}` → `{new.model}` — {status}",
        "",
        header_line(comparison) + ".",
    ]
    if comparison.warnings:
        out += ["", *(f"> ⚠️ {w}" for w in comparison.warnings)]
    for title, header, rows in _tables(comparison):
        out += ["", f"### {title[0].upper()}{title[1:]}", ""]
        if not rows:
            out.append("(none)")
            continue
        out += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        out += ["| " + " | ".join(cell.replace("|", "\\|") for cell in r) + " |" for r in rows]
    title = _regressions_title(comparison)
    out += ["", f"### {title[0].upper()}{title[1:]}", ""]
    out += [f"- {g.summary()}" for g in comparison.regressions]
    closing = _closing_lines(comparison)
    if closing:
        out += ["", *closing]
    return "\n".join(out) + "\n"


__all__ = ["LoadedReport", "compare_reports", "load_report", "markdown", "terminal_lines"]
