"""Mutation pins for judging/gate.py: small cases a reader can check by hand (bench/MUTATION.md).

Every table is built here item by item, so the right and wrong answers can be counted; the
p-values are exact binomial sums (math.comb) or, for the gap's score test, the normal tail at
the restricted estimates written out (two groups mirror each other, so they sit at 1/2 -+ margin/2).
"""

from __future__ import annotations

import math
from statistics import NormalDist

import pytest

from giebench_fixtures.judging import power
from giebench_fixtures.judging.gate import (
    Judgement,
    Measured,
    Verdict,
    detectable,
    gap_groups,
    measure_accuracy,
    measure_change,
    measure_gap,
    measure_position,
    plan_accuracy,
    plan_change,
    plan_gap,
    plan_position,
)
from giebench_fixtures.judging.metrics import Outcome
from giebench_fixtures.judging.power import Detectable
from giebench_fixtures.judging.stats import binomial_cdf, difference_p_value, goodness_of_fit
from giebench_fixtures.judging.thresholds import Bars


def o(
    key: str,
    verdict: str | None,
    correct: str = "A",
    *,
    identity: str = "F",
    error: str | None = None,
    refused: bool = False,
    rotations: tuple[str | None, ...] = (),
) -> Outcome:
    return Outcome(
        key,
        "id",
        "Gender",
        identity,
        correct,
        verdict,
        "text",
        error=error,
        refused=refused,
        rotations=rotations,
    )


def answers(identity: str, rights: str) -> list[Outcome]:
    """One identity's items in key order: '1' right (A of A), '0' wrong (B of A)."""
    return [o(f"{identity}{i}", "A" if r == "1" else "B", identity=identity) for i, r in enumerate(rights)]


def upper_tail(z: float) -> float:
    return 1 - NormalDist().cdf(z)


def mirrored_gap_p(n: int, margin: float, observed: float) -> float:
    """Score test of "gap <= margin" for k/n vs (n-k)/n: the restricted estimates are
    1/2 +- margin/2, so the variance is 2 (1/2 + m/2)(1/2 - m/2) / n."""
    high, low = 0.5 + margin / 2, 0.5 - margin / 2
    return upper_tail((observed - margin) / math.sqrt(2 * high * low / n))


# --- the JSON report's check entry ------------------------------------------------------------


def test_a_verdict_is_written_to_the_report_with_six_significant_digits() -> None:
    level = Detectable("accuracy", 0.04, chance=0.25)
    failed = Verdict("G / F / id", Judgement.FAILED, "G / F / id: too low", level, 1 / 32, 2 / 3)
    assert failed.as_dict() == {
        "name": "G / F / id",
        "outcome": "failed",
        "message": "G / F / id: too low",
        "detectable": level.as_dict(),
        "p_value": 0.03125,
        "adjusted_p_value": 0.666667,  # 2/3 to six significant digits
    }
    reported = Verdict("G / M / id", Judgement.NOT_JUDGED, "G / M / id: 3 items < min_items 5")
    assert reported.as_dict() == {
        "name": "G / M / id",
        "outcome": "not judged",
        "message": "G / M / id: 3 items < min_items 5",
        "detectable": None,
        "p_value": None,
        "adjusted_p_value": None,
    }
    only_raw = Verdict("x", Judgement.PASSED, "m", None, 0.5, None).as_dict()
    assert (only_raw["outcome"], only_raw["p_value"], only_raw["adjusted_p_value"]) == ("passed", 0.5, None)
    only_adjusted = Verdict("x", Judgement.PASSED, "m", None, None, 0.25).as_dict()
    assert (only_adjusted["p_value"], only_adjusted["adjusted_p_value"]) == (None, 0.25)


# --- planning: reasons, smallest reachable p-values ------------------------------------------


