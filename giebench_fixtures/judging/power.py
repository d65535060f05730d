"""The power of the gate's checks: how bad a model must be before a check catches it.

Every judged check fails when its p-value, adjusted for the family of checks the run
judges, falls below ``1 - confidence``. Its *detectable level* is the true value at which
it fails with at least 80% probability at the strictest level it can get in the family
(``alpha / family size``; Holm's later steps only make it easier). The alternatives assumed:

- **accuracy**: every item right with the same probability ``p``; exact (binomial).
- **change** (Raw->ID, Raw->COT): items flip independently, a share ``r`` of them (the
  *discordance*: the paper's median for the compared variant, 31% Raw->ID and 40% Raw->COT,
  or the size of the change if larger), gained with probability ``(r + c) / 2`` and lost with
  ``(r - c) / 2``; exact for a bar of 0 (McNemar), the normal otherwise.
- **gap**: identities in two groups ``d`` apart, centred on one half, and the groups told
  apart; the normal approximation of the score test the check applies (a guide, not exact).

All of it is fast on the whole release and beyond: tails come from the incomplete beta.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from statistics import NormalDist
from typing import Any, Literal

from giebench_fixtures.judging.stats import accuracy_p_value, binomial_cdf, mcnemar_one_sided

POWER = 0.8
CHANCE = 0.25
CIRCULAR_CHANCE = 0.25**4
DISCORDANCE = {"id": 0.31, "cot": 0.40}
EXACT_CHANGE_ITEMS = 150  # beyond, the change's power comes from the normal (within 0.01 there)

Kind = Literal["accuracy", "gap", "change", "position"]


@dataclass(frozen=True)
class Detectable:
    """A check's detectable level: ``level`` is None when no true value makes it fail that often."""

    kind: Kind
    level: float | None
    power: float = POWER
    note: str | None = None  # why no level was computed, when it was not
    chance: float = CHANCE

    @property
    def catches_chance(self) -> bool | None:
        """Accuracy checks only: does it fail a model at chance with that probability?"""
        if self.kind != "accuracy":
            return None
        return self.level is not None and self.level >= self.chance

    def describe(self) -> str:
        """One phrase for reports: 'fails below 0.21 with 80% probability'."""
        chance = f"{self.power:.0%}"
        if self.note:
            return self.note
        if self.level is None:
            return f"cannot fail with {chance} probability at any {self.kind}"
        if self.kind == "gap":
            return f"fails at a gap of {_up(self.level):.2f} or more with {chance} probability"
        if self.kind == "change":
            return f"fails below {_down(self.level):+.2f} with {chance} probability"
        phrase = f"fails below {_down(self.level):.2f} with {chance} probability"
        if self.catches_chance:
            return phrase
        return f"{phrase}; cannot catch a model at chance ({self.chance:.3g})"

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "level": None if self.level is None else round(self.level, 4),
            "power": self.power,
            "catches_chance": self.catches_chance,
            "text": self.describe(),
            **({"note": self.note} if self.note else {}),
        }


def _down(x: float) -> float:
    """Shown to two decimals, rounded towards where the check fails more often."""
    return math.floor(x * 100 + 1e-9) / 100


def _up(x: float) -> float:
    return math.ceil(x * 100 - 1e-9) / 100


def _bisect(probability: Callable[[float], float], low: float, high: float, *, rising: bool) -> float:
    """The x in [low, high] where a monotone probability crosses POWER (to 1e-10)."""
    for _ in range(36):
        mid = (low + high) / 2
        if (probability(mid) >= POWER) == rising:
            high = mid
        else:
            low = mid
    return high if rising else low


def _z(level: float) -> float:
    return float(NormalDist().inv_cdf(1 - min(max(level, 1e-300), 0.5)))


# --- accuracy -------------------------------------------------------------------------


def accuracy_critical(n: int, bar: float, level: float) -> int:
    """The most right answers (of n) at which "accuracy >= bar" is still rejected at ``level``;
    -1 when no outcome is. Never n: all n right gives p = 1."""
    low, high = -1, n  # p(low) < level or low = -1; p(high) >= level
    while high - low > 1:
        mid = (low + high) // 2
        if accuracy_p_value(mid, n, bar) < level:
            low = mid
        else:
            high = mid
    return low


def accuracy_fail_probability(n: int, bar: float, level: float, p: float) -> float:
    """P(the check fails at ``level``) when each of n items is right with probability p."""
    return binomial_cdf(accuracy_critical(n, bar, level), n, p)


