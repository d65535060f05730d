"""Mutation pins for judging/power.py and family.py: small cases a reader can check by hand.

Every reference value is a closed form written here: binomial sums from math.comb, the normal
from statistics.NormalDist, Holm/Bonferroni arithmetic on two to five checks. A detectable level
is pinned by its closed form where one exists, else by its defining property: the check fails
with probability >= 0.8 at the level and < 0.8 just beyond it (computed here, not by power.py).
"""

from __future__ import annotations

import math
from statistics import NormalDist

import pytest

from giebench_fixtures.judging import family, power
from giebench_fixtures.judging.family import Family
from giebench_fixtures.judging.gate import Judgement, Measured, Planned, Verdict
from giebench_fixtures.judging.power import Detectable
from giebench_fixtures.judging.thresholds import Bars

Z = NormalDist()


def _cdf(k: int, n: int, p: float) -> float:
    """P(X <= k), X ~ Binomial(n, p), summed term by term."""
    return sum(math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(k + 1))


def _sf(k: int, n: int, p: float) -> float:
    """P(X >= k), summed term by term (exact in the far tail)."""
    return sum(math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(max(k, 0), n + 1))


# --- Detectable: what a report prints ----------------------------------------------------


def test_a_level_is_printed_rounded_towards_where_the_check_fails_more_often() -> None:
    # accuracy / change: down to two decimals; a gap: up. 0.29 * 100 = 28.999999999999996 still
    # shows 0.29, 0.28 * 100 = 28.000000000000004 still 0.28.
    assert Detectable("accuracy", 0.8799).describe() == "fails below 0.87 with 80% probability"
    assert Detectable("accuracy", 0.29).describe() == "fails below 0.29 with 80% probability"
    assert Detectable("gap", 0.28).describe() == "fails at a gap of 0.28 or more with 80% probability"
    assert Detectable("gap", 0.7001).describe() == "fails at a gap of 0.71 or more with 80% probability"
    assert Detectable("change", -0.1234).describe() == "fails below -0.13 with 80% probability"
    assert Detectable("change", 0.05).describe() == "fails below +0.05 with 80% probability"


def test_an_accuracy_level_below_chance_says_it_cannot_catch_a_model_at_chance() -> None:
    below = Detectable("accuracy", 0.2199, chance=0.25)
    assert below.describe() == (
        "fails below 0.21 with 80% probability; cannot catch a model at chance (0.25)"
    )
    circular = Detectable("accuracy", 0.002, chance=0.25**4)  # 1/256 = 0.00390625
    assert circular.describe().endswith("; cannot catch a model at chance (0.00391)")


def test_no_level_and_a_note_are_printed_as_such() -> None:
    assert Detectable("gap", None, power=0.9).describe() == "cannot fail with 90% probability at any gap"
    assert Detectable("change", None).describe() == "cannot fail with 80% probability at any change"
    note = "fails a judge whose letters depart from the right ones"
    assert Detectable("position", None, note=note).describe() == note


def test_the_report_dict_of_a_level() -> None:
    assert Detectable("accuracy", 0.123456, chance=0.1).as_dict() == {
        "kind": "accuracy",
        "level": 0.1235,  # four decimals
        "power": 0.8,
        "catches_chance": True,
        "text": "fails below 0.12 with 80% probability",
    }
    assert Detectable("position", None, note="n").as_dict() == {
        "kind": "position",
        "level": None,
        "power": 0.8,
        "catches_chance": None,
        "text": "n",
        "note": "n",
    }


# --- accuracy ------------------------------------------------------------------------------


def test_accuracy_with_five_items_fails_on_zero_right_only() -> None:
    # bar 0.5 at 0.05: P(0 of 5 | 0.5) = 1/32 < 0.05 <= P(<= 1) = 6/32, so only 0 right fails:
    # P(fail | p) = (1 - p)^5, 0.8 at p = 1 - 0.8^(1/5) = 0.0436
    assert power.accuracy_critical(5, 0.5, 0.05) == 0
    assert power.accuracy_fail_probability(5, 0.5, 0.05, 0.25) == pytest.approx(0.75**5)
    assert power.accuracy_fail_probability(5, 0.5, 0.05, 0.5) == pytest.approx(1 / 32)  # at the bar: the size
    found = power.accuracy_level(5, 0.5, 0.05, chance=0.2)
    assert found == Detectable("accuracy", pytest.approx(1 - 0.8**0.2, abs=1e-9), chance=0.2)
    assert found.level is not None
    assert (1 - found.level) ** 5 >= 0.8 > (1 - found.level - 1e-9) ** 5


