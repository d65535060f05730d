"""Small-sample statistics for the gate: Wilson intervals, exact McNemar, homogeneity.

Identities hold few items (about ten in the release), so every accuracy carries an
interval and every comparison a test. Pure functions of counts; no dependencies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist


def z_for(confidence: float) -> float:
    """The two-sided normal quantile for a confidence level (1.96 for 0.95)."""
    return float(NormalDist().inv_cdf(0.5 + confidence / 2))


def wilson_interval(correct: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion; (0, 1) when there are no trials."""
    if n == 0:
        return 0.0, 1.0
    z = z_for(confidence)
    p = correct / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if correct == 0 else max(0.0, centre - half)
    high = 1.0 if correct == n else min(1.0, centre + half)
    return low, high


def mcnemar_exact(gained: int, lost: int) -> float:
    """Two-sided exact McNemar p-value from the discordant counts (+gained / -lost)."""
    n = gained + lost
    if n == 0:
        return 1.0
    k = min(gained, lost)
    tail: float = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return min(1.0, 2 * tail)


def paired_change_interval(gained: int, lost: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Interval for a paired accuracy change (gained - lost) / n on n items.

    Agresti and Min's adjusted Wald interval: add 1/2 to each cell of the 2x2 table of
    paired outcomes, then use the Wald interval of the difference. Unlike an interval
    conditional on the discordant items, it carries the uncertainty of how many items flip.
    """
    if n == 0:
        return -1.0, 1.0
    b, c, m = gained + 0.5, lost + 0.5, n + 2
    change = (b - c) / m
    half = z_for(confidence) * math.sqrt(max((b + c) - (b - c) ** 2 / m, 0.0)) / m
    return max(-1.0, change - half), min(1.0, change + half)


@dataclass(frozen=True)
class Homogeneity:
    """Chi-square test that several groups share one accuracy."""

    statistic: float
    df: int
    p_value: float


def homogeneity_test(groups: list[tuple[int, int]]) -> Homogeneity:
    """Pearson chi-square test of equal accuracy across (correct, n) groups."""
    groups = [(k, n) for k, n in groups if n > 0]
    total_n = sum(n for _, n in groups)
    total_k = sum(k for k, _ in groups)
    df = len(groups) - 1
    if df < 1 or total_k in (0, total_n):
        return Homogeneity(0.0, max(df, 0), 1.0)
    p = total_k / total_n
    stat = 0.0
    for k, n in groups:
        for observed, expected in ((k, n * p), (n - k, n * (1 - p))):
            stat += (observed - expected) ** 2 / expected
    return Homogeneity(stat, df, chi2_sf(stat, df))


def chi2_sf(x: float, df: int) -> float:
    """P(X >= x) for a chi-square variable with df degrees of freedom."""
    if x <= 0:
        return 1.0
    return _upper_regularized_gamma(df / 2, x / 2)


def _upper_regularized_gamma(a: float, x: float) -> float:
    if x < a + 1:  # series for the lower function converges fast here
        term = total = 1 / a
        k = a
        for _ in range(1000):
            k += 1
            term *= x / k
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return max(0.0, 1 - total * math.exp(-x + a * math.log(x) - math.lgamma(a)))
    # continued fraction (modified Lentz) for the upper function
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, 1000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15:
            break
    return min(1.0, math.exp(-x + a * math.log(x) - math.lgamma(a)) * h)
