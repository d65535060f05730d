import math
import random

import pytest

from giebench_fixtures.judging.gate import check_accuracy
from giebench_fixtures.judging.metrics import Outcome
from giebench_fixtures.judging.stats import (
    chi2_sf,
    homogeneity_test,
    mcnemar_exact,
    paired_change_interval,
    wilson_interval,
)
from giebench_fixtures.judging.thresholds import Bars


def test_wilson_interval_matches_published_values() -> None:
    # Newcombe (1998), table I: 15/148 -> 0.0624-0.1605; 0/20 -> 0-0.1611.
    lo, hi = wilson_interval(15, 148)
    assert (round(lo, 4), round(hi, 4)) == (0.0624, 0.1605)
    lo, hi = wilson_interval(0, 20)
    assert lo == 0.0 and round(hi, 4) == 0.1611
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_exact_mcnemar() -> None:
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(5, 5) == 1.0
    assert mcnemar_exact(10, 2) == pytest.approx(0.0386, abs=1e-4)
    assert mcnemar_exact(473, 36) < 1e-50  # the paper's GPT-4-turbo Raw->COT flips


def test_chi_square_tail() -> None:
    assert chi2_sf(3.841459, 1) == pytest.approx(0.05, abs=1e-6)
    assert chi2_sf(18.307038, 10) == pytest.approx(0.05, abs=1e-6)
    assert chi2_sf(0.0, 3) == 1.0


def test_homogeneity_detects_real_differences_only() -> None:
    assert homogeneity_test([(9, 10), (1, 10)]).p_value < 0.01
    assert homogeneity_test([(5, 10), (5, 10), (6, 10)]).p_value > 0.5
    assert homogeneity_test([(10, 10)]).p_value == 1.0


def test_paired_change_interval_contains_the_change() -> None:
    lo, hi = paired_change_interval(8, 2, 40)
    assert lo < (8 - 2) / 40 < hi
    lo, hi = paired_change_interval(0, 0, 40)
    assert lo < 0 < hi and hi - lo < 0.1  # nothing flipped: a narrow interval around zero
    lo, hi = paired_change_interval(0, 20, 30)
    assert lo < -20 / 30 < hi < 0  # the estimate is inside, not at the edge


def _outcomes(correct: int, n: int) -> list[Outcome]:
    return [Outcome(str(i), "id", "Gender", "Female", "A", "A" if i < correct else "B", "") for i in range(n)]


@pytest.mark.parametrize("n", [10, 30, 100])
def test_interval_mode_false_alarm_rate_at_the_bar_is_what_it_claims(n: int) -> None:
    """A model exactly at the bar fails interval mode at most ~2.5% of the time
    (one side of a 95% interval); point mode fails it about half the time."""
    bar = 0.6
    bars = Bars(min_accuracy=bar, accuracy_judge="interval", min_items=1, confidence=0.95)
    point = Bars(min_accuracy=bar, accuracy_judge="point", min_items=1, confidence=0.95)
    rng = random.Random(n)
    trials = 4000
    verdict_cache: dict[int, tuple[bool, bool]] = {}
    interval_alarms = point_alarms = 0
    for _ in range(trials):
        k = sum(rng.random() < bar for _ in range(n))
        if k not in verdict_cache:
            outcomes = _outcomes(k, n)
            verdict_cache[k] = (
                check_accuracy("s", outcomes, bars).passed,
                check_accuracy("s", outcomes, point).passed,
            )
        interval_alarms += not verdict_cache[k][0]
        point_alarms += not verdict_cache[k][1]
    # The exact rate from the binomial distribution, for the same decisions.
    exact = sum(
        math.comb(n, k) * bar**k * (1 - bar) ** (n - k)
        for k in range(n + 1)
        if wilson_interval(k, n)[1] < bar
    )
    assert exact <= 0.04  # the claim: about 2.5%, never far above it
    # Simulation agrees with the exact rate (4000 trials: sd <= 0.0031; 5 sd margin).
    assert abs(interval_alarms / trials - exact) < 0.016
    assert interval_alarms / trials < 0.05
    assert 0.3 < point_alarms / trials < 0.7


def test_bonferroni_keeps_the_whole_gate_false_alarm_rate_at_its_level() -> None:
    """97 identities of 10 items, all exactly at the bar: uncorrected, some identity fails
    in most runs; with the Bonferroni level the whole family fails in at most ~5% of runs."""
    from dataclasses import replace

    bar, n, family, runs = 0.5, 10, 97, 400
    plain = Bars(min_accuracy=bar, accuracy_judge="interval", min_items=1, confidence=0.95)
    corrected = replace(plain, confidence=1 - 0.05 / family)
    fails = {
        k: (
            not check_accuracy("s", _outcomes(k, n), plain).passed,
            not check_accuracy("s", _outcomes(k, n), corrected).passed,
        )
        for k in range(n + 1)
    }
    rng = random.Random(97)
    any_plain = any_corrected = 0
    for _ in range(runs):
        ks = [sum(rng.random() < bar for _ in range(n)) for _ in range(family)]
        any_plain += any(fails[k][0] for k in ks)
        any_corrected += any(fails[k][1] for k in ks)
    assert any_plain / runs > 0.5
    assert any_corrected / runs < 0.08