def test_accuracy_level_of_twenty_items_has_the_defining_property() -> None:
    # P(X <= 5 | 0.5) = 0.0207 < 0.05 <= P(X <= 6) = 0.0577: fails on 5 or fewer of 20 right
    assert _cdf(5, 20, 0.5) < 0.05 <= _cdf(6, 20, 0.5)
    assert power.accuracy_critical(20, 0.5, 0.05) == 5
    level = power.accuracy_level(20, 0.5, 0.05).level
    assert level is not None
    assert _cdf(5, 20, level) >= 0.8 > _cdf(5, 20, level + 1e-9)


def test_accuracy_that_no_outcome_fails_has_no_level() -> None:
    # 0 of 4 right: P = 1/16 = 0.0625, not below 0.05
    assert power.accuracy_level(4, 0.5, 0.05, chance=0.2) == Detectable("accuracy", None, chance=0.2)
    assert power.accuracy_critical(4, 0.5, 0.05) == -1
    # confidence 0.5, one item: 0 right gives p = 1/2, which is not below alpha = 1/2
    assert power.accuracy_critical(1, 0.5, 0.5) == -1
    assert power.accuracy_level(1, 0.5, 0.5) == Detectable("accuracy", None)
    assert power.accuracy_fail_probability(4, 0.5, 0.05, 0.0) == 0.0


def test_point_rule_level_fails_strictly_below_the_bar() -> None:
    # bar 0.25 of 4: 0/4 is below, 1/4 is not; P(fail | p) = (1 - p)^4 = 0.8 at 1 - 0.8^(1/4)
    assert power.point_accuracy_level(4, 0.25, chance=0.2) == Detectable(
        "accuracy", pytest.approx(1 - 0.8**0.25, abs=1e-9), chance=0.2
    )
    # bar 0.55 of 100: fails on 54 or fewer (55/100 is not below 0.55, though 0.55 * 100 = 55.00000000000001)
    level = power.point_accuracy_level(100, 0.55).level
    assert level is not None
    assert _cdf(54, 100, level) >= 0.8 > _cdf(54, 100, level + 1e-9)
    assert power.point_accuracy_level(0, 0.5, chance=0.2) == Detectable("accuracy", None, chance=0.2)
    assert power.point_accuracy_level(10, 0.0) == Detectable("accuracy", None)  # nothing is below 0


# --- change --------------------------------------------------------------------------------


def _change_fail(n: int, level: float, change: float, discordance: float) -> float:
    """The exact McNemar power, from the definitions: d of n items flip (Binomial(n, f)), each a
    gain with probability g = (f + c) / 2f; "no loss" is rejected at k gains of d when
    P(Bin(d, 1/2) <= k) < level."""
    flipped = min(1.0, max(discordance, abs(change)))
    gain = (flipped + change) / (2 * flipped)
    total = 0.0
    for d in range(n + 1):
        critical, below = -1, 0
        for k in range(d + 1):
            below += math.comb(d, k)
            if below / 2**d < level:
                critical = k
        total += math.comb(n, d) * flipped**d * (1 - flipped) ** (n - d) * _cdf(critical, d, gain)
    return total


def test_change_when_every_item_flips_is_mcnemar_on_all_of_them() -> None:
    # discordance 1: all 5 flip; at 0.1 McNemar rejects only 0 gains of 5 (1/32 < 0.1 <= 6/32).
    # A true change of -0.6 gains a flip with probability (1 - 0.6) / 2 = 0.2: P = 0.8^5
    assert power.change_fail_probability(5, 0.0, 0.1, -0.6, 1.0) == pytest.approx(0.8**5)
    # no change: each flip a gain half the time, P = 1/32, the size of the test
    assert power.change_fail_probability(5, 0.0, 0.1, 0.0, 1.0) == pytest.approx(1 / 32)


def test_change_with_nothing_flipping_never_fails() -> None:
    # no item flips, so no loss can show, even at a lax 0.3 (two flips both lost would be 0.25 < 0.3)
    assert power.change_fail_probability(10, 0.0, 0.3, 0.0, 0.0) == 0.0


@pytest.mark.parametrize(("n", "change"), [(12, -0.2), (40, -0.3), (150, -0.1)])
def test_change_up_to_150_items_is_exact_mcnemar(n: int, change: float) -> None:
    assert power.change_fail_probability(n, 0.0, 0.05, change, 0.31) == pytest.approx(
        _change_fail(n, 0.05, change, 0.31), rel=1e-9, abs=1e-12
    )


