"""The power of the gate's checks: how bad a model must be before a check catches it.

A check on ten items judged on its 95% interval can only fail a model that is far below
its bar; a model at chance may pass it most of the time. For every check this module
computes its *detectable level*: the true value at which the check fails with at least
80% probability under its own rule (point or interval, its confidence after any
multiple-check correction, its minimum number of items). Everything is exact, summed
from the binomial (or trinomial) distribution over the outcomes the rule fails; nothing
is simulated. The alternatives assumed:

- **accuracy** (one identity, or a whole dimension pooled): every item is right with the
  same probability ``p``. The level is the largest ``p`` at which the check fails with
  probability >= 80%; below it the check fails more often still.
- **gap** (best minus worst identity): one identity, the gated one with the fewest items,
  sits ``d`` below all the others, the two accuracies centred on one half
  (``0.5 - d/2`` against ``0.5 + d/2``, where the binomial noise is largest, so the level is
  on the safe side). The level is the smallest ``d`` at which the check fails with
  probability >= 80%.
- **change** (Raw->ID, Raw->COT, paired on the same items): every item independently
  keeps its outcome, or flips, with a fixed share of items answered differently under
  the two variants (the *discordance*: the median of the 23 models in the paper's tables,
  31% of items Raw->ID and 40% Raw->COT, or the size of the change if that is larger).
  A true change ``c`` means items are gained with probability ``(r + c) / 2`` and lost with
  ``(r - c) / 2``. The level is the largest ``c`` at which the check fails with
  probability >= 80%.

The rules themselves are passed in (``gate`` owns them), so a level always describes
the rule the gate applies.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

POWER = 0.8
CHANCE = 0.25
DISCORDANCE = {"id": 0.31, "cot": 0.40}
MAX_STATES = 400_000  # the gap's exact sum; beyond this it would take minutes

Kind = Literal["accuracy", "gap", "change"]


@dataclass(frozen=True)
class Detectable:
    """A check's detectable level: ``level`` is None when no true value makes it fail that often."""

    kind: Kind
    level: float | None
    power: float = POWER
    note: str | None = None  # why no level was computed, when it was not

    @property
    def catches_chance(self) -> bool | None:
        """Accuracy checks only: does it fail a model at chance (0.25) with that probability?"""
        if self.kind != "accuracy":
            return None
        return self.level is not None and self.level >= CHANCE

    def describe(self) -> str:
        """One phrase for reports: 'fails below 0.21 with 80% probability'."""
        chance = f"{self.power:.0%}"
        if self.note:
            return self.note
        if self.level is None:
            what = {"accuracy": "accuracy", "gap": "gap", "change": "change"}[self.kind]
            return f"cannot fail with {chance} probability at any {what}"
        if self.kind == "gap":
            return f"fails at a gap of {_up(self.level):.2f} or more with {chance} probability"
        if self.kind == "change":
            return f"fails below {_down(self.level):+.2f} with {chance} probability"
        phrase = f"fails below {_down(self.level):.2f} with {chance} probability"
        return phrase if self.catches_chance else f"{phrase}; cannot catch a model at chance ({CHANCE})"

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


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def _log_binom(k: int, n: int, p: float) -> float:
    """log P(X = k) for X ~ Binomial(n, p); -inf where impossible."""
    if p <= 0.0:
        return 0.0 if k == 0 else -math.inf
    if p >= 1.0:
        return 0.0 if k == n else -math.inf
    return _log_comb(n, k) + k * math.log(p) + (n - k) * math.log1p(-p)


def binomial_pmf(k: int, n: int, p: float) -> float:
    return math.exp(_log_binom(k, n, p))


def _bisect(probability: Callable[[float], float], low: float, high: float, *, rising: bool) -> float:
    """The x in [low, high] where a monotone probability crosses POWER (60 halvings: exact to 1e-15)."""
    for _ in range(60):
        mid = (low + high) / 2
        above = probability(mid) >= POWER
        if above == rising:
            high = mid
        else:
            low = mid
    return high if rising else low


# --- accuracy -------------------------------------------------------------------------


def accuracy_fail_probability(n: int, fails: Callable[[int], bool], p: float) -> float:
    """P(the check fails) when each of n items is right with probability p."""
    return sum(binomial_pmf(k, n, p) for k in range(n + 1) if fails(k))


