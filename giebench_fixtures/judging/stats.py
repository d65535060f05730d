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
    """Test that several groups share one accuracy (reported beside the gap, never deciding)."""

    statistic: float
    df: int
    p_value: float
    method: str = "chi-square"


def homogeneity_test(groups: list[tuple[int, int]], draws: int = 1000) -> Homogeneity:
    """Pearson's statistic of equal accuracy across (correct, n) groups. Its p-value is the
    chi-square tail when every expected count is >= 5, else a seeded Monte-Carlo estimate
    (the right answers dealt at random among the groups' items)."""
    groups = [(k, n) for k, n in groups if n > 0]
    total_n = sum(n for _, n in groups)
    total_k = sum(k for k, _ in groups)
    df = len(groups) - 1
    if df < 1 or total_k in (0, total_n):
        return Homogeneity(0.0, max(df, 0), 1.0)
    p = total_k / total_n

    def statistic(ks: list[int]) -> float:
        return sum((k - n * p) ** 2 / (n * p * (1 - p)) for k, (_, n) in zip(ks, groups, strict=True))

    seen = statistic([k for k, _ in groups])
    if min(min(n * p, n * (1 - p)) for _, n in groups) >= 5:
        return Homogeneity(seen, df, chi2_sf(seen, df))
    import random

    deal = random.Random(2026)
    owner = [g for g, (_, n) in enumerate(groups) for _ in range(n)]
    hits = 0
    for _ in range(draws):
        ks = [0] * len(groups)
        for index in deal.sample(range(total_n), total_k):
            ks[owner[index]] += 1
        hits += statistic(ks) >= seen - 1e-9
    return Homogeneity(seen, df, (hits + 1) / (draws + 1), "Monte-Carlo")


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


# --- one-sided tests against a bar (the gate decides on these p-values) -----------------


def regularized_beta(a: float, b: float, x: float) -> float:
    """I_x(a, b), the regularized incomplete beta function (continued fraction, Lentz)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1) / (a + b + 2):
        return math.exp(log_front) * _beta_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_fraction(b, a, 1 - x) / b


def _beta_fraction(a: float, b: float, x: float) -> float:
    tiny = 1e-300
    c, d = 1.0, 1 - (a + b) * x / (a + 1)
    d = 1 / (tiny if abs(d) < tiny else d)
    h = d
    for m in range(1, 10_000):
        for numerator in (
            m * (b - m) * x / ((a - 1 + 2 * m) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 1 + 2 * m)),
        ):
            d = 1 + numerator * d
            d = 1 / (tiny if abs(d) < tiny else d)
            c = 1 + numerator / c
            c = tiny if abs(c) < tiny else c
            h *= d * c
        if abs(d * c - 1) < 1e-15:
            break
    return h


def binomial_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p)."""
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    return regularized_beta(n - k, k + 1, 1 - p)  # 1 at p <= 0 and 0 at p >= 1


def binomial_sf(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p), computed directly (exact in the far tail too)."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    return regularized_beta(k, n - k + 1, p)  # 0 at p <= 0 and 1 at p >= 1


def accuracy_p_value(correct: int, n: int, bar: float) -> float:
    """Exact one-sided binomial p-value of "accuracy >= bar" with ``correct`` of ``n`` right:
    the probability, for a model exactly at the bar, of so few right or fewer."""
    if n == 0 or bar <= 0.0:
        return 1.0
    return binomial_cdf(correct, n, bar)


def mcnemar_one_sided(gained: int, lost: int) -> float:
    """Exact one-sided McNemar p-value of "no loss" (change >= 0): P(Bin(g + l, 1/2) <= g)."""
    return binomial_cdf(gained, gained + lost, 0.5)  # 1 without discordant items


def change_p_value(gained: int, lost: int, n: int, minimum: float) -> float:
    """One-sided p-value of "paired change >= minimum". For a minimum of 0 the exact McNemar test
    on the discordant items; otherwise the score of the Agresti-Min adjusted change (the
    interval the message shows), against the normal."""
    if n == 0:
        return 1.0
    if minimum == 0.0:
        return mcnemar_one_sided(gained, lost)
    if minimum <= -1.0:
        return 1.0
    b, c, m = gained + 0.5, lost + 0.5, n + 2
    spread = math.sqrt(max((b + c) - (b - c) ** 2 / m, 1e-12)) / m
    return float(NormalDist().cdf(((b - c) / m - minimum) / spread))


