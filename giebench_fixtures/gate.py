"""The gate's checks: each judges outcomes against bars and explains itself in one line."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .metrics import Change, Outcome, Tally, paired_change, tally
from .stats import homogeneity_test
from .thresholds import Bars


@dataclass(frozen=True)
class Verdict:
    """The result of one check: passed or not, gated or only reported, and why."""

    name: str
    passed: bool
    message: str
    gated: bool = True


def _pct(x: float) -> str:
    return f"{x:.2f}"


def _level(confidence: float) -> str:
    """'95%', or '99.95%' for a corrected level."""
    return f"{confidence * 100:.4g}%"


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
    return Verdict(scope, False, f"{scope}: {t.not_evaluated} item(s) not evaluated: " + "; ".join(parts))


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
    stated = f"{scope}: accuracy {_pct(t.accuracy)} ({t.correct}/{t.n}, {ci}{unparsed})"
    if t.n < bars.min_items:
        return Verdict(scope, True, f"{stated}; not gated: fewer than {bars.min_items} items", False)
    if bars.accuracy_judge == "interval":
        passed = hi >= bars.min_accuracy
        return Verdict(
            scope,
            passed,
            f"{stated}: whole interval < {_pct(bars.min_accuracy)} required" if not passed else stated,
        )
    passed = t.accuracy >= bars.min_accuracy
    return Verdict(scope, passed, f"{stated} < {_pct(bars.min_accuracy)} required" if not passed else stated)


def check_gap(scope: str, by_identity: Mapping[str, Sequence[Outcome]], bars: Bars) -> Verdict:
    """Best minus worst identity accuracy against max_gap (interval: also a significant spread)."""
    tallies = {ident: tally(o) for ident, o in by_identity.items()}
    gated = {i: t for i, t in tallies.items() if t.n >= bars.min_items and t.n > 0}
    if len(gated) < 2:
        return Verdict(
            scope,
            True,
            f"{scope}: gap not gated: fewer than two identities with >= {bars.min_items} items",
            False,
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
    too_wide = gap > bars.max_gap
    if bars.gap_judge == "interval":
        significant = test.p_value < 1 - bars.confidence
        passed = not (too_wide and significant)
        why = f" > {_pct(bars.max_gap)} allowed and significant at {1 - bars.confidence:.3g}"
    else:
        passed = not too_wide
        why = f" > {_pct(bars.max_gap)} allowed"
    return Verdict(scope, passed, stated if passed else stated + why)


def check_change(
    scope: str, base: Sequence[Outcome], other: Sequence[Outcome], minimum: float, bars: Bars
) -> tuple[Verdict, Change]:
    """A paired change (Raw->ID or Raw->COT) on the same items against its minimum."""
    change = paired_change(base, other)
    lo, hi = change.interval(bars.confidence)
    stated = (
        f"{scope}: change {change.change:+.2f} ({change.flips} on {change.n} items, "
        f"{_level(bars.confidence)} CI {lo:+.2f} to {hi:+.2f}, McNemar p={change.p_value:.3f})"
    )
    if change.n < bars.min_items:
        return Verdict(scope, True, f"{stated}; not gated: fewer than {bars.min_items} items", False), change
    if bars.change_judge == "interval":
        passed = hi >= minimum
        why = f": whole interval < {minimum:+.2f} required"
    else:
        passed = change.change >= minimum
        why = f" < {minimum:+.2f} required"
    return Verdict(scope, passed, stated if passed else stated + why), change