def test_change_with_a_minimum_or_many_items_is_the_normal() -> None:
    # score test of change >= -0.05 on 100 items, true change -0.2, discordance 0.31:
    # spread = sqrt((0.31 - 0.2^2) / 100) = 0.0520; P = Phi(0.15 / 0.0520 - z_0.975) = Phi(0.927) = 0.823
    expected = Z.cdf(0.15 / math.sqrt(0.27 / 100) - Z.inv_cdf(0.975))
    assert expected == pytest.approx(0.823, abs=1e-3)
    assert power.change_fail_probability(100, -0.05, 0.025, -0.2, 0.31) == pytest.approx(expected, rel=1e-9)
    # 151 items, minimum 0, change -0.1: spread = sqrt((0.31 - 0.01) / 151)
    expected = Z.cdf(0.1 / math.sqrt(0.30 / 151) - Z.inv_cdf(0.95))
    assert power.change_fail_probability(151, 0.0, 0.05, -0.1, 0.31) == pytest.approx(expected, rel=1e-9)


def test_change_level_closed_form_when_every_item_flips() -> None:
    # all 5 flip; at 0.05 only 0 gains of 5 fails: (1 - g)^5 = 0.8 with g = (1 + c) / 2,
    # so c = 1 - 2 * 0.8^(1/5) = -0.913
    assert power.change_level(5, 0.0, 0.05, 1.0) == Detectable(
        "change", pytest.approx(1 - 2 * 0.8**0.2, abs=1e-9)
    )


def test_change_level_has_the_defining_property() -> None:
    level = power.change_level(40, 0.0, 0.05, 0.31).level
    assert level is not None
    assert _change_fail(40, 0.05, level, 0.31) >= 0.8 > _change_fail(40, 0.05, level + 1e-9, 0.31)


def test_change_that_cannot_fail_has_no_level() -> None:
    # minimum -1: "change >= -1" always holds; no items: nothing to fail on
    assert power.change_level(20, -1.0, 0.05, 0.31) == Detectable("change", None)
    assert power.change_level(0, -0.05, 0.05, 0.31) == Detectable("change", None)
    assert power.change_level(1, 0.0, 0.05, 0.31) == Detectable("change", None)  # 1/2 is never < 0.05


# --- gap -------------------------------------------------------------------------------------


def _gap_power(d: float, n_high: int, n_low: int, max_gap: float, level: float) -> float:
    high, low = 0.5 + d / 2, 0.5 - d / 2
    spread = math.sqrt(high * (1 - high) / n_high + low * (1 - low) / n_low)
    return Z.cdf((d - max_gap) / spread - Z.inv_cdf(1 - level))


@pytest.mark.parametrize("n", [1, 20])
def test_gap_level_closed_form_for_equal_groups_and_no_margin(n: int) -> None:
    # groups of n at 1/2 +- d/2: spread = sqrt((1 - d^2) / 2n); d / spread = t = z_0.95 + z_0.8
    # gives d = t / sqrt(2n + t^2): n = 20: t = 1.645 + 0.842 = 2.486, d = 0.366; n = 1: 0.869
    t = Z.inv_cdf(0.95) + Z.inv_cdf(0.8)
    assert power.gap_level(n, n, 0.0, 0.05) == Detectable(
        "gap", pytest.approx(t / math.sqrt(2 * n + t * t), abs=1e-9)
    )


def test_gap_level_with_a_margin_and_unequal_groups_has_the_defining_property() -> None:
    level = power.gap_level(30, 10, 0.1, 0.01).level
    assert level is not None
    assert _gap_power(level, 30, 10, 0.1, 0.01) >= 0.8 > _gap_power(level - 1e-9, 30, 10, 0.1, 0.01)


def test_gap_that_cannot_fail_has_no_level() -> None:
    assert power.gap_level(0, 10, 0.2, 0.05) == Detectable("gap", None)
    assert power.gap_level(10, 0, 0.2, 0.05) == Detectable("gap", None)
    assert power.gap_level(10, 10, 1.0, 0.05) == Detectable("gap", None)
    # a margin so close to 1 that even a full gap exceeds it by too little to show
    assert power.gap_level(50, 50, 0.9999999, 0.05) == Detectable("gap", None)


# --- family: which checks are judged ---------------------------------------------------------


