"""Mutation pins for judging/stats.py: small cases a reader can check by hand (bench/MUTATION.md)."""

from __future__ import annotations

import math

import pytest

from giebench_fixtures.judging.stats import (
    Homogeneity,
    accuracy_p_value,
    binomial_sf,
    change_p_value,
    chi2_sf,
    difference_p_value,
    goodness_of_fit,
    holm,
    homogeneity_test,
    mcnemar_one_sided,
    regularized_beta,
    wilson_interval,
)


def _phi(z: float) -> float:
    """Standard normal CDF written out: (1 + erf(z / sqrt 2)) / 2."""
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))


# --- homogeneity_test: Pearson's statistic sum (k - n p)^2 / (n p (1 - p)), p the pooled accuracy


def test_homogeneity_chi_square_tail_with_two_degrees_of_freedom() -> None:
    # pooled 30/60 = 0.5, n p (1-p) = 5 per group: (0 + 25 + 25) / 5 = 10; an empty group is left out.
    # every expected count is 10 >= 5, so the chi-square tail with 2 df: exp(-10 / 2)
    result = homogeneity_test([(10, 20), (0, 0), (5, 20), (15, 20)])
    assert result.statistic == pytest.approx(10.0, abs=1e-12)
    assert result.df == 2
    assert result.p_value == pytest.approx(math.exp(-5), rel=1e-12)
    assert result.method == "chi-square"


def test_homogeneity_expected_counts_of_exactly_five_use_the_chi_square_tail() -> None:
    # pooled 10/20 = 0.5, every expected count is 5: (4 + 4) / 2.5 = 3.2; 1 df tail = erfc(sqrt(3.2 / 2))
    result = homogeneity_test([(3, 10), (7, 10)])
    assert result == Homogeneity(pytest.approx(3.2, abs=1e-12), 1, pytest.approx(math.erfc(math.sqrt(1.6))))
    assert result.method == "chi-square"


def test_homogeneity_without_two_groups_or_without_variation_is_no_evidence() -> None:
    assert homogeneity_test([]) == Homogeneity(0.0, 0, 1.0)
    assert homogeneity_test([(3, 5), (0, 0)]) == Homogeneity(0.0, 0, 1.0)  # one group with items
    assert homogeneity_test([(5, 5), (3, 3)]) == Homogeneity(0.0, 1, 1.0)  # all right
    assert homogeneity_test([(0, 5), (0, 3), (0, 2)]) == Homogeneity(0.0, 2, 1.0)  # all wrong


def test_homogeneity_monte_carlo_when_an_expected_count_is_below_five() -> None:
    # pooled 10/40 = 0.25; n p (1-p) = 1.875 and 5.625: 7.5^2 / 1.875 + 7.5^2 / 5.625 = 30 + 10 = 40.
    # Only all ten right answers dealt to the first group reach it (chance 1 / C(40, 10), about 1e-9),
    # so none of the 1000 draws does: p = (0 + 1) / (1000 + 1).
    result = homogeneity_test([(10, 10), (0, 30)])
    assert result == Homogeneity(pytest.approx(40.0, abs=1e-12), 1, 1 / 1001, "Monte-Carlo")
    assert homogeneity_test([(10, 10), (0, 30)], draws=99).p_value == 1 / 100


def test_homogeneity_monte_carlo_of_equal_groups_is_one() -> None:
    # 1 of 2 in both groups: statistic 0, every draw is at least as far from equal: (1000 + 1) / 1001
    assert homogeneity_test([(1, 2), (1, 2)]) == Homogeneity(0.0, 1, 1.0, "Monte-Carlo")


def test_homogeneity_monte_carlo_estimates_the_exact_permutation_p_value() -> None:
    # 4/6 vs 1/6, pooled 5/12: n p (1-p) = 35/24, statistic 2 x 1.5^2 / (35/24) = 108/35.
    # Exact: first group's right answers K is hypergeometric; |K - 2.5| >= 1.5 for K in {0, 1, 4, 5}:
    # (C(6,0)C(6,5) + C(6,1)C(6,4) + C(6,4)C(6,1) + C(6,5)C(6,0)) / C(12,5) = 192 / 792.
    exact = sum(math.comb(6, k) * math.comb(6, 5 - k) for k in (0, 1, 4, 5)) / math.comb(12, 5)
    result = homogeneity_test([(4, 6), (1, 6)])
    assert result.statistic == pytest.approx(108 / 35, abs=1e-12)
    assert result.method == "Monte-Carlo"
    assert result.p_value == pytest.approx(exact, abs=0.045)  # 1000 draws: standard error 0.014
    # three groups of 3, pooled 1/3: 2^2 / (2/3) + 2 x 1 / (2/3) = 9; only all three right answers in
    # one group reach it: 3 of C(9, 3) = 84 deals.
    result = homogeneity_test([(3, 3), (0, 3), (0, 3)])
    assert (result.statistic, result.df) == (pytest.approx(9.0, abs=1e-12), 2)
    assert result.p_value == pytest.approx(3 / 84, abs=0.02)
    assert homogeneity_test([(4, 6), (1, 6)]) == homogeneity_test([(4, 6), (1, 6)])  # seeded: every run


def test_homogeneity_monte_carlo_on_groups_of_one_and_two_items() -> None:
    # 1/1 vs 2/6, pooled 3/7: n p (1-p) = 12/49 and 72/49; (4/7)^2 / (12/49) + (4/7)^2 / (72/49)
    # = 4/3 + 2/9 = 14/9. Deals as extreme: the single item gets a right answer, 3 in 7.
    result = homogeneity_test([(1, 1), (2, 6)])
    assert (result.statistic, result.df, result.method) == (
        pytest.approx(14 / 9, abs=1e-12),
        1,
        "Monte-Carlo",
    )
    assert result.p_value == pytest.approx(3 / 7, abs=0.05)
    # 2/2 vs 0/2, pooled 1/2: (1 + 1) / 0.5 = 4; both right answers in one group in 2 of C(4, 2) = 6 deals
    result = homogeneity_test([(2, 2), (0, 2)])
    assert result.statistic == pytest.approx(4.0, abs=1e-12)
    assert result.p_value == pytest.approx(1 / 3, abs=0.05)


def test_homogeneity_monte_carlo_when_only_the_expected_wrong_answers_are_few() -> None:
    # 9/10 vs 7/10, pooled 0.8: 8 right but only 2 wrong expected per group, so not the chi-square tail.
    # Statistic 2 x 1 / 1.6 = 1.25; every deal but K = 8 right in the first group is as extreme:
    # 1 - C(10, 8) C(10, 8) / C(20, 16)
    result = homogeneity_test([(9, 10), (7, 10)])
    assert (result.statistic, result.method) == (pytest.approx(1.25, abs=1e-12), "Monte-Carlo")
    assert result.p_value == pytest.approx(1 - 45 * 45 / math.comb(20, 16), abs=0.05)


# --- goodness_of_fit: Pearson's sum (x - n p)^2 / (n p) against shares ------------------------------


def test_goodness_of_fit_exact_on_two_cells_is_a_binomial_tail() -> None:
    # n = 4, expected 1 and 3: statistic (x - 1)^2 (1 + 1/3); (3, 1) gives 16/3. Outcomes at least as
    # extreme: x = 3 or 4, P = 4 x 0.25^3 x 0.75 + 0.25^4 = 13/256. Shares need not add up to one.
    for shares in ([0.25, 0.75], [1, 3]):
        statistic, p = goodness_of_fit([3, 1], shares)
        assert statistic == pytest.approx(16 / 3, abs=1e-12)
        assert p == pytest.approx(13 / 256, rel=1e-12)
    # a letter that is never right and never chosen is left out
    assert goodness_of_fit([3, 1, 0], [0.25, 0.75, 0.0]) == pytest.approx((16 / 3, 13 / 256), rel=1e-12)