def difference_p_value(high: int, n_high: int, low: int, n_low: int, margin: float) -> float:
    """One-sided score test (Farrington-Manning) of "p_high - p_low <= margin" for two
    independent proportions: small when the data show the first exceeds the second by more
    than the margin. The variance is taken at the restricted maximum-likelihood estimates."""
    if n_high == 0 or n_low == 0 or margin >= 1.0:
        return 1.0
    observed = high / n_high - low / n_low
    lo, hi = max(0.0, -margin), min(1.0, 1.0 - margin)

    def loglik(p_low: float) -> float:
        total = 0.0
        for k, n, p in ((low, n_low, p_low), (high, n_high, p_low + margin)):
            p = min(max(p, 1e-12), 1 - 1e-12)
            total += k * math.log(p) + (n - k) * math.log1p(-p)
        return total

    for _ in range(80):  # the log-likelihood is concave on the restriction: golden-free ternary search
        a, b = lo + (hi - lo) / 3, hi - (hi - lo) / 3
        if loglik(a) < loglik(b):
            lo = a
        else:
            hi = b
    p_low = (lo + hi) / 2
    p_high = p_low + margin
    variance = p_high * (1 - p_high) / n_high + p_low * (1 - p_low) / n_low
    if variance <= 0.0:
        return 0.0 if observed > margin else 1.0
    return float(1 - NormalDist().cdf((observed - margin) / math.sqrt(variance)))


def goodness_of_fit(observed: list[int], shares: list[float]) -> tuple[float, float]:
    """Pearson statistic and p-value of counts against expected shares. Exact (every outcome
    enumerated) where an expected count is below 5 and the outcomes are few, the chi-square
    tail when every expected count is >= 5, else a seeded Monte-Carlo estimate (2,000 draws)."""
    pairs = list(zip(observed, shares, strict=True))
    if any(o for o, s in pairs if s <= 0):
        return math.inf, 0.0
    cells = [(o, s) for o, s in pairs if s > 0]
    n = sum(o for o, _ in cells)
    if n == 0 or len(cells) < 2:
        return 0.0, 1.0
    probs = [s / sum(s for _, s in cells) for _, s in cells]
    counts = [o for o, _ in cells]

    def statistic(xs: list[int] | tuple[int, ...]) -> float:
        return sum((x - n * p) ** 2 / (n * p) for x, p in zip(xs, probs, strict=True))

    seen = statistic(counts) - 1e-9
    if min(n * p for p in probs) >= 5:
        return seen + 1e-9, chi2_sf(seen + 1e-9, len(cells) - 1)
    if math.comb(n + len(cells) - 1, len(cells) - 1) <= 60_000:
        tail = 0.0
        for outcome in _compositions(n, len(cells)):
            if statistic(outcome) >= seen:
                tail += _multinomial(outcome, probs)
        return seen + 1e-9, min(1.0, tail)
    import random

    draws = random.Random(2026)
    hits = 0
    for _ in range(2000):
        sample = [0] * len(probs)
        for index in draws.choices(range(len(probs)), weights=probs, k=n):
            sample[index] += 1
        hits += statistic(sample) >= seen
    return seen + 1e-9, (hits + 1) / 2001


def _compositions(n: int, parts: int) -> list[tuple[int, ...]]:
    if parts == 1:
        return [(n,)]
    return [(first, *rest) for first in range(n + 1) for rest in _compositions(n - first, parts - 1)]


def _multinomial(counts: tuple[int, ...], probs: list[float]) -> float:
    log_p = math.lgamma(sum(counts) + 1)
    for k, p in zip(counts, probs, strict=True):
        log_p -= math.lgamma(k + 1)
        if k:
            log_p += k * math.log(p)
    return math.exp(log_p)


def holm(p_values: list[float]) -> list[float]:
    """Holm's step-down adjusted p-values (same order as given): the family-wise error rate of
    rejecting every adjusted p below alpha is at most alpha, under any dependence."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [1.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted
