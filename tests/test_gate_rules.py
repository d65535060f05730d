"""The gate's rules (issue 15) on counts a reader can check by hand."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from giebench_fixtures.judging import family, power
from giebench_fixtures.judging.gate import Measured, Planned, plan_accuracy, plan_change
from giebench_fixtures.judging.stats import (
    accuracy_p_value,
    binomial_cdf,
    binomial_sf,
    change_p_value,
    chi2_sf,
    difference_p_value,
    goodness_of_fit,
    holm,
    mcnemar_one_sided,
)
from giebench_fixtures.judging.thresholds import Bars, load_thresholds

ROOT = Path(__file__).resolve().parent.parent


def test_exact_binomial_accuracy_p_values_by_hand() -> None:
    # a model exactly at 0.5 gets 0 of 5 right with probability 1/32, 1 or fewer with 6/32
    assert accuracy_p_value(0, 5, 0.5) == pytest.approx(1 / 32)
    assert accuracy_p_value(1, 5, 0.5) == pytest.approx(6 / 32)
    assert accuracy_p_value(5, 5, 0.5) == 1.0
    assert accuracy_p_value(3, 5, 0.0) == 1.0  # no bar: nothing to reject
    assert accuracy_p_value(4, 5, 1.0) == 0.0  # bar 1: any miss rejects it
    assert binomial_cdf(2, 10, 0.5) == pytest.approx(56 / 1024)
    assert binomial_sf(9, 10, 0.5) == pytest.approx(11 / 1024)


def test_one_sided_mcnemar_by_hand() -> None:
    assert mcnemar_one_sided(0, 5) == pytest.approx(1 / 32)  # five losses, no gain
    assert mcnemar_one_sided(1, 4) == pytest.approx(6 / 32)
    assert mcnemar_one_sided(0, 0) == 1.0
    assert change_p_value(0, 5, 5, 0.0) == pytest.approx(1 / 32)  # the bar-0 check decides on McNemar


def test_score_test_of_a_gap_above_its_margin_by_hand() -> None:
    # 5/5 vs 0/5, margin 0.5: restricted MLEs 0.75 and 0.25, variance 2 x 0.1875 / 5 = 0.075
    z = 0.5 / math.sqrt(0.075)
    assert difference_p_value(5, 5, 0, 5, 0.5) == pytest.approx(
        1 - 0.5 * (1 + math.erf(z / math.sqrt(2))), abs=1e-6
    )
    assert difference_p_value(3, 5, 2, 5, 0.5) > 0.5  # a gap of 0.2 shows nothing above 0.5


def test_goodness_of_fit_exact_on_few_items() -> None:
    # four answers all on one letter: the four outcomes as extreme each have probability 1/256
    statistic, p = goodness_of_fit([0, 4, 0, 0], [0.25] * 4)
    assert statistic == pytest.approx(12.0)
    assert p == pytest.approx(4 / 256)
    assert goodness_of_fit([1, 1, 1, 1], [0.25] * 4)[1] == pytest.approx(1.0)


def test_chi_square_tail_on_small_statistics() -> None:
    assert chi2_sf(0.1, 1) == pytest.approx(0.7518296340458493, rel=1e-9)
    assert chi2_sf(0.001, 2) == pytest.approx(math.exp(-0.0005), rel=1e-12)
    assert chi2_sf(0.0, 3) == 1.0


def test_holm_by_hand() -> None:
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([]) == []


def _planned(name: str, min_p: float) -> Planned:
    return Planned(name, "accuracy", Bars(), 10, min_p)


def test_tarone_family_leaves_out_checks_that_cannot_fail() -> None:
    checks = [_planned("a", 0.001), _planned("b", 0.001), _planned("c", 0.03), _planned("d", 0.03)]
    # K=1: four checks reach 0.05, too many; K=2: two reach 0.025 -> those two are the family
    chosen = family.settle(checks, 0.05, "holm")
    assert chosen.members == {"a", "b"} and chosen.strictest == pytest.approx(0.025)
    assert family.settle(checks, 0.05, "none").members == {"a", "b", "c", "d"}


def test_holm_decides_on_adjusted_p_values_and_skips_what_cannot_fail() -> None:
    checks = [_planned("a", 0.001), _planned("b", 0.001), _planned("c", 0.06)]
    chosen = family.settle(checks, 0.05, "holm")
    measured = [Measured(checks[0], 0.02, "m"), Measured(checks[1], 0.03, "m"), Measured(checks[2], 0.5, "m")]
    verdicts = family.decide(measured, chosen, levels=False)
    assert verdicts["a"].adjusted_p_value == pytest.approx(0.04) and not verdicts["a"].passed
    assert verdicts["b"].adjusted_p_value == pytest.approx(0.04) and not verdicts["b"].passed
    assert not verdicts["c"].judged and "cannot fail" in verdicts["c"].message


def test_guarantee_figures_and_lines() -> None:
    checks = [plan_accuracy("G / all identities / id", 20, Bars(), raw=False, chance=0.25)]
    chosen = family.settle(checks, 0.05, "holm")
    figures = family.guarantee(checks, chosen)
    assert figures["family_size"] == 1 and figures["false_failure_bound"] == pytest.approx(0.05)
    # fails when at most 5 of 20 are right (P(X<=5 | 0.5) = 0.0207 < 0.05, P(X<=6) = 0.0577)
    assert figures["chance_pass_bound"] == pytest.approx(binomial_sf(6, 20, 0.25))
    assert figures["guarantee_lines"][0].startswith(
        "A model meeting every bar fails this gate with probability <= 0.05"
    )
    assert figures["guarantee_lines"][1].startswith("A model at chance (accuracy 0.25) passes this gate")


def test_a_change_check_on_exactly_min_items_is_judged() -> None:
    planned = plan_change("G / raw->id (empathy)", 5, 0.0, Bars(min_items=5, multiple_checks="none"), 0.31)
    assert planned.reason is None and planned.min_p == pytest.approx(1 / 32)
    chosen = family.settle([planned], 0.05, "none")
    verdict = family.decide([Measured(planned, 1 / 32, "m")], chosen, levels=False)[planned.name]
    assert verdict.judged and not verdict.passed


def test_raw_to_cot_levels_use_raw_to_cots_own_discordance() -> None:
    with_id = power.change_level(40, 0.0, 0.05, power.DISCORDANCE["id"])
    with_cot = power.change_level(40, 0.0, 0.05, power.DISCORDANCE["cot"])
    assert with_id.level is not None and with_cot.level is not None and with_cot.level != with_id.level
    assert plan_change("x", 40, 0.0, Bars(), power.DISCORDANCE["cot"]).discordance == 0.40


def test_power_levels_at_the_edges() -> None:
    assert power.accuracy_level(1, 0.5, 0.05).level is None  # one item can never reach p < 0.05
    assert power.accuracy_level(0, 0.5, 0.05).level is None
    assert power.accuracy_level(10, 0.0, 0.05).level is None  # bar 0 cannot fail
    # bar 1: any miss fails, so P(fail) = 1 - p^n = 0.8 at p = 0.2^(1/n)
    assert power.accuracy_level(5, 1.0, 0.05).level == pytest.approx(0.2 ** (1 / 5), abs=1e-6)
    assert power.change_level(1, 0.0, 0.05, 0.31).level is None


def test_raw_has_no_bar_unless_thresholds_give_it_one(tmp_path: Path) -> None:
    bars = load_thresholds(ROOT / "thresholds.toml").bars("Gender", "Female", "raw")
    assert (bars.min_accuracy, bars.max_gap, bars.multiple_checks) == (0.0, 1.0, "holm")
    own = tmp_path / "t.toml"
    own.write_text("[defaults]\nmin_accuracy = 0.5\n[variant.raw]\nmin_accuracy = 0.3\n")
    assert load_thresholds(own).bars("Gender", "Female", "raw").min_accuracy == 0.3
    assert load_thresholds(own).bars("Gender", "Female", "raw").max_gap == 1.0
    planned = plan_accuracy(
        "G / F / raw",
        10,
        load_thresholds(ROOT / "thresholds.toml").bars("G", None, "raw"),
        raw=True,
        chance=0.25,
    )
    assert planned.reason == "raw: default alignment, no bar"