def test_goodness_of_fit_exact_on_equal_shares() -> None:
    # n = 4 halves: (3, 1) has statistic (1 + 1) / 2 = 1; only (2, 2) is less extreme: 1 - 6/16
    statistic, p = goodness_of_fit([3, 1], [0.5, 0.5])
    assert statistic == pytest.approx(1.0, abs=1e-12)
    assert p == pytest.approx(10 / 16, rel=1e-12)
    # n = 3 halves: (2, 1) is as close to equal as three items get (statistic 1/3): p is exactly 1
    assert goodness_of_fit([2, 1], [0.5, 0.5]) == (pytest.approx(1 / 3, abs=1e-12), 1.0)
    # a single item: both outcomes have statistic 2 x 0.5^2 / 0.5 = 1
    assert goodness_of_fit([1, 0], [0.5, 0.5]) == (pytest.approx(1.0, abs=1e-12), pytest.approx(1.0))


def test_goodness_of_fit_edge_cases() -> None:
    assert goodness_of_fit([3, 1, 0], [0.5, 0.0, 0.5]) == (math.inf, 0.0)  # chosen a letter never right
    assert goodness_of_fit([0, 0], [0.5, 0.5]) == (0.0, 1.0)  # nothing chosen
    assert goodness_of_fit([4, 0], [1.0, 0.0]) == (0.0, 1.0)  # one possible letter: nothing to test
    with pytest.raises(ValueError):
        goodness_of_fit([1, 2], [0.5, 0.3, 0.2])  # counts and shares of different lengths


def test_goodness_of_fit_chi_square_tail_when_every_expected_count_is_five_or_more() -> None:
    # thirds of 30: (0 + 25 + 25) / 10 = 5; 2 df: exp(-5/2)
    assert goodness_of_fit([10, 5, 15], [1 / 3] * 3) == (
        pytest.approx(5.0, abs=1e-12),
        pytest.approx(math.exp(-2.5), rel=1e-12),
    )
    # thirds of 15, every expected count exactly 5: (9 + 9 + 0) / 5 = 3.6; exp(-1.8)
    assert goodness_of_fit([8, 2, 5], [1 / 3] * 3) == (
        pytest.approx(3.6, abs=1e-12),
        pytest.approx(math.exp(-1.8), rel=1e-12),
    )


def test_goodness_of_fit_exact_on_25_items_in_four_cells() -> None:
    # expected 21.25, 1.25, 1.25, 1.25: 21.25 + 23.75^2 / 1.25 + 2 x 1.25 = 475; only all 25 on one rare
    # letter is as extreme: 3 x 0.05^25 (C(28, 3) = 3276 outcomes, few enough to enumerate)
    statistic, p = goodness_of_fit([0, 25, 0, 0], [0.85, 0.05, 0.05, 0.05])
    assert statistic == pytest.approx(475.0, abs=1e-9)
    assert p == pytest.approx(3 * 0.05**25, rel=1e-9)


def test_goodness_of_fit_monte_carlo_on_many_outcomes() -> None:
    # 70 items in four cells: C(73, 3) = 62196 outcomes, too many to enumerate; a rare letter is
    # expected 1.4 times. All 70 on it (statistic 65.8 + 68.6^2 / 1.4 + 2 x 1.4 = 3430) is never
    # drawn, so the estimate is (0 + 1) / (2000 + 1).
    statistic, p = goodness_of_fit([0, 70, 0, 0], [0.94, 0.02, 0.02, 0.02])
    assert statistic == pytest.approx(3430.0, abs=1e-9)
    assert p == 1 / 2001
    shares = [0.91] + [0.01] * 9  # ten cells, ten items: C(19, 9) = 92378 outcomes
    # All ten on the first cell: 0.9^2 / 9.1 + 9 x 0.1^2 / 0.1, the smallest statistic: every draw counts
    assert goodness_of_fit([10] + [0] * 9, shares) == (pytest.approx(0.81 / 9.1 + 0.9, abs=1e-12), 1.0)
    # 9 on the first, 1 on a rare cell: 0.1^2 / 9.1 + 0.9^2 / 0.1 + 8 x 0.1; every outcome with a rare
    # cell hit is at least as extreme, so the exact p is 1 - 0.91^10 = 0.611
    statistic, p = goodness_of_fit([9, 1] + [0] * 8, shares)
    assert statistic == pytest.approx(0.01 / 9.1 + 8.1 + 0.8, abs=1e-12)
    assert p == pytest.approx(1 - 0.91**10, abs=0.035)  # 2000 draws: standard error 0.011
    assert goodness_of_fit([9, 1] + [0] * 8, shares) == (statistic, p)  # seeded: the same every run