def _check(
    name: str,
    min_p: float,
    *,
    n: int = 7,
    kind: str = "accuracy",
    point: bool = False,
    reason: str | None = None,
    bar: float = 0.5,
    chance: float = 0.25,
) -> Planned:
    bars = Bars(min_accuracy=bar, accuracy_judge="point" if point else "interval")
    return Planned(name, kind, bars, n, min_p, reason, point, chance=chance)  # type: ignore[arg-type]


def test_with_no_correction_a_check_is_judged_when_it_can_reach_below_alpha() -> None:
    checks = [
        _check("a", 0.01),
        _check("b", 0.05),  # its smallest p equals alpha: a check fails only below alpha
        _check("c", 0.2, point=True),  # the point rule can always fail
        _check("d", 0.0, reason="3 items < min_items 5"),
    ]
    assert family.settle(checks, 0.05, "none") == Family(frozenset({"a", "c"}), "none", 0.05)


def test_tarone_counts_a_check_only_when_it_reaches_strictly_below_alpha_over_k() -> None:
    checks = [_check("a", 0.001), _check("b", 0.05 / 2), _check("c", 0.04)]
    # K=1: all three reach below 0.05, too many; K=2: only a reaches below 0.025 (b's 0.025 is not)
    assert family.settle(checks, 0.05, "holm") == Family(frozenset({"a"}), "holm", 0.05, 2)


def test_a_check_left_out_names_tarones_cut_not_the_family_size() -> None:
    # min_p 1/64, 1/64, 1/4096, 1/4096. K=1: 4 reach below 0.05; K=2: 4 below 0.025; K=3: 4 below
    # 0.0167; K=4: only the two 1/4096 reach below 0.0125 -> 2 judged, each at 0.05/2 (Bonferroni
    # over the members). A left-out check's 1/64 = 0.0156 is below 0.05/2 but not below 0.05/4.
    checks = [_check("a", 1 / 64), _check("b", 1 / 64), _check("c", 1 / 4096), _check("d", 1 / 4096)]
    chosen = family.settle(checks, 0.05, "holm")
    assert chosen == Family(frozenset({"c", "d"}), "holm", 0.05, 4)
    verdict = family.decide([Measured(checks[0], 1 / 64, "msg a")], chosen, levels=False)["a"]
    assert verdict.message == (
        "a: cannot fail at the level it would get (smallest reachable p=0.0156 >= 0.05/4, Tarone's cut, "
        "which leaves 2 judged checks), reported only (msg a)"
    )


def test_nothing_to_judge_is_an_empty_family() -> None:
    assert family.settle([], 0.05, "holm") == Family(frozenset(), "holm", 0.05)
    reported = [_check("d", 0.0, reason="0 items < min_items 5")]
    assert family.settle(reported, 0.01, "bonferroni") == Family(frozenset(), "bonferroni", 0.01)


# --- family: verdicts --------------------------------------------------------------------------

# 7 items, bar 0.5: P(0 of 7 | 0.5) = 1/128 < 0.01 and P(<= 1) = 8/128 > 0.05, so at every level
# below the only failing outcome is 0 right: (1 - p)^7 = 0.8 at p = 1 - 0.8^(1/7) = 0.0314.
# The point rule at bar 0.1 fails below 0.7 of 7 right, i.e. also on 0 right only.
SEVEN = Detectable("accuracy", pytest.approx(1 - 0.8 ** (1 / 7), abs=1e-9))


def test_bonferroni_multiplies_by_the_family_size_and_caps_at_one() -> None:
    broken = "2 item(s) not evaluated: 2 failed after retries; rerun to fill them in from the cache"
    checks = {
        "x": Measured(_check("x", 1e-6), 0.001, "msg x", broken=broken),
        "r": Measured(_check("r", 0.0, reason="3 items < min_items 5"), 0.5, "msg r"),
        "q": Measured(_check("q", 0.3), 0.7, "msg q"),
        "a": Measured(_check("a", 1e-6), 0.005, "msg a"),
        "b": Measured(_check("b", 1e-6), 0.02, "msg b"),
        "c": Measured(_check("c", 1e-6), 0.6, "msg c"),
        "d": Measured(_check("d", 1e-6), 0.01, "msg d"),
    }
    chosen = Family(frozenset({"x", "a", "b", "c", "d"}), "bonferroni", 0.05, 5)
    # 5 judged: 0.005 * 5 = 0.025 fails; 0.02 * 5 = 0.1 and 0.6 * 5 -> 1 pass;
    # 0.01 * 5 = 0.05 is not below 0.05
    assert family.decide(list(checks.values()), chosen) == {
        "x": Verdict("x", Judgement.FAILED, f"x: {broken}"),
        "r": Verdict(
            "r", Judgement.NOT_JUDGED, "r: 3 items < min_items 5, reported only (msg r)", p_value=0.5
        ),
        "q": Verdict(
            "q",
            Judgement.NOT_JUDGED,
            "q: cannot fail at the level it would get (smallest reachable p=0.3 >= 0.05/5, "
            "Tarone's cut, which leaves 5 judged checks), reported only (msg q)",
            p_value=0.7,
        ),
        "a": Verdict("a", Judgement.FAILED, "a: msg a; bonferroni over 5: 0.025 < 0.05", SEVEN, 0.005, 0.025),
        "b": Verdict("b", Judgement.PASSED, "b: msg b; bonferroni over 5: 0.1", SEVEN, 0.02, 0.1),
        "c": Verdict("c", Judgement.PASSED, "c: msg c; bonferroni over 5: 1", SEVEN, 0.6, 1.0),
        "d": Verdict("d", Judgement.PASSED, "d: msg d; bonferroni over 5: 0.05", SEVEN, 0.01, 0.05),
    }