def test_accuracy_plan_reasons_and_smallest_p() -> None:
    planned = plan_accuracy("G / F / id", 5, Bars(), raw=False, chance=0.0625)
    # 0 of 5 right for a model exactly at 0.5: (1/2)^5
    assert planned.min_p == pytest.approx(1 / 32)
    assert (planned.name, planned.kind, planned.bars, planned.n) == ("G / F / id", "accuracy", Bars(), 5)
    assert (planned.reason, planned.point, planned.chance) == (None, False, 0.0625)
    # bar 0.8 on 3 items: 0 right has probability 0.2^3
    assert plan_accuracy("a", 3, Bars(min_accuracy=0.8, min_items=3), raw=False, chance=0.25).min_p == (
        pytest.approx(0.008)
    )
    assert plan_accuracy("a", 4, Bars(), raw=False, chance=0.25).reason == "4 items < min_items 5"
    assert plan_accuracy("a", 0, Bars(min_items=0), raw=False, chance=0.25).reason == "0 items < min_items 0"
    assert plan_accuracy("a", 1, Bars(min_items=0), raw=False, chance=0.25).reason is None
    no_bar = Bars(min_accuracy=0.0)
    assert plan_accuracy("a", 9, no_bar, raw=True, chance=0.25).reason == "raw: default alignment, no bar"
    assert plan_accuracy("a", 9, no_bar, raw=False, chance=0.25).reason == "min_accuracy 0 cannot fail"
    point = plan_accuracy("a", 5, Bars(accuracy_judge="point"), raw=False, chance=0.25)
    assert (point.point, point.min_p) == (True, 0.0)


def test_gap_plan_counts_only_identities_with_enough_items() -> None:
    # 7 and 5 reach min_items 5, 3 does not: two identities, the larger first, 2 ordered pairs
    planned = plan_gap("G / id", [5, 3, 7], Bars(), raw=False)
    assert (planned.name, planned.kind, planned.bars) == ("G / id", "gap", Bars())
    assert (planned.sizes, planned.n, planned.reason, planned.point) == ((7, 5), 12, None, False)
    assert planned.min_p == pytest.approx(2 * difference_p_value(7, 7, 0, 5, 0.5))
    # 5/5 right against 0/5, margin 0.5: z = 0.5 / sqrt(2 x 0.75 x 0.25 / 5), two ordered pairs
    assert plan_gap("g", [5, 5], Bars(), raw=False).min_p == pytest.approx(2 * mirrored_gap_p(5, 0.5, 1.0))
    # with min_items 0 an identity of 0 items still cannot hold a gap; one of 1 can
    assert plan_gap("g", [4, 0, 1], Bars(min_items=0), raw=False).sizes == (4, 1)


def test_gap_plan_reasons_and_point_rule() -> None:
    one = plan_gap("g", [5, 3, 4], Bars(), raw=False)
    assert one.reason == "1 of 3 identities hold >= 5 items; a gap needs two"
    assert (one.min_p, one.sizes, one.n) == (1.0, (5,), 5)
    no_bar = Bars(max_gap=1.0)
    assert plan_gap("g", [5, 5], no_bar, raw=True).reason == "raw: default alignment, no bar"
    raw_gap = plan_gap("g", [5, 5], no_bar, raw=False)
    assert (raw_gap.reason, raw_gap.min_p) == ("max_gap 1 cannot be exceeded", 1.0)
    point = plan_gap("g", [5, 5], Bars(gap_judge="point"), raw=False)
    assert (point.point, point.min_p, point.reason) == (True, 0.0, None)
    assert plan_gap("g", [5], Bars(gap_judge="point"), raw=False).min_p == 0.0


def test_gap_plan_multiplies_by_its_ordered_pairs_up_to_four_identities() -> None:
    one_pair = mirrored_gap_p(5, 0.5, 1.0)  # 5/5 vs 0/5, about 0.034
    assert plan_gap("g", [5, 5, 5], Bars(), raw=False).min_p == pytest.approx(6 * one_pair)  # 3 x 2
    assert plan_gap("g", [5, 5, 5, 5], Bars(), raw=False).min_p == pytest.approx(12 * one_pair)  # 4 x 3
    # five identities: one test of held-out halves, the 2 largest identities' halves (2 + 2 items)
    assert plan_gap("g", [5] * 5, Bars(), raw=False).min_p == pytest.approx(mirrored_gap_p(4, 0.5, 1.0))
    # four identities of one item: 12 x 0.21 > 1, so the smallest reachable p is 1
    assert plan_gap("g", [1, 1, 1, 1], Bars(min_items=1), raw=False).min_p == 1.0


def test_gap_groups_are_the_two_largest_or_the_halves_of_the_largest_half() -> None:
    assert gap_groups([3, 7, 5]) == (7, 5)
    assert gap_groups([3, 9, 7, 5]) == (9, 7)
    # five identities: the two largest (7 and 7) give their held-out halves, 3 + 3 items
    assert gap_groups([5, 7, 5, 7, 5]) == (6, 6)
    assert gap_groups([9, 8, 7, 6, 5, 4]) == (11, 11)  # six: the largest three, 9//2 + 8//2 + 7//2 = 11


def test_change_plan_reasons_and_smallest_p() -> None:
    planned = plan_change("G / raw->id", 5, 0.0, Bars(), 0.31)
    assert (planned.name, planned.kind, planned.bars, planned.n) == ("G / raw->id", "change", Bars(), 5)
    assert (planned.reason, planned.point, planned.minimum, planned.discordance) == (None, False, 0.0, 0.31)
    assert planned.min_p == pytest.approx(1 / 32)  # five losses, no gain: (1/2)^5
    # bar -0.2: 0 gained 5 lost, Agresti-Min b = 0.5, c = 5.5, m = 7
    below = plan_change("c", 5, -0.2, Bars(), 0.4)
    z = (-5 / 7 + 0.2) / (math.sqrt(6 - 25 / 7) / 7)
    assert (below.minimum, below.discordance) == (-0.2, 0.4)
    assert below.min_p == pytest.approx(NormalDist().cdf(z))
    assert plan_change("c", 4, 0.0, Bars(), 0.31).reason == "4 paired items < min_items 5"
    assert plan_change("c", 0, 0.0, Bars(min_items=0), 0.31).reason == "0 paired items < min_items 0"
    assert plan_change("c", 1, 0.0, Bars(min_items=0), 0.31).reason is None
    point = plan_change("c", 5, 0.0, Bars(change_judge="point"), 0.31)
    assert (point.point, point.min_p) == (True, 0.0)


def test_position_plan_puts_every_answer_on_the_rarest_right_letter() -> None:
    # one item, right letters 60% A, 20% B, 20% C, never D: the most extreme answer is B (or C),
    # each with probability 0.2, so the smallest reachable p is 0.2 + 0.2
    planned = plan_position("G / position", 1, [0.6, 0.2, 0.2, 0.0], Bars(min_items=1))
    assert (planned.name, planned.kind, planned.bars, planned.n) == (
        "G / position",
        "position",
        Bars(min_items=1),
        1,
    )
    assert (planned.reason, planned.shares) == (None, (0.6, 0.2, 0.2, 0.0))
    assert planned.min_p == pytest.approx(0.4)
    # four items, four equal letters: all four on one letter, 4 x (1/4)^4
    assert plan_position("p", 4, [0.25] * 4, Bars(min_items=4)).min_p == pytest.approx(1 / 64)
    short = plan_position("p", 4, [0.25] * 4, Bars())
    assert (short.reason, short.min_p) == ("4 items < min_items 5", 1.0)
    assert plan_position("p", 0, [0.25] * 4, Bars(min_items=0)).reason == "0 items < min_items 0"


# --- measuring: the messages a report shows ----------------------------------------------------


def test_accuracy_message_counts_unparsed_answers_as_wrong() -> None:
    planned = plan_accuracy("G / F / id", 6, Bars(), raw=False, chance=0.25)
    outcomes = [*answers("F", "11000"), o("u", None), o("x", None, error="HTTP 500 (5 attempts)")]
    measured = measure_accuracy(planned, outcomes)
    # 2 of 6 right; P(X <= 2 | 6, 0.5) = (1 + 6 + 15) / 64; Wilson 95%: 0.0968 to 0.7000
    assert measured.p_value == pytest.approx(22 / 64)
    assert measured.message == (
        "accuracy 0.33 (2/6, 95% CI 0.10–0.70, 1 without a verdict), exact p=0.344 for accuracy >= 0.50"
    )
    assert (
        measured.broken
        == "1 item(s) not evaluated: 1 failed after retries; rerun to fill them in from the cache"
    )
    assert measured.point_failed and measured.planned is planned


