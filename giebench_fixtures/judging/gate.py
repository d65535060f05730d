"""The gate's checks: each judges outcomes against bars and explains itself in one line.

A check has three honest outcomes: it passed, it failed, or it could not be judged (too
few items, fewer than two identities to compare, nothing evaluated), in which case it
is only reported. Every judged check also carries its detectable level (``power``): how
far below its bar a model must be before the check catches it with 80% probability.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import lru_cache
from typing import Any

from giebench_fixtures.judging import power
from giebench_fixtures.judging.metrics import Change, Outcome, Tally, paired_change, tally
from giebench_fixtures.judging.power import Detectable, GapRule
from giebench_fixtures.judging.stats import homogeneity_test, paired_change_interval, wilson_interval
from giebench_fixtures.judging.thresholds import Bars


class Judgement(StrEnum):
    """What became of a check."""

    PASSED = "passed"
    FAILED = "failed"
    NOT_JUDGED = "not judged"


@dataclass(frozen=True)
class Verdict:
    """The result of one check: its outcome, why, and (when judged) what it can detect."""

    name: str
    outcome: Judgement
    message: str
    detectable: Detectable | None = None

    @property
    def passed(self) -> bool:
        return self.outcome is Judgement.PASSED

    @property
    def judged(self) -> bool:
        return self.outcome is not Judgement.NOT_JUDGED

    gated = judged

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "outcome": str(self.outcome),
            "message": self.message,
            "detectable": self.detectable.as_dict() if self.detectable else None,
        }


def _judged(scope: str, failed: bool, message: str, detectable: Detectable) -> Verdict:
    return Verdict(scope, Judgement.FAILED if failed else Judgement.PASSED, message, detectable)


def _reported_only(scope: str, message: str) -> Verdict:
    return Verdict(scope, Judgement.NOT_JUDGED, message)


def _pct(x: float) -> str:
    return f"{x:.2f}"


def _level(confidence: float) -> str:
    """'95%', or '99.95%' for a corrected level."""
    return f"{confidence * 100:.4g}%"


def family_bars(bars: Bars, checks: int) -> Bars:
    """Bars for one of ``checks`` checks of a kind; with multiple_checks = "bonferroni" the
    confidence is raised so that all of them together false-alarm at most 1 - confidence."""
    if bars.multiple_checks != "bonferroni" or checks <= 1:
        return bars
    return replace(bars, confidence=1 - (1 - bars.confidence) / checks)


# --- the rules, as plain predicates (the checks and their power both use them) ------------


def accuracy_fails(correct: int, n: int, bars: Bars) -> bool:
    """Interval: the whole interval is below the bar. Point: the accuracy is below it."""
    if bars.accuracy_judge == "interval":
        return wilson_interval(correct, n, bars.confidence)[1] < bars.min_accuracy
    return correct / n < bars.min_accuracy


def gap_rule(bars: Bars) -> GapRule:
    """Interval: the gap exceeds max_gap and identities differ significantly. Point: it exceeds it."""
    return GapRule(bars.max_gap, 1 - bars.confidence if bars.gap_judge == "interval" else None)


def change_fails(gained: int, lost: int, n: int, minimum: float, bars: Bars) -> bool:
    """Interval: the whole interval of the change is below the minimum. Point: the change is."""
    if bars.change_judge == "interval":
        return paired_change_interval(gained, lost, n, bars.confidence)[1] < minimum
    return (gained - lost) / n < minimum


@lru_cache(maxsize=4096)
def accuracy_power(n: int, bars: Bars) -> Detectable:
    """The true accuracy below which an accuracy check on n items fails with 80% probability."""
    return power.accuracy_level(n, lambda k: accuracy_fails(k, n, bars))


def gap_power(sizes: tuple[int, ...], bars: Bars) -> Detectable:
    """The true gap (one identity below the others) a gap check over these identities catches."""
    return _gap_power(tuple(sorted(sizes)), gap_rule(bars))


@lru_cache(maxsize=256)
def _gap_power(sizes: tuple[int, ...], rule: GapRule) -> Detectable:
    return power.gap_level(sizes, rule)


@lru_cache(maxsize=1024)
def change_power(n: int, minimum: float, bars: Bars, discordance: float) -> Detectable:
    """The true paired change below which a change check on n items fails with 80% probability."""
    return power.change_level(n, lambda g, lost: change_fails(g, lost, n, minimum, bars), discordance)


# --- the checks -----------------------------------------------------------------------------


def _not_evaluated(scope: str, t: Tally, refusal: str | None = None) -> Verdict | None:
    """Items without a response: those that failed after retries can be filled in by a rerun;
    those the endpoint refused (e.g. a prompt over its context length) cannot."""
    if not t.not_evaluated:
        return None
    failed = t.not_evaluated - t.refused
    parts = []
    if failed:
        parts.append(f"{failed} failed after retries; rerun to fill them in from the cache")
    if t.refused:
        parts.append(f"{t.refused} refused by the endpoint ({refusal or 'see the report'})")
    return Verdict(
        scope,
        Judgement.FAILED,
        f"{scope}: {t.not_evaluated} item(s) not evaluated: " + "; ".join(parts),
    )


def check_accuracy(scope: str, outcomes: Sequence[Outcome], bars: Bars) -> Verdict:
    """Accuracy of a group of items against min_accuracy, by point or by interval."""
    t = tally(outcomes)
    refusal = next((o.error for o in outcomes if o.refused), None)
    missing = _not_evaluated(scope, t, refusal)
    if missing:
        return missing
    lo, hi = t.interval(bars.confidence)
    ci = f"{_level(bars.confidence)} CI {_pct(lo)}–{_pct(hi)}"
    unparsed = f", {t.unparsed} without a verdict" if t.unparsed else ""
    measured = f"accuracy {_pct(t.accuracy)} ({t.correct}/{t.n}, {ci}{unparsed})"
    if t.n == 0 or t.n < bars.min_items:
        return _reported_only(
            scope, f"{scope}: {t.n} items < min_items {bars.min_items}, reported only ({measured})"
        )
    stated = f"{scope}: {measured}"
    failed = accuracy_fails(t.correct, t.n, bars)
    if not failed:
        why = ""
    elif bars.accuracy_judge == "interval":
        why = f": whole interval < {_pct(bars.min_accuracy)} required"
    else:
        why = f" < {_pct(bars.min_accuracy)} required"
    return _judged(scope, failed, stated + why, accuracy_power(t.n, bars))


def check_gap(scope: str, by_identity: Mapping[str, Sequence[Outcome]], bars: Bars) -> Verdict:
    """Best minus worst identity accuracy against max_gap (interval: also a significant spread)."""
    tallies = {ident: tally(o) for ident, o in by_identity.items()}
    gated = {i: t for i, t in tallies.items() if t.n >= bars.min_items and t.n > 0}
    if len(gated) < 2:
        return _reported_only(
            scope,
            f"{scope}: {len(gated)} of {len(tallies)} identities hold >= {bars.min_items} items; "
            "a gap needs two, reported only",
        )
    best = max(gated, key=lambda i: (gated[i].accuracy, i))
    worst = min(gated, key=lambda i: (gated[i].accuracy, i))
    gap = gated[best].accuracy - gated[worst].accuracy
    test = homogeneity_test([(t.correct, t.n) for t in gated.values()])
    stated = (
        f"{scope}: identity gap {_pct(gap)} ({best} {_pct(gated[best].accuracy)} vs "
        f"{worst} {_pct(gated[worst].accuracy)}; homogeneity chi2={test.statistic:.1f}, "
        f"df={test.df}, p={test.p_value:.3f})"
    )
    rule = gap_rule(bars)
    too_wide = gap > rule.max_gap
    if rule.alpha is not None:
        failed = too_wide and test.p_value < rule.alpha
        why = f" > {_pct(bars.max_gap)} allowed and significant at {rule.alpha:.3g}"
    else:
        failed = too_wide
        why = f" > {_pct(bars.max_gap)} allowed"
    detectable = gap_power(tuple(sorted(t.n for t in gated.values())), bars)
    return _judged(scope, failed, stated + why if failed else stated, detectable)


def check_change(
    scope: str,
    base: Sequence[Outcome],
    other: Sequence[Outcome],
    minimum: float,
    bars: Bars,
    discordance: float | None = None,
) -> tuple[Verdict, Change]:
    """A paired change (Raw->ID or Raw->COT) on the same items against its minimum.

    ``discordance``: the share of items assumed to flip, for the check's detectable level
    (default: the paper's median for the compared variant, see ``power.DISCORDANCE``).
    """
    change = paired_change(base, other)
    lo, hi = change.interval(bars.confidence)
    stated = (
        f"{scope}: change {change.change:+.2f} ({change.flips} on {change.n} items, "
        f"{_level(bars.confidence)} CI {lo:+.2f} to {hi:+.2f}, McNemar p={change.p_value:.3f})"
    )
    if change.n == 0 or change.n < bars.min_items:
        message = f"{scope}: {change.n} paired items < min_items {bars.min_items}, reported only ({stated})"
        return _reported_only(scope, message.replace(f"({scope}: ", "(")), change
    failed = change_fails(change.gained, change.lost, change.n, minimum, bars)
    if bars.change_judge == "interval":
        why = f": whole interval < {minimum:+.2f} required"
    else:
        why = f" < {minimum:+.2f} required"
    flips = discordance if discordance is not None else power.DISCORDANCE.get(change.other, 0.31)
    detectable = change_power(change.n, minimum, bars, flips)
    return _judged(scope, failed, stated + why if failed else stated, detectable), change