def accuracy_level(n: int, fails: Callable[[int], bool]) -> Detectable:
    """The largest true accuracy at which a check over n items fails with probability >= POWER.

    ``fails(k)`` is the check's rule: does it fail with k of n right? Failing is assumed
    monotone (fewer right never passes where more right failed), as every rule of the gate is.
    """
    failing = [k for k in range(n + 1) if fails(k)]
    if n == 0 or not failing:
        return Detectable("accuracy", None)
    if len(failing) == n + 1:
        return Detectable("accuracy", 1.0)

    def probability(p: float) -> float:
        return sum(binomial_pmf(k, n, p) for k in failing)

    if probability(0.0) < POWER:
        return Detectable("accuracy", None)
    return Detectable("accuracy", _bisect(probability, 0.0, 1.0, rising=False))


# --- change ---------------------------------------------------------------------------


def change_fail_probability(
    n: int, fails: Callable[[int, int], bool], change: float, discordance: float
) -> float:
    """P(the check fails) on n paired items with a true change and a share of flipped items."""
    return _ChangeRule(n, fails).probability(change, discordance)


class _ChangeRule:
    """The (gained, lost) outcomes a change check fails, with their multinomial coefficients."""

    def __init__(self, n: int, fails: Callable[[int, int], bool]) -> None:
        self.n = n
        log_fact = [math.lgamma(i + 1) for i in range(n + 1)]
        self.failing = [
            (g, lost, log_fact[n] - log_fact[g] - log_fact[lost] - log_fact[n - g - lost])
            for g in range(n + 1)
            for lost in range(n + 1 - g)
            if fails(g, lost)
        ]

    def probability(self, change: float, discordance: float) -> float:
        flipped = min(1.0, max(discordance, abs(change)))
        gain = max(0.0, (flipped + change) / 2)
        loss = max(0.0, (flipped - change) / 2)
        stay = max(0.0, 1.0 - gain - loss)
        total = 0.0
        for g, lost, log_coef in self.failing:
            log_p = log_coef
            for count, q in ((g, gain), (lost, loss), (self.n - g - lost, stay)):
                if count:
                    if q <= 0.0:
                        log_p = -math.inf
                        break
                    log_p += count * math.log(q)
            if log_p > -math.inf:
                total += math.exp(log_p)
        return min(1.0, total)


def change_level(n: int, fails: Callable[[int, int], bool], discordance: float) -> Detectable:
    """The largest true paired change (gained minus lost, per item) at which a check over n
    items fails with probability >= POWER; ``fails(gained, lost)`` is its rule."""
    if n == 0:
        return Detectable("change", None)
    rule = _ChangeRule(n, fails)
    if not rule.failing or rule.probability(-1.0, discordance) < POWER:
        return Detectable("change", None)
    if rule.probability(1.0, discordance) >= POWER:
        return Detectable("change", 1.0)
    return Detectable("change", _bisect(lambda c: rule.probability(c, discordance), -1.0, 1.0, rising=False))


# --- gap ------------------------------------------------------------------------------


@dataclass(frozen=True)
class GapRule:
    """The gap check's rule in the terms its power needs: fail when best minus worst
    accuracy exceeds ``max_gap`` and (when ``alpha`` is set) the chi-square test of equal
    accuracy has p < alpha."""

    max_gap: float
    alpha: float | None


def gap_fail_probability(sizes: Sequence[int], rule: GapRule, gap: float) -> float:
    """P(the gap check fails) when the first identity in ``sizes`` sits ``gap`` below the
    others, centred on one half."""
    return _GapWeights(sizes, rule).probability(gap)


def gap_level(sizes: Sequence[int], rule: GapRule) -> Detectable:
    """The smallest true gap (one identity below all others) at which the check fails with
    probability >= POWER. ``sizes``: items of each gated identity."""
    if len(sizes) < 2:
        return Detectable("gap", None)
    ordered = sorted(sizes)  # the low identity is the smallest: the hardest to tell apart
    weights = _GapWeights(ordered, rule)
    if weights.too_large:
        return Detectable("gap", None, note="level not computed: too many identities of different sizes")
    if weights.probability(1.0) < POWER:
        return Detectable("gap", None)
    if weights.probability(0.0) >= POWER:
        return Detectable("gap", 0.0)
    return Detectable("gap", _bisect(weights.probability, 0.0, 1.0, rising=True))