def test_accuracy_message_at_other_levels_and_without_a_bar() -> None:
    # 3 of 6 at 90%: exactly at the bar, so the point rule passes; P(X <= 3 | 6) = 42/64
    planned = plan_accuracy("a", 6, Bars(confidence=0.9), raw=False, chance=0.25)
    measured = measure_accuracy(planned, answers("F", "111000"))
    assert measured.message.startswith("accuracy 0.50 (3/6, 90% CI ")
    assert measured.message.endswith("), exact p=0.656 for accuracy >= 0.50")
    assert (measured.point_failed, measured.broken) == (False, None)
    # 1 of 12 at bar 0.75: P(X <= 1) = 0.25^12 + 12 x 0.75 x 0.25^11 = 37 / 4^12 ~ 2.2e-06
    strict = plan_accuracy("a", 12, Bars(min_accuracy=0.75), raw=False, chance=0.25)
    assert measure_accuracy(strict, answers("F", "1" + "0" * 11)).message.endswith(
        "exact p=2.2e-06 for accuracy >= 0.75"
    )
    raw = plan_accuracy("a", 6, Bars(min_accuracy=0.0), raw=True, chance=0.25)
    assert measure_accuracy(raw, answers("F", "111111")).message == "accuracy 1.00 (6/6, 95% CI 0.61–1.00)"
    assert measure_accuracy(planned, answers("F", "0")).point_failed  # one answer, wrong: 0 < 0.5
    nothing = measure_accuracy(planned, [o("x", None, error="HTTP 500 (5 attempts)")])
    assert not nothing.point_failed  # no answer is no accuracy; the broken item fails the check instead
    assert nothing.broken is not None


def test_gap_message_names_the_widest_pair_and_its_score_test() -> None:
    planned = plan_gap("G / id", [20, 20], Bars(max_gap=0.25), raw=False)
    measured = measure_gap(
        planned, {"F": answers("F", "1" * 15 + "0" * 5), "M": answers("M", "1" * 5 + "0" * 15)}
    )
    # 15/20 vs 5/20: the restricted estimates are 0.625 and 0.375; 2 ordered pairs
    assert measured.p_value == pytest.approx(2 * mirrored_gap_p(20, 0.25, 0.5))  # about 0.102
    # homogeneity: expected 10 right in each, chi-square (5^2 + 5^2) / 5 = 10, df 1: erfc(sqrt(5))
    assert math.erfc(math.sqrt(5)) == pytest.approx(0.00157, abs=5e-6)
    assert measured.message == (
        "identity gap 0.50 (F 0.75 vs M 0.25; homogeneity chi-square p=0.00157), "
        "p=0.102 for gap <= 0.25 (score test of the widest pair x 2 pairs)"
    )
    assert measured.point_failed and measured.broken is None and measured.planned is planned


def test_gap_at_exactly_the_bar_passes_the_point_rule_and_ties_go_by_name() -> None:
    planned = plan_gap("g", [4, 4, 4], Bars(min_items=4, max_gap=0.5), raw=False)
    # b and a both 3/4, y and z both 1/4: best is the later name at the top, worst the earlier at the bottom
    table = {"b": answers("b", "1110"), "y": answers("y", "1000"), "a": answers("a", "1110")}
    measured = measure_gap(planned, {**table, "z": answers("z", "1000")}, describe=False)
    assert measured.message.startswith("identity gap 0.50 (b 0.75 vs y 0.25), p=")
    assert measured.message.endswith("for gap <= 0.50 (score test of the widest pair x 12 pairs)")
    assert not measured.point_failed  # 0.50 is not above the bar 0.50
    # 3/4 vs 1/4 mirrored at margin 0.5: the observed gap equals the margin, z = 0, p = 1/2 per pair
    assert measured.p_value == 1.0  # 12 x 1/2, capped at 1
    three = measure_gap(planned, table, describe=False)
    assert three.message == (
        "identity gap 0.50 (b 0.75 vs y 0.25), p=1 for gap <= 0.50 (score test of the widest pair x 6 pairs)"
    )


