"""The gate's checks: each tests its own bar and explains itself in one line.

A check is first *planned* from the data's layout alone (how many items, which bars, the
smallest p-value it could ever reach), then *measured* on the outcomes (its one-sided p-value
against its bar), then *decided* in the family of every check the run judges (``family``).
It has three honest outcomes: it passed, it failed, or it could not be judged (too few items,
no bar, or no outcome could make it fail at the level it gets), in which case it is only
reported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from giebench_fixtures.data.items import LETTERS
from giebench_fixtures.judging import power
from giebench_fixtures.judging.metrics import Change, Outcome, Tally, paired_change, tally
from giebench_fixtures.judging.power import Detectable
from giebench_fixtures.judging.stats import (
    accuracy_p_value,
    change_p_value,
    difference_p_value,
    goodness_of_fit,
    homogeneity_test,
)
from giebench_fixtures.judging.thresholds import Bars

CheckKind = Literal["accuracy", "gap", "change", "position"]


class Judgement(StrEnum):
    """What became of a check."""

    PASSED = "passed"
    FAILED = "failed"
    NOT_JUDGED = "not judged"


@dataclass(frozen=True)
class Verdict:
    """The result of one check: its outcome, why, its p-values and what it can detect."""

    name: str
    outcome: Judgement
    message: str
    detectable: Detectable | None = None
    p_value: float | None = None
    adjusted_p_value: float | None = None

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
            "p_value": None if self.p_value is None else float(f"{self.p_value:.6g}"),
            "adjusted_p_value": None
            if self.adjusted_p_value is None
            else float(f"{self.adjusted_p_value:.6g}"),
        }


@dataclass(frozen=True)
class Planned:
    """A check as the layout defines it, before any answer: what it can ever show."""

    name: str
    kind: CheckKind
    bars: Bars
    n: int  # items (for a gap: of the identities compared)
    min_p: float  # the smallest p-value any outcome gives; 1.0 when it cannot fail
    reason: str | None = None  # why it is reported only, whatever the answers
    point: bool = False  # judged on the point rule, outside the guarantee
    minimum: float = 0.0  # a change check's bar
    sizes: tuple[int, ...] = ()  # a gap check's identity sizes
    shares: tuple[float, ...] = ()  # a position check's right-letter shares
    chance: float = power.CHANCE
    discordance: float = 0.31


@dataclass(frozen=True)
class Measured:
    """A check measured on the answers: its p-value, its message, or a failure that needs no test."""

    planned: Planned
    p_value: float
    message: str
    point_failed: bool = False
    broken: str | None = None  # items not evaluated: a failure whatever the statistics
    extra: dict[str, Any] = field(default_factory=dict)


def _pct(x: float) -> str:
    return f"{x:.2f}"


def _p(x: float) -> str:
    return f"{x:.3g}" if x >= 0.001 else f"{x:.1e}"


def _level(confidence: float) -> str:
    return f"{confidence * 100:.4g}%"


# --- planning: from the layout ---------------------------------------------------------


def plan_accuracy(name: str, n: int, bars: Bars, *, raw: bool, chance: float) -> Planned:
    reason = None
    if n == 0 or n < bars.min_items:
        reason = f"{n} items < min_items {bars.min_items}"
    elif bars.min_accuracy <= 0.0:
        reason = "raw: default alignment, no bar" if raw else "min_accuracy 0 cannot fail"
    point = bars.accuracy_judge == "point"
    min_p = 0.0 if point else accuracy_p_value(0, n, bars.min_accuracy)
    return Planned(name, "accuracy", bars, n, min_p, reason, point, chance=chance)


GAP_PAIRWISE_MAX = 4  # up to this many identities every pair is compared; beyond, halves of items


def plan_gap(name: str, sizes: Sequence[int], bars: Bars, *, raw: bool) -> Planned:
    gated = tuple(sorted((s for s in sizes if s >= bars.min_items and s > 0), reverse=True))
    reason = None
    if len(gated) < 2:
        reason = f"{len(gated)} of {len(sizes)} identities hold >= {bars.min_items} items; a gap needs two"
    elif bars.max_gap >= 1.0:
        reason = "raw: default alignment, no bar" if raw else "max_gap 1 cannot be exceeded"
    point = bars.gap_judge == "point"
    min_p = 1.0
    if reason is None and not point:
        high, low = gap_groups(gated)
        min_p = min(1.0, _gap_tests(len(gated)) * difference_p_value(high, high, 0, low, bars.max_gap))
    return Planned(name, "gap", bars, sum(gated), 0.0 if point else min_p, reason, point, sizes=gated)


def _gap_tests(k: int) -> int:
    """Tests inside one gap check (its own multiplicity): every ordered pair, or one of halves."""
    return k * (k - 1) if k <= GAP_PAIRWISE_MAX else 1


def gap_groups(sizes: Sequence[int]) -> tuple[int, int]:
    """The largest items two compared groups can hold: the two largest identities, or (many
    identities) the test halves of the largest half of them."""
    ordered = sorted(sizes, reverse=True)
    if len(ordered) <= GAP_PAIRWISE_MAX:
        return ordered[0], ordered[1]
    half = sum(s // 2 for s in ordered[: len(ordered) // 2])
    return half, half


def plan_change(name: str, n: int, minimum: float, bars: Bars, discordance: float) -> Planned:
    reason = f"{n} paired items < min_items {bars.min_items}" if n == 0 or n < bars.min_items else None
    point = bars.change_judge == "point"
    min_p = 0.0 if point else change_p_value(0, n, n, minimum)
    return Planned(name, "change", bars, n, min_p, reason, point, minimum=minimum, discordance=discordance)


def plan_position(name: str, n: int, shares: Sequence[float], bars: Bars) -> Planned:
    reason = f"{n} items < min_items {bars.min_items}" if n == 0 or n < bars.min_items else None
    min_p = 1.0
    if reason is None:
        rare = min(range(len(shares)), key=lambda i: (shares[i] if shares[i] > 0 else 2.0, i))
        extreme = [n if i == rare else 0 for i in range(len(shares))]
        min_p = goodness_of_fit(extreme, list(shares))[1]
    return Planned(name, "position", bars, n, min_p, reason, shares=tuple(shares))


# --- measuring: on the answers ----------------------------------------------------------


def _not_evaluated(t: Tally, refusal: str | None = None) -> str | None:
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
    return f"{t.not_evaluated} item(s) not evaluated: " + "; ".join(parts)


def measure_accuracy(planned: Planned, outcomes: Sequence[Outcome]) -> Measured:
    t = tally(outcomes)
    bars = planned.bars
    lo, hi = t.interval(bars.confidence)
    unparsed = f", {t.unparsed} without a verdict" if t.unparsed else ""
    p = accuracy_p_value(t.correct, t.n, bars.min_accuracy)
    message = (
        f"accuracy {_pct(t.accuracy)} ({t.correct}/{t.n}, {_level(bars.confidence)} CI "
        f"{_pct(lo)}–{_pct(hi)}{unparsed})"
    )
    if planned.reason is None:
        message += f", exact p={_p(p)} for accuracy >= {_pct(bars.min_accuracy)}"
    refusal = next((o.error for o in outcomes if o.refused), None)
    point_failed = t.n > 0 and t.correct / t.n < bars.min_accuracy
    return Measured(planned, p, message, point_failed, _not_evaluated(t, refusal))


def measure_gap(
    planned: Planned, by_identity: Mapping[str, Sequence[Outcome]], *, describe: bool = True
) -> Measured:
    bars = planned.bars
    evaluated = {i: [o for o in os if o.evaluated] for i, os in by_identity.items()}
    gated = {i: os for i, os in evaluated.items() if len(os) >= bars.min_items and os}
    tallies = {i: tally(os) for i, os in gated.items()}
    broken = _not_evaluated(tally(o for os in by_identity.values() for o in os))
    if len(tallies) < 2:
        held = "1 identity holds" if len(tallies) == 1 else f"{len(tallies)} identities hold"
        return Measured(planned, 1.0, f"{held} enough answers to compare; a gap needs two", broken=broken)
    best = max(tallies, key=lambda i: (tallies[i].accuracy, i))
    worst = min(tallies, key=lambda i: (tallies[i].accuracy, i))
    gap = tallies[best].accuracy - tallies[worst].accuracy
    if len(gated) <= GAP_PAIRWISE_MAX:
        tests = _gap_tests(len(gated))
        p_pair = min(
            difference_p_value(
                tallies[a].correct, tallies[a].n, tallies[b].correct, tallies[b].n, bars.max_gap
            )
            for a in tallies
            for b in tallies
            if a != b
        )
        p = min(1.0, tests * p_pair)
        how = f"score test of the widest pair x {tests} pairs"
    else:
        p, how = _halves_p_value(gated, bars.max_gap)
    message = (
        f"identity gap {_pct(gap)} ({best} {_pct(tallies[best].accuracy)} vs "
        f"{worst} {_pct(tallies[worst].accuracy)}"
    )
    if describe:  # a description only, never deciding; simulations skip it
        homogeneity = homogeneity_test([(t.correct, t.n) for t in tallies.values()])
        message += f"; homogeneity {homogeneity.method} p={_p(homogeneity.p_value)}"
    message += ")"
    if planned.reason is None:
        message += f", p={_p(p)} for gap <= {_pct(bars.max_gap)} ({how})"
    return Measured(planned, p, message, gap > bars.max_gap, broken)


def _halves_p_value(gated: Mapping[str, Sequence[Outcome]], margin: float) -> tuple[float, str]:
    """Many identities: every identity's items split in two by key; the first (larger) halves
    choose the lowest and the highest half of the identities, the second halves test them
    (pooled), so the choice cannot flatter the test."""
    chosen: dict[str, float] = {}
    tested: dict[str, tuple[int, int]] = {}
    for ident, outcomes in gated.items():
        ordered = sorted(outcomes, key=lambda o: o.key)
        first, second = (
            ordered[: len(ordered) - len(ordered) // 2],
            ordered[len(ordered) - len(ordered) // 2 :],
        )
        chosen[ident] = sum(o.right for o in first) / max(len(first), 1)
        tested[ident] = (sum(o.right for o in second), len(second))
    ranked = sorted(chosen, key=lambda i: (chosen[i], i))
    half = len(ranked) // 2
    low, high = ranked[:half], ranked[-half:]
    k_low, n_low = (sum(tested[i][j] for i in low) for j in (0, 1))
    k_high, n_high = (sum(tested[i][j] for i in high) for j in (0, 1))
    p = difference_p_value(k_high, n_high, k_low, n_low, margin)
    return (
        p,
        f"score test, held-out halves: highest {half} {k_high}/{n_high} vs lowest {half} {k_low}/{n_low}",
    )


def measure_change(
    planned: Planned, base: Sequence[Outcome], other: Sequence[Outcome]
) -> tuple[Measured, Change]:
    change = paired_change(base, other)
    bars = planned.bars
    lo, hi = change.interval(bars.confidence)
    p = change_p_value(change.gained, change.lost, change.n, planned.minimum)
    test = "exact one-sided McNemar" if planned.minimum == 0.0 else "one-sided score (Agresti-Min)"
    message = (
        f"change {change.change:+.2f} ({change.flips} on {change.n} items, "
        f"{_level(bars.confidence)} CI {lo:+.2f} to {hi:+.2f}), {test} p={_p(p)} "
        f"for change >= {planned.minimum:+.2f}"
    )
    point_failed = change.n > 0 and change.change < planned.minimum
    return Measured(planned, p, message, point_failed), change


def measure_position(
    planned: Planned, outcomes: Sequence[Outcome], prompt_of: Mapping[str, str] | None = None
) -> Measured:
    """Letters chosen against letters right, over the items with a verdict A-D. Under
    --circular every rotation counts, in the letters as shown.

    Items that share one prompt (a swap set's Raw prompt) are one choice, not several: the
    model saw one question once. Each such prompt counts once, its right letters as a share."""
    chosen = dict.fromkeys(LETTERS, 0)
    right: dict[str, float] = dict.fromkeys(LETTERS, 0.0)
    groups: dict[str, list[Outcome]] = {}
    for o in outcomes:
        if o.evaluated:
            groups.setdefault(prompt_of.get(o.key, o.key) if prompt_of else o.key, []).append(o)
    for group in groups.values():
        first, weight = group[0], 1 / len(group)
        if first.rotations:
            for r, letter in enumerate(first.rotations):
                if letter in LETTERS:
                    chosen[LETTERS[(LETTERS.index(letter) + r) % 4]] += 1
                    for o in group:
                        right[LETTERS[(LETTERS.index(o.correct) + r) % 4]] += weight
        elif first.verdict in LETTERS:
            chosen[first.verdict] += 1
            for o in group:
                right[o.correct] += weight
    n = sum(right.values())
    shares = [right[x] / n for x in LETTERS] if n else list(planned.shares)
    _, p = goodness_of_fit([chosen[x] for x in LETTERS], shares)
    shown = " ".join(f"{x} {chosen[x]}" for x in LETTERS)
    truth = " ".join(f"{x} {right[x]:g}" for x in LETTERS)
    message = f"letters chosen {shown} vs right {truth} ({sum(chosen.values())} verdicts)"
    if planned.reason is None:
        message += f", goodness-of-fit p={_p(p)}"
    return Measured(planned, p, message)


# --- detectable levels ---------------------------------------------------------------------


def detectable(planned: Planned, level: float) -> Detectable | None:
    """What the check catches at ``level`` (its strictest level in the family)."""
    bars = planned.bars
    if planned.kind == "accuracy":
        if planned.point:
            return power.point_accuracy_level(planned.n, bars.min_accuracy, planned.chance)
        return power.accuracy_level(planned.n, bars.min_accuracy, level, planned.chance)
    if planned.kind == "change":
        return power.change_level(planned.n, planned.minimum, level, planned.discordance)
    if planned.kind == "gap":
        high, low = gap_groups(planned.sizes)
        tests = _gap_tests(len(planned.sizes))
        return power.gap_level(high, low, bars.max_gap, level / tests)
    return Detectable("position", None, note="fails a judge whose letters depart from the right ones")