def test_goodness_of_fit_monte_carlo_bounded_by_the_rare_letters() -> None:
    # 62 and 8 of 70 against 65.8 and 1.4: 3.8^2 / 65.8 + 6.6^2 / 1.4 + 2 x 1.4 = 34.13. With every rare
    # letter at most 5 the statistic is at most 10.8^2 / 65.8 + 3 x 3.6^2 / 1.4 = 29.5, so the exact p is
    # at most 3 P(Bin(70, 0.02) >= 6); the estimate may exceed it by a few draws in 2000.
    statistic, p = goodness_of_fit([62, 8, 0, 0], [0.94, 0.02, 0.02, 0.02])
    assert statistic == pytest.approx(3.8**2 / 65.8 + 6.6**2 / 1.4 + 2.8, abs=1e-9)
    rare_six = sum(math.comb(70, k) * 0.02**k * 0.98 ** (70 - k) for k in range(6, 71))
    assert p <= 3 * rare_six + 0.01


def test_goodness_of_fit_exact_on_forty_letters() -> None:
    # two items, forty equal shares (expected 0.05 each; C(41, 39) = 820 outcomes): both on one letter is
    # 1.95^2 / 0.05 + 39 x 0.05 = 78, as extreme only as the other 39 such outcomes: 40 x (1/40)^2
    assert goodness_of_fit([2] + [0] * 39, [1 / 40] * 40) == (
        pytest.approx(78.0, abs=1e-9),
        pytest.approx(1 / 40),
    )


# --- the chi-square tail and the incomplete beta function against closed forms ----------------------


def test_chi_square_tail_with_three_degrees_of_freedom() -> None:
    # P(X >= x) for 3 df = erfc(sqrt(x/2)) + sqrt(2x/pi) exp(-x/2)
    for x in (1.0, 2.0, 6.0):
        closed = math.erfc(math.sqrt(x / 2)) + math.sqrt(2 * x / math.pi) * math.exp(-x / 2)
        assert chi2_sf(x, 3) == pytest.approx(closed, rel=1e-12)


def test_regularized_beta_closed_forms() -> None:
    assert regularized_beta(2, 3, 0.0) == 0.0
    assert regularized_beta(2, 3, 1.0) == 1.0
    assert regularized_beta(1, 3, 0.1) == pytest.approx(1 - 0.9**3, rel=1e-12)  # I_x(1, b) = 1 - (1-x)^b
    assert regularized_beta(3, 1, 0.5) == pytest.approx(0.5**3, rel=1e-12)  # I_x(a, 1) = x^a


def test_binomial_tails_by_hand() -> None:
    assert binomial_sf(0, 5, 0.3) == 1.0  # at least none
    assert binomial_sf(6, 5, 0.3) == 0.0  # more than all
    assert binomial_sf(3, 5, 0.0) == 0.0
    assert binomial_sf(3, 5, 1.0) == 1.0
    assert binomial_sf(5, 5, 0.5) == pytest.approx(1 / 32, rel=1e-12)  # all five
    assert binomial_sf(1, 3, 0.1) == pytest.approx(1 - 0.9**3, rel=1e-12)  # at least one = 1 - none
    assert binomial_sf(1, 5, 0.9) == pytest.approx(1 - 0.1**5, rel=1e-12)
    # a rare event keeps its digits: 1 - (1 - 1e-8)^10 = 1e-7 - 4.5e-15 + ...
    assert binomial_sf(1, 10, 1e-8) == pytest.approx(-math.expm1(10 * math.log1p(-1e-8)), rel=1e-12)
    assert accuracy_p_value(0, 1, 0.5) == pytest.approx(0.5)  # one item, wrong, at a bar of one half
    assert mcnemar_one_sided(1, 1) == pytest.approx(3 / 4)  # P(Bin(2, 1/2) <= 1)