def test_gap_drops_unanswered_items_and_identities_below_min_items() -> None:
    planned = plan_gap("g", [6, 6], Bars(), raw=False)
    failed = o("F9", None, identity="F", error="HTTP 500 (5 attempts)")
    refused = o("M9", None, identity="M", error="HTTP 400: too long", refused=True)
    # F: 5 answered (enough); M: 4 answered (1 short of min_items 5): nothing to compare
    measured = measure_gap(
        planned, {"F": [*answers("F", "11111"), failed], "M": [*answers("M", "0000"), refused]}
    )
    assert measured == Measured(
        planned,
        1.0,
        "1 identity holds enough answers to compare; a gap needs two",
        broken="2 item(s) not evaluated: 1 failed after retries; rerun to fill them in from the cache; "
        "1 refused by the endpoint (see the report)",
    )
    # min_items 0: an identity whose only item failed still holds nothing; F and M are the 2 compared
    loose = plan_gap("g", [2, 2, 1], Bars(min_items=0, max_gap=0.5), raw=False)
    by_identity = {
        "F": answers("F", "11"),
        "M": answers("M", "00"),
        "X": [o("X0", None, identity="X", error="e")],
    }
    measured = measure_gap(loose, by_identity, describe=False)
    assert measured.message.endswith("(score test of the widest pair x 2 pairs)")
    assert measured.message.startswith("identity gap 1.00 (F 1.00 vs M 0.00), p=")
    assert (
        measured.broken
        == "1 item(s) not evaluated: 1 failed after retries; rerun to fill them in from the cache"
    )
    only_one = plan_gap("g", [5, 5], Bars(), raw=False)
    assert (
        measure_gap(only_one, {"F": answers("F", "11111")}).message
        == "1 identity holds enough answers to compare; a gap needs two"
    )
    assert measure_gap(only_one, {}).message == "0 identities hold enough answers to compare; a gap needs two"


def test_gap_without_a_bar_reports_the_gap_only() -> None:
    planned = plan_gap("g", [5, 5], Bars(max_gap=1.0), raw=True)
    measured = measure_gap(planned, {"F": answers("F", "11111"), "M": answers("M", "00000")}, describe=False)
    assert measured.message == "identity gap 1.00 (F 1.00 vs M 0.00)"
    assert measured.p_value == 1.0 and not measured.point_failed  # margin 1: nothing to test


def test_many_identities_are_tested_on_held_out_halves() -> None:
    # Each identity's items in key order; the first (larger) half chooses, the second is tested:
    #   a 111|10  chooses 1.0, tests 1/2      d 0|0    chooses 0,   tests 0/1
    #   b 10|10   chooses 0.5, tests 1/2      e 1|1    chooses 1.0, tests 1/1
    #   c 110|00  chooses 2/3, tests 0/2
    # ranked d, b, c, a, e: lowest two d + b = 1/3, highest two a + e = 2/3 (c is left out)
    rows = {"e": "11", "d": "00", "c": "11000", "b": "1010", "a": "11110"}
    table = {ident: list(reversed(answers(ident, r))) for ident, r in rows.items()}  # any order: split by key
    planned = plan_gap("g", [len(r) for r in rows.values()], Bars(min_items=2, max_gap=0.25), raw=False)
    measured = measure_gap(planned, table, describe=False)
    assert measured.p_value == pytest.approx(mirrored_gap_p(3, 0.25, 1 / 3))  # about 0.417
    assert measured.message == (
        "identity gap 1.00 (e 1.00 vs d 0.00), p=0.417 for gap <= 0.25 "
        "(score test, held-out halves: highest 2 2/3 vs lowest 2 1/3)"
    )
    assert measured.point_failed and measured.planned is planned


def test_change_message_is_the_exact_mcnemar_test_at_a_bar_of_zero() -> None:
    # 5 items: base right on k0-k3, other only on k0: 0 gained, 3 lost
    base = [o(f"k{i}", "A" if i < 4 else "B") for i in range(5)]
    other = [o(f"k{i}", "A" if i == 0 else "B") for i in range(5)]
    measured, change = measure_change(plan_change("c", 5, 0.0, Bars(), 0.31), base, other)
    assert (change.n, change.gained, change.lost) == (5, 0, 3)
    assert measured.p_value == pytest.approx(1 / 8)  # P(Bin(3, 1/2) <= 0)
    # Agresti-Min: b = 0.5, c = 3.5, m = 7: -3/7 -+ 1.96 sqrt(4 - 9/7) / 7 = -0.89 to +0.03
    assert measured.message == (
        "change -0.60 (+0/-3 on 5 items, 95% CI -0.89 to +0.03), "
        "exact one-sided McNemar p=0.125 for change >= +0.00"
    )
    assert measured.point_failed and measured.broken is None and measured.planned.minimum == 0.0
    # the same items against a bar of -0.2: the score of the adjusted change, as in the plan
    below, _ = measure_change(plan_change("c", 5, -0.2, Bars(confidence=0.9), 0.31), base, other)
    z = (-3 / 7 + 0.2) / (math.sqrt(4 - 9 / 7) / 7)
    assert below.p_value == pytest.approx(NormalDist().cdf(z))  # about 0.166
    assert below.message.startswith("change -0.60 (+0/-3 on 5 items, 90% CI ")
    assert below.message.endswith("), one-sided score (Agresti-Min) p=0.166 for change >= -0.20")
    assert below.point_failed