def accuracy_level(n: int, bar: float, level: float, chance: float = CHANCE) -> Detectable:
    """The largest true accuracy at which the check fails with probability >= POWER."""
    critical = accuracy_critical(n, bar, level)
    if critical < 0:
        return Detectable("accuracy", None, chance=chance)
    found = _bisect(lambda p: binomial_cdf(critical, n, p), 0.0, 1.0, rising=False)
    return Detectable("accuracy", found, chance=chance)


def point_accuracy_level(n: int, bar: float, chance: float = CHANCE) -> Detectable:
    """The same for the point rule (fail when the measured accuracy is below the bar)."""
    # the point rule fails below the bar: k / n < bar (the epsilon keeps 0.55 * 100 = 55.000...01 at 55)
    critical = math.ceil(bar * n - 1e-9) - 1
    if critical < 0:
        return Detectable("accuracy", None, chance=chance)
    return Detectable(
        "accuracy", _bisect(lambda p: binomial_cdf(critical, n, p), 0.0, 1.0, rising=False), chance=chance
    )


# --- change ---------------------------------------------------------------------------


def change_fail_probability(n: int, minimum: float, level: float, change: float, discordance: float) -> float:
    """P(the change check fails at ``level``) on n paired items with a true change."""
    flipped = min(1.0, max(discordance, abs(change)))
    if minimum != 0.0 or n > EXACT_CHANGE_ITEMS:
        spread = math.sqrt(max(flipped - change * change, 1e-12) / n)
        return float(NormalDist().cdf((minimum - change) / spread - _z(level)))
    gain_share = (flipped + change) / (2 * flipped) if flipped > 0 else 0.5
    mean, sd = n * flipped, math.sqrt(n * flipped * (1 - flipped))
    first, last = max(0, int(mean - 12 * sd) - 1), min(n, int(mean + 12 * sd) + 2)
    total = 0.0
    for d in range(first, last + 1):
        weight = _binomial_pmf(d, n, flipped)
        if weight < 1e-18:
            continue
        total += weight * binomial_cdf(_mcnemar_critical(d, level), d, gain_share)
    return min(1.0, total)


@lru_cache(maxsize=65_536)
def _mcnemar_critical(discordant: int, level: float) -> int:
    """The most gains (of ``discordant`` flips) at which "no loss" is still rejected; -1 if none."""
    low, high = -1, discordant + 1
    while high - low > 1:
        mid = (low + high) // 2
        if mcnemar_one_sided(mid, discordant - mid) < level:
            low = mid
        else:
            high = mid
    return low


def _binomial_pmf(k: int, n: int, p: float) -> float:
    if p <= 0.0:
        return 1.0 if k == 0 else 0.0
    if p >= 1.0:
        return 1.0 if k == n else 0.0
    log_p = math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
    return math.exp(log_p + k * math.log(p) + (n - k) * math.log1p(-p))


def change_level(n: int, minimum: float, level: float, discordance: float) -> Detectable:
    """The largest true paired change at which a check over n items fails with probability >= POWER."""
    if n == 0 or change_fail_probability(n, minimum, level, -1.0, discordance) < POWER:
        return Detectable("change", None)
    # no need to ask at +1: there the check fails with probability 0 (McNemar) or <= level (score)
    return Detectable(
        "change",
        _bisect(
            lambda c: change_fail_probability(n, minimum, level, c, discordance), -1.0, 1.0, rising=False
        ),
    )


# --- gap ------------------------------------------------------------------------------


def gap_level(n_high: int, n_low: int, max_gap: float, level: float) -> Detectable:
    """The smallest true gap the check's score test finds with probability >= POWER, two
    groups of ``n_high`` and ``n_low`` items at ``0.5 +- d / 2`` (normal approximation)."""
    if n_high == 0 or n_low == 0:
        return Detectable("gap", None)

    def probability(d: float) -> float:
        # p (1 - p) = (1 - d^2) / 4 at both p = 1/2 + d/2 and 1/2 - d/2
        spread = math.sqrt(max((1 - d * d) / 4 * (1 / n_high + 1 / n_low), 1e-12))
        return float(NormalDist().cdf((d - max_gap) / spread - _z(level)))

    if probability(1.0) < POWER:  # also max_gap 1: no gap exceeds it
        return Detectable("gap", None)
    return Detectable("gap", _bisect(probability, max_gap, 1.0, rising=True))