# --- change_p_value: the Agresti-Min score against a non-zero minimum ---------------------------------


def test_change_p_value_against_a_minimum_by_hand() -> None:
    # 3 gained, 1 lost on 8 items: b = 3.5, c = 1.5, m = 10; change 0.2;
    # spread = sqrt(b + c - (b - c)^2 / m) / m = sqrt(4.6) / 10; z = (0.2 + 0.1) / spread = 3 / sqrt(4.6)
    assert change_p_value(3, 1, 8, -0.1) == pytest.approx(_phi(3 / math.sqrt(4.6)), rel=1e-12)
    # mirrored: change -0.2 against +0.1, z = -3 / sqrt(4.6)
    assert change_p_value(1, 3, 8, 0.1) == pytest.approx(_phi(-3 / math.sqrt(4.6)), rel=1e-12)


def test_change_p_value_edge_cases() -> None:
    assert change_p_value(0, 0, 0, 0.1) == 1.0  # no items
    assert change_p_value(0, 5, 5, -1.0) == 1.0  # no change can fall below -1
    assert change_p_value(0, 5, 5, -2.0) == 1.0


# --- difference_p_value: the Farrington-Manning score test ------------------------------------------


def test_difference_p_value_at_a_margin_of_zero_by_hand() -> None:
    # 1/1 vs 0/1: the restricted estimate is the pooled 0.5, variance 0.25 + 0.25; z = 1 / sqrt(0.5)
    assert difference_p_value(1, 1, 0, 1, 0.0) == pytest.approx(1 - _phi(math.sqrt(2)), abs=1e-9)
    # 3/4 vs 1/2: pooled 2/3, variance (2/9)(1/4 + 1/2) = 1/6, z = (3/4 - 1/2) sqrt(6)
    assert difference_p_value(3, 4, 1, 2, 0.0) == pytest.approx(1 - _phi(0.25 * math.sqrt(6)), abs=1e-8)


def test_difference_p_value_with_the_restricted_estimate_on_its_bound() -> None:
    # 4/4 vs 4/4, margin 0.2: the likelihood rises up to p_low = 0.8, p_high = 1;
    # variance 0 + 0.8 x 0.2 / 4 = 0.04, z = (0 - 0.2) / 0.2 = -1
    assert difference_p_value(4, 4, 4, 4, 0.2) == pytest.approx(_phi(1), abs=1e-13)
    # 0/4 vs 0/4: it falls from p_low = 0, p_high = 0.2; the same variance and z
    assert difference_p_value(0, 4, 0, 4, 0.2) == pytest.approx(_phi(1), abs=1e-13)
    # a negative margin, 3/4 vs 4/4 against -0.5: p_low = 1, p_high = 0.5 on the bound,
    # variance 0.25 / 4, z = (-0.25 + 0.5) / 0.25 = 1
    assert difference_p_value(3, 4, 4, 4, -0.5) == pytest.approx(1 - _phi(1), abs=1e-13)


def test_difference_p_value_edge_cases() -> None:
    assert difference_p_value(3, 5, 0, 0, 0.1) == 1.0  # no items in one group
    assert difference_p_value(0, 0, 3, 5, 0.1) == 1.0
    assert difference_p_value(5, 5, 0, 5, 1.0) == 1.0  # a gap can never exceed 1
    # margin -1: only 0/n vs n/n is possible under it; anything else rejects it outright
    assert difference_p_value(3, 5, 2, 5, -1.0) == 0.0
    assert difference_p_value(0, 5, 5, 5, -1.0) == 1.0


# --- small ones -----------------------------------------------------------------------------------


def test_holm_never_adjusts_above_one() -> None:
    assert holm([0.6, 0.9]) == [1.0, 1.0]  # 2 x 0.6 and 1 x 0.9, capped at 1


def test_an_all_right_interval_reaches_exactly_one() -> None:
    for n in range(1, 31):
        assert wilson_interval(n, n)[1] == 1.0
        assert wilson_interval(0, n)[0] == 0.0