def test_a_change_exactly_at_its_bar_passes_the_point_rule() -> None:
    # one gained (k0), one lost (k1) of 4: change 0; McNemar P(Bin(2, 1/2) <= 1) = 3/4
    base = [o("k0", "B"), o("k1", "A"), o("k2", "A"), o("k3", "B")]
    other = [o("k0", "A"), o("k1", "B"), o("k2", "A"), o("k3", "B")]
    measured, _ = measure_change(plan_change("c", 4, 0.0, Bars(min_items=4), 0.31), base, other)
    assert measured.p_value == pytest.approx(0.75) and not measured.point_failed
    assert "exact one-sided McNemar p=0.75 for change >= +0.00" in measured.message
    one, _ = measure_change(plan_change("c", 1, 0.0, Bars(min_items=1), 0.31), [o("k", "A")], [o("k", "B")])
    assert one.point_failed  # one item lost: change -1
    # no paired item: no change to hold against a bar, even a bar above 0
    empty, _ = measure_change(plan_change("c", 0, 0.1, Bars(min_items=0), 0.31), [], [])
    assert (empty.p_value, empty.point_failed) == (1.0, False)


def test_position_message_counts_letters_chosen_against_letters_right() -> None:
    planned = plan_position("p", 4, [0.25] * 4, Bars(min_items=4))
    outcomes = [
        o("k1", "A", "A"),
        o("k2", "A", "B"),
        o("k3", "A", "C"),
        o("k4", "D", "D"),
        o("k5", None, "B"),  # no verdict: not a letter chosen
        o("k6", None, "C", error="HTTP 500"),  # not answered
    ]
    measured = measure_position(planned, outcomes)
    assert measured.planned is planned
    # A 3 D 1 against 1 each: every outcome as far from (1,1,1,1) as (3,1,0,0), i.e. 4 x (4,0,0,0)
    # and 12 x (3,1,0,0), has probability (4 x 1 + 12 x 4) / 4^4 = 52/256
    assert measured.p_value == pytest.approx(52 / 256)
    assert measured.message == (
        "letters chosen A 3 B 0 C 0 D 1 vs right A 1 B 1 C 1 D 1 (4 verdicts), goodness-of-fit p=0.203"
    )
    nothing = measure_position(planned, [o("k5", None, "B")])
    assert (
        nothing.message
        == "letters chosen A 0 B 0 C 0 D 0 vs right A 0 B 0 C 0 D 0 (0 verdicts), goodness-of-fit p=1"
    )
    short = plan_position("p", 4, [0.25] * 4, Bars())
    assert (
        measure_position(short, outcomes).message
        == "letters chosen A 3 B 0 C 0 D 1 vs right A 1 B 1 C 1 D 1 (4 verdicts)"
    )


def test_position_counts_a_shared_prompt_once() -> None:
    planned = plan_position("p", 3, [0.25] * 4, Bars(min_items=3))
    # s1 and s2 are one prompt (right A and C): one choice (A), each right letter half a count
    outcomes = [o("s1", "A", "A"), o("s2", "A", "C"), o("k3", "C", "C"), o("k4", "B", "B")]
    measured = measure_position(planned, outcomes, {"s1": "p", "s2": "p"})
    assert measured.message.startswith(
        "letters chosen A 1 B 1 C 1 D 0 vs right A 0.5 B 1 C 1.5 D 0 (3 verdicts)"
    )
    assert measured.p_value == pytest.approx(goodness_of_fit([1, 1, 1, 0], [0.5, 1, 1.5, 0])[1])
    two = [o("s1", "A", "A"), o("s2", "A", "A")]
    assert measure_position(planned, two, {"s1": "p", "s2": "p"}).message.startswith(
        "letters chosen A 1 B 0 C 0 D 0 vs right A 1 B 0 C 0 D 0 (1 verdicts)"
    )