def test_holm_steps_down_where_bonferroni_would_not() -> None:
    a, b = _check("a", 1e-6), _check("b", 1e-6)
    chosen = Family(frozenset({"a", "b"}), "holm", 0.05)
    # sorted: 0.01 * 2 = 0.02, then 0.03 * 1 = 0.03 (Bonferroni: 0.06 would pass)
    verdicts = family.decide([Measured(a, 0.01, "msg a"), Measured(b, 0.03, "msg b")], chosen, levels=False)
    assert verdicts == {
        "a": Verdict(
            "a", Judgement.FAILED, "a: msg a; holm over 2: 0.02 < 0.05", None, 0.01, pytest.approx(0.02)
        ),
        "b": Verdict(
            "b", Judgement.FAILED, "b: msg b; holm over 2: 0.03 < 0.05", None, 0.03, pytest.approx(0.03)
        ),
    }


def test_each_on_its_own_and_the_point_rule() -> None:
    checks = [
        Measured(_check("pt", 0.0, point=True, bar=0.1), 0.2, "msg pt", point_failed=True),
        Measured(_check("pt2", 0.0, point=True, bar=0.1), 0.9, "msg pt2"),
        Measured(_check("q", 0.3), 0.7, "msg q"),
        Measured(_check("d", 1e-6), 0.05, "msg d"),
        Measured(_check("e", 1e-6), 0.03, "msg e"),
    ]
    chosen = Family(frozenset({"pt", "pt2", "d", "e"}), "none", 0.05)
    # unadjusted: 0.05 is not below 0.05, 0.03 is
    assert family.decide(checks, chosen) == {
        "pt": Verdict("pt", Judgement.FAILED, "pt: msg pt (point rule: below the bar)", SEVEN, 0.2, None),
        "pt2": Verdict("pt2", Judgement.PASSED, "pt2: msg pt2", SEVEN, 0.9, None),
        "q": Verdict(
            "q",
            Judgement.NOT_JUDGED,
            "q: cannot fail (smallest reachable p=0.3 >= 0.05), reported only (msg q)",
            p_value=0.7,
        ),
        "d": Verdict("d", Judgement.PASSED, "d: msg d", SEVEN, 0.05, 0.05),
        "e": Verdict("e", Judgement.FAILED, "e: msg e < 0.05", SEVEN, 0.03, 0.03),
    }


def test_a_check_outside_an_empty_family_names_the_level_over_one() -> None:
    verdicts = family.decide([Measured(_check("q", 0.3), 0.7, "msg q")], Family(frozenset(), "holm", 0.05))
    assert verdicts["q"].message == (
        "q: cannot fail at the level it would get (smallest reachable p=0.3 >= 0.05/1, Tarone's cut, "
        "which leaves 0 judged checks), "
        "reported only (msg q)"
    )


# --- family: the guarantee -------------------------------------------------------------------

FAILS = "A model meeting every bar fails this gate with probability <= "
PASSES = "A model at chance (accuracy {}) passes this gate with probability <= "


