import pytest

from giebench_fixtures.judging.metrics import Outcome
from giebench_fixtures.judging.stats import (
    chi2_sf,
    mcnemar_exact,
    paired_change_interval,
    wilson_interval,
)


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


def test_paired_change_interval_contains_the_change() -> None:
    lo, hi = paired_change_interval(8, 2, 40)
    assert lo < (8 - 2) / 40 < hi
    lo, hi = paired_change_interval(0, 0, 40)
    assert lo < 0 < hi and hi - lo < 0.1  # nothing flipped: a narrow interval around zero
    lo, hi = paired_change_interval(0, 20, 30)
    assert lo < -20 / 30 < hi < 0  # the estimate is inside, not at the edge


def _outcomes(correct: int, n: int) -> list[Outcome]:
    return [Outcome(str(i), "id", "Gender", "Female", "A", "A" if i < correct else "B", "") for i in range(n)]