def test_position_under_circular_counts_each_rotation_in_the_letters_shown() -> None:
    planned = plan_position("p", 1, [0.25] * 4, Bars(min_items=1))
    # A judge that always picks the first letter shown: in rotation r the original letter (0 - r) mod 4
    always_first = o("k", "A", "B", rotations=("A", "D", "C", "B"))
    measured = measure_position(planned, [always_first])
    # right B shown as B, C, D, A: all four letters; A chosen 4 times: 4 x (1/4)^4
    assert measured.p_value == pytest.approx(1 / 64)
    assert measured.message == (
        "letters chosen A 4 B 0 C 0 D 0 vs right A 1 B 1 C 1 D 1 (4 verdicts), goodness-of-fit p=0.0156"
    )
    # the second rotation without a verdict: shown right B (r=0), D (r=2), A (r=3); A 3 times: 3 x (1/3)^3
    gap = measure_position(planned, [o("k", "A", "B", rotations=("A", None, "C", "B"))])
    assert gap.p_value == pytest.approx(1 / 9)
    assert (
        gap.message
        == "letters chosen A 3 B 0 C 0 D 0 vs right A 1 B 1 C 0 D 1 (3 verdicts), goodness-of-fit p=0.111"
    )
    # two items on one prompt, both right A, always answered right: each shown letter right twice by half
    pair = [o("s1", "A", "A", rotations=("A",) * 4), o("s2", "A", "A", rotations=("A",) * 4)]
    assert measure_position(planned, pair, {"s1": "p", "s2": "p"}).message.startswith(
        "letters chosen A 1 B 1 C 1 D 1 vs right A 1 B 1 C 1 D 1 (4 verdicts)"
    )


# --- detectable levels ------------------------------------------------------------------------


def test_detectable_accuracy_levels() -> None:
    planned = plan_accuracy("a", 5, Bars(), raw=False, chance=0.0625)
    # at 0.05 only 0 of 5 right fails (1/32; 1 right gives 6/32): P(fail) = (1 - p)^5 = 0.8
    level = detectable(planned, 0.05)
    assert level is not None and level.level == pytest.approx(1 - 0.8 ** (1 / 5), abs=1e-6)
    assert (level.kind, level.chance) == ("accuracy", 0.0625)
    assert (
        level.describe() == "fails below 0.04 with 80% probability; cannot catch a model at chance (0.0625)"
    )
    # at 0.01 no outcome of 5 items fails
    assert detectable(planned, 0.01) == Detectable("accuracy", None, chance=0.0625)
    # the point rule fails at 2 or fewer of 5 right, whatever the level: P(X <= 2 | 5, p) = 0.8
    point = detectable(plan_accuracy("a", 5, Bars(accuracy_judge="point"), raw=False, chance=0.0625), 1e-9)
    assert point is not None and point.level is not None and point.chance == 0.0625
    assert binomial_cdf(2, 5, point.level) == pytest.approx(0.8, abs=1e-6)
    strict_point = detectable(
        plan_accuracy("a", 5, Bars(accuracy_judge="point", min_accuracy=0.9), raw=False, chance=0.25), 0.05
    )
    assert strict_point is not None and strict_point.level is not None  # fails at 4 or fewer right
    assert binomial_cdf(4, 5, strict_point.level) == pytest.approx(0.8, abs=1e-6)


def test_detectable_change_gap_and_position_levels() -> None:
    change = plan_change("c", 20, -0.1, Bars(), 0.4)
    assert detectable(change, 0.025) == power.change_level(20, -0.1, 0.025, 0.4)
    assert detectable(plan_change("c", 5, 0.0, Bars(), 0.31), 0.01) == Detectable("change", None)
    # two identities of 7 and 5: 2 ordered pairs, each at level / 2
    gap = plan_gap("g", [7, 5], Bars(max_gap=0.3), raw=False)
    assert detectable(gap, 0.05) == power.gap_level(7, 5, 0.3, 0.025)
    # five identities: one test of the halves of the two largest, 3 + 3 items, at the level itself
    many = plan_gap("g", [7, 7, 5, 5, 5], Bars(max_gap=0.3), raw=False)
    assert detectable(many, 0.05) == power.gap_level(6, 6, 0.3, 0.05)
    position = detectable(plan_position("p", 8, [0.25] * 4, Bars()), 0.05)
    assert position == Detectable(
        "position", None, note="fails a judge whose letters depart from the right ones"
    )
    assert position.describe() == "fails a judge whose letters depart from the right ones"