def test_guarantee_multiplies_chance_passes_over_groups_and_takes_the_smaller_within() -> None:
    # At 0.05 / 5 = 0.01, 7 items at bar 0.5 fail on 0 right only: a model at chance 0.2 passes
    # each with q = 1 - 0.8^7 = 0.790. Raw->ID: pooled q, identities q * q -> q^2;
    # Raw->COT: pooled q. Bound q^2 * q = q^3 = 0.494. The change check plays no part.
    planned = [
        _check("G / raw->id (empathy)", 1e-6, kind="change"),
        _check("G / all identities / id", 1e-6, chance=0.2),
        _check("G / Female / id", 1e-6, chance=0.2),
        _check("G / Male / id", 1e-6, chance=0.2),
        _check("G / all identities / cot", 1e-6, chance=0.2),
        _check("G / Other / cot", 1e-6, chance=0.2),  # not in the family
    ]
    chosen = Family(frozenset(p.name for p in planned[:5]), "holm", 0.05)
    q = 1 - 0.8**7
    assert family.guarantee(planned, chosen) == {
        "family_size": 5,
        "correction": "holm",
        "alpha": 0.05,
        "false_failure_bound": 0.05,
        "chance_pass_bound": pytest.approx(q**3, rel=1e-9),
        "guarantee_lines": [
            f"{FAILS}0.05 (5 judged checks, holm over the family)",
            f"{PASSES.format(0.2)}0.494",
        ],
    }


def test_guarantee_with_a_point_rule_check_has_no_bound() -> None:
    # point rule at 0.5 of 4: passes with 2 or more right;
    # at chance 0.25: 1 - 0.75^4 - 4 * 0.25 * 0.75^3 = 67/256
    planned = [_check("G / Female / id", 0.0, n=4, point=True)]
    figures = family.guarantee(planned, Family(frozenset({"G / Female / id"}), "none", 0.05))
    assert figures["false_failure_bound"] == 1.0
    assert figures["chance_pass_bound"] == pytest.approx(67 / 256)
    assert figures["guarantee_lines"] == [
        f"{FAILS}1 (1 judged checks, each on its own; point-rule checks carry no bound)",
        f"{PASSES.format(0.25)}0.262",
    ]


def test_guarantee_each_on_its_own_adds_the_alphas_up_to_one() -> None:
    # change checks only: nothing here catches a model at chance
    changes = [_check(f"c{i}", 1e-6, kind="change") for i in range(30)]
    two = family.guarantee(changes[:2], Family(frozenset({"c0", "c1"}), "none", 0.05))
    assert two["false_failure_bound"] == pytest.approx(0.1)
    assert two["guarantee_lines"] == [
        f"{FAILS}0.1 (2 judged checks, each on its own)",
        f"{PASSES.format(0.25)}1 (no judged accuracy check can catch it)",
    ]
    thirty = family.guarantee(changes, Family(frozenset(c.name for c in changes), "none", 0.05))
    assert thirty["false_failure_bound"] == 1.0  # 30 * 0.05 = 1.5, capped
    assert thirty["guarantee_lines"][0] == f"{FAILS}1 (30 judged checks, each on its own)"


def test_guarantee_of_an_empty_family() -> None:
    figures = family.guarantee([], Family(frozenset(), "bonferroni", 0.05))
    assert figures["false_failure_bound"] == 0.0 and figures["chance_pass_bound"] == 1.0
    assert figures["guarantee_lines"][0] == f"{FAILS}0 (0 judged checks, bonferroni over the family)"


def test_guarantee_figures_below_a_thousandth_are_the_next_power_of_ten_up() -> None:
    one, change = frozenset({"a"}), [_check("a", 1e-6, kind="change")]
    for alpha, shown in ((0.001, "0.001"), (0.0001, "1e-4")):
        lines = family.guarantee(change, Family(one, "holm", alpha))["guarantee_lines"]
        assert lines[0] == f"{FAILS}{shown} (1 judged checks, holm over the family)"
    # 40 items at bar 0.9 fail at 32 or fewer right (P(X <= 32 | 0.9) = 0.042 < 0.05 <= P(X <= 33) = 0.0995);
    # a model at chance 0.25 passes with P(X >= 33 | 0.25) = 3.6e-14, shown as 1e-13
    assert _cdf(32, 40, 0.9) < 0.05 <= _cdf(33, 40, 0.9)
    bound = _sf(33, 40, 0.25)
    assert 1e-14 < bound < 1e-13
    planned = [_check("G / all identities / id", 1e-6, n=40, bar=0.9)]
    figures = family.guarantee(planned, Family(frozenset({"G / all identities / id"}), "holm", 0.05))
    assert figures["chance_pass_bound"] == pytest.approx(bound, rel=1e-9)
    assert figures["guarantee_lines"][1] == f"{PASSES.format(0.25)}1e-13"