class _GapWeights:
    """Every outcome of the identities, reduced to what the rule reads, weighted exactly.

    The rule reads the best and worst accuracy and (interval mode) the chi-square statistic,
    a function of the total right ``K`` and ``S = sum k_i^2 / n_i``. A dynamic programme over
    the identities other than the first keeps, per (K, S, worst, best), their summed
    probability at accuracy one half (once best - worst exceeds the bar, worst and best no
    longer matter and are dropped); the probability at any other accuracy ``q`` follows by
    reweighting with ``(2q)^K (2(1-q))^(N-K)``, a short sum. Identities of many different
    sizes make S take many values: past MAX_STATES the level is not computed.
    """

    def __init__(self, sizes: Sequence[int], rule: GapRule) -> None:
        self.low_n, *rest = sizes
        self.rest_n = sum(rest)
        self.total_n = self.low_n + self.rest_n
        self.too_large = False
        critical = _chi2_critical(rule.alpha, len(sizes) - 1) if rule.alpha is not None else None
        wide = -5.0  # worst and best of a state whose gap already exceeds the bar
        self.scale = math.lcm(*sizes)  # S * scale is a whole number: exact keys
        states: dict[tuple[int, int, float, float], float] = {(0, 0, 2.0, -1.0): 1.0}
        for n in rest:
            steps = [
                (k, k / n, k * k * (self.scale // n) if critical is not None else 0, _share(n, k))
                for k in range(n + 1)
            ]
            grown: dict[tuple[int, int, float, float], float] = defaultdict(float)
            for (k_sum, s, worst, best), w in states.items():
                for k, a, s_step, share in steps:
                    if worst == wide:
                        low = high = wide
                    else:
                        low, high = min(worst, a), max(best, a)
                        if high - low > rule.max_gap:
                            low = high = wide
                    grown[(k_sum + k, s + s_step, low, high)] += w * share
            states = grown
            if len(states) > MAX_STATES:
                self.too_large = True
                break
        # failing weight per (k of the first identity, K of the rest)
        self.failing: dict[tuple[int, int], float] = defaultdict(float)
        if self.too_large:
            return
        for k0 in range(self.low_n + 1):
            a0 = k0 / self.low_n
            for (k_sum, s, worst, best), w in states.items():
                if worst != wide and not max(best, a0) - min(worst, a0) > rule.max_gap:
                    continue
                if critical is not None:
                    big_k = k_sum + k0
                    if big_k in (0, self.total_n):
                        continue
                    p = big_k / self.total_n
                    statistic = (s / self.scale + k0 * k0 / self.low_n - big_k * p) / (p * (1 - p))
                    if not statistic > critical:
                        continue
                self.failing[(k0, k_sum)] += w

    def probability(self, gap: float) -> float:
        low, high = 0.5 - gap / 2, 0.5 + gap / 2
        total = 0.0
        for (k0, k_rest), w in self.failing.items():
            if w == 0.0:
                continue
            log_rest = _log_power(2 * high, k_rest) + _log_power(2 * (1 - high), self.rest_n - k_rest)
            total += math.exp(math.log(w) + _log_binom(k0, self.low_n, low) + log_rest)
        return min(1.0, total)


def _share(n: int, k: int) -> float:
    """P(X = k) for X ~ Binomial(n, 1/2)."""
    return math.exp(_log_comb(n, k) - n * math.log(2))


def _log_power(base: float, exponent: int) -> float:
    if exponent == 0:
        return 0.0
    return math.log(base) * exponent if base > 0 else -math.inf


def _chi2_critical(alpha: float, df: int) -> float:
    """The statistic above which the chi-square p-value falls below alpha."""
    from giebench_fixtures.judging.stats import chi2_sf

    low, high = 0.0, 1.0
    while chi2_sf(high, df) >= alpha:
        high *= 2
    for _ in range(100):
        mid = (low + high) / 2
        if chi2_sf(mid, df) < alpha:
            high = mid
        else:
            low = mid
    return low
