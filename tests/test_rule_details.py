"""The exact words, numbers and dictionaries the rules produce, on tables small enough to check
by hand (these also hold the mutation score of bench/MUTATION.md)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from giebench_fixtures.errors import ThresholdsError
from giebench_fixtures.judging.gate import (
    Judgement,
    change_fails,
    check_accuracy,
    check_change,
    check_gap,
    family_bars,
)
from giebench_fixtures.judging.metrics import (
    Outcome,
    comparisons,
    letter_shares,
    paired_change,
    summarize,
    tally,
)
from giebench_fixtures.judging.stats import chi2_sf, homogeneity_test, paired_change_interval, wilson_interval
from giebench_fixtures.judging.thresholds import Bars, load_thresholds, unmatched_identities


def o(
    key: str, right: bool, *, variant: str = "raw", identity: str = "F", verdict: str | None = None
) -> Outcome:
    return Outcome(key, variant, "Gender", identity, "A", verdict or ("A" if right else "B"), "text")


def group(right: int, n: int, identity: str = "F", variant: str = "raw") -> list[Outcome]:
    return [o(f"{identity}{i}", i < right, identity=identity, variant=variant) for i in range(n)]


# --- accuracy messages -----------------------------------------------------------------------


def test_accuracy_messages_word_for_word() -> None:
    failed = check_accuracy("G / F / raw", group(1, 10), Bars())
    assert failed.name == "G / F / raw"
    assert (
        failed.message
        == "G / F / raw: accuracy 0.10 (1/10, 95% CI 0.02–0.40): whole interval < 0.50 required"
    )
    assert failed.as_dict() == {
        "name": "G / F / raw",
        "outcome": "failed",
        "message": failed.message,
        "detectable": failed.detectable.as_dict() if failed.detectable else None,
    }
    assert failed.as_dict()["detectable"]["kind"] == "accuracy"
    point = check_accuracy("s", group(4, 10), Bars(accuracy_judge="point", confidence=0.99))
    assert point.message == "s: accuracy 0.40 (4/10, 99% CI 0.13–0.75) < 0.50 required"
    passed = check_accuracy("s", [*group(6, 9), o("u", False, verdict="none")], Bars())
    assert passed.outcome is Judgement.PASSED
    assert passed.message == "s: accuracy 0.60 (6/10, 95% CI 0.31–0.83)"
    unparsed = Outcome("u", "raw", "Gender", "F", "A", None, "no idea")
    with_none = check_accuracy("s", [*group(6, 9), unparsed], Bars())
    assert with_none.message == "s: accuracy 0.60 (6/10, 95% CI 0.31–0.83, 1 without a verdict)"
    few = check_accuracy("s", group(1, 2), Bars())
    assert few.name == "s" and few.as_dict()["detectable"] is None
    assert few.message == "s: 2 items < min_items 5, reported only (accuracy 0.50 (1/2, 95% CI 0.09–0.91))"
    missing = Outcome("x", "raw", "Gender", "F", "A", None, None, error="HTTP 500")
    lost = check_accuracy("s", [missing, *group(9, 9)], Bars())
    assert lost.name == "s" and lost.outcome is Judgement.FAILED
    assert lost.message == (
        "s: 1 item(s) not evaluated: 1 failed after retries; rerun to fill them in from the cache"
    )


def test_tally_counts_by_hand() -> None:
    missing = Outcome("x", "raw", "Gender", "F", "A", None, None, error="timeout")
    unparsed = Outcome("u", "raw", "Gender", "F", "A", None, "?")
    t = tally([missing, missing, *group(2, 3), unparsed])
    assert (t.n, t.correct, t.unparsed, t.not_evaluated) == (4, 2, 1, 2)
    assert t.accuracy == 0.5
    assert t.interval(0.5) == wilson_interval(2, 4, 0.5) != wilson_interval(2, 4)
    assert t.as_dict() == {"n": 4, "correct": 2, "accuracy": 0.5, "unparsed": 1, "not_evaluated": 2}
    assert tally([]).accuracy == 0.0


# --- gap messages ----------------------------------------------------------------------------


def test_gap_messages_word_for_word() -> None:
    wide = {"A": group(9, 10, "A"), "B": group(1, 10, "B")}
    failed = check_gap("G / raw", wide, Bars())
    assert failed.name == "G / raw" and failed.outcome is Judgement.FAILED
    assert failed.message == (
        "G / raw: identity gap 0.80 (A 0.90 vs B 0.10; homogeneity chi2=12.8, df=1, p=0.000) "
        "> 0.50 allowed and significant at 0.05"
    )
    assert failed.detectable is not None and failed.detectable.kind == "gap"
    point = check_gap("G / raw", wide, Bars(gap_judge="point"))
    assert point.message.endswith("p=0.000) > 0.50 allowed")
    narrow = check_gap("G / raw", {"A": group(6, 10, "A"), "B": group(5, 10, "B")}, Bars())
    assert narrow.outcome is Judgement.PASSED and narrow.message.endswith("p=0.653)")
    alone = check_gap("G / raw", {"A": group(9, 10, "A"), "B": group(1, 4, "B")}, Bars())
    assert alone.name == "G / raw"
    assert alone.message == "G / raw: 1 of 2 identities hold >= 5 items; a gap needs two, reported only"


def test_gap_counts_only_identities_with_items() -> None:
    # min_items 0: an identity with no item evaluated is still left out (its accuracy is not 0)
    empty = {"A": group(9, 10, "A"), "B": group(8, 10, "B"), "C": []}
    assert check_gap("s", empty, Bars(min_items=0, gap_judge="point")).outcome is Judgement.PASSED
    # min_items 1: an identity of one item counts
    one = {"A": group(1, 1, "A"), "B": group(0, 1, "B")}
    assert check_gap("s", one, Bars(min_items=1, gap_judge="point")).outcome is Judgement.FAILED


def test_homogeneity_edges_by_hand() -> None:
    assert homogeneity_test([(0, 0), (9, 10), (1, 10)]).df == 1  # empty groups are left out
    two_singles = homogeneity_test([(1, 1), (0, 1)])
    assert (two_singles.statistic, two_singles.df) == (pytest.approx(2.0), 1)
    assert homogeneity_test([(10, 10), (10, 10)]) == homogeneity_test([(0, 10), (0, 10)])
    assert homogeneity_test([(0, 10), (0, 10)]).statistic == 0.0
    assert homogeneity_test([(0, 10), (0, 10)]).df == 1
    assert homogeneity_test([(0, 10), (0, 10)]).p_value == 1.0
    assert homogeneity_test([(1, 10), (0, 10)]).p_value < 1.0  # one right in all: a real test
    assert homogeneity_test([(5, 10)]).df == 0


@pytest.mark.parametrize("x", [0.1, 0.5, 1.0, 1.5, 3.0, 7.2, 20.0, 60.0])
def test_chi_square_tail_against_closed_forms(x: float) -> None:
    # df 1: erfc(sqrt(x/2)); df 2: exp(-x/2); df 4: exp(-x/2) (1 + x/2); both branches of the
    # incomplete gamma (series below a + 1, continued fraction above) are exercised.
    assert chi2_sf(x, 1) == pytest.approx(math.erfc(math.sqrt(x / 2)), rel=1e-10, abs=1e-300)
    assert chi2_sf(x, 2) == pytest.approx(math.exp(-x / 2), rel=1e-10, abs=1e-300)
    assert chi2_sf(x, 4) == pytest.approx(math.exp(-x / 2) * (1 + x / 2), rel=1e-10, abs=1e-300)
    assert chi2_sf(x, 6) == pytest.approx(math.exp(-x / 2) * (1 + x / 2 + x * x / 8), rel=1e-10, abs=1e-300)


def test_chi_square_tail_at_the_edges() -> None:
    assert chi2_sf(0.0, 1) == 1.0 and chi2_sf(-1.0, 3) == 1.0
    assert chi2_sf(1e-9, 2) == pytest.approx(1.0)
    assert chi2_sf(400.0, 2) == pytest.approx(math.exp(-200), rel=1e-9)
    assert 0.0 <= chi2_sf(2000.0, 1) < 1e-300


# --- intervals -------------------------------------------------------------------------------


def test_interval_edges() -> None:
    assert wilson_interval(10, 10)[1] == 1.0 and wilson_interval(0, 10)[0] == 0.0
    assert wilson_interval(3, 10, 0.5) != wilson_interval(3, 10)
    assert paired_change_interval(0, 0, 0) == (-1.0, 1.0)
    assert paired_change_interval(0, 10, 10)[0] == -1.0  # clipped at -1
    assert paired_change_interval(10, 0, 10)[1] == 1.0
    lo, hi = paired_change_interval(1, 0, 1)  # b = 1.5, c = 0.5, m = 3: change 1/3
    half = 1.959964 * math.sqrt(2 - 1 / 3) / 3
    assert (lo, hi) == (pytest.approx(1 / 3 - half, abs=1e-5), 1.0)


# --- changes ---------------------------------------------------------------------------------


def test_change_messages_and_counts_word_for_word() -> None:
    raw = [o(f"k{i}", i < 6) for i in range(10)]
    other = [o(f"k{i}", i >= 2, variant="id") for i in range(10)]
    verdict, change = check_change("G / raw->id (empathy)", raw, other, 0.6, Bars())
    assert verdict.name == "G / raw->id (empathy)"
    assert (change.base, change.other, change.base_correct, change.other_correct) == ("raw", "id", 6, 8)
    assert change.as_dict() == {"n": 10, "change": 0.2, "gained": 4, "lost": 2, "p_value": 0.6875}
    assert change.interval(0.5) == paired_change_interval(4, 2, 10, 0.5)
    assert verdict.message == (
        "G / raw->id (empathy): change +0.20 (+4/-2 on 10 items, 95% CI -0.26 to +0.59, "
        "McNemar p=0.688): whole interval < +0.60 required"
    )
    point, _ = check_change("s", raw, other, 0.5, Bars(change_judge="point", confidence=0.9))
    assert point.message.endswith("McNemar p=0.688) < +0.50 required")
    assert point.detectable is not None and point.detectable.kind == "change"
    few, _ = check_change("s", raw[:4], other[:4], 0.0, Bars())
    assert few.name == "s" and few.outcome is Judgement.NOT_JUDGED
    assert few.message.startswith("s: 4 paired items < min_items 5, reported only (change ")


def test_paired_change_uses_only_items_evaluated_under_both() -> None:
    missing = Outcome("k9", "id", "Gender", "F", "A", None, None, error="500")
    raw = [o(f"k{i}", False) for i in range(10)]
    other = [*(o(f"k{i}", True, variant="id") for i in range(9)), missing]
    change = paired_change(raw, other)
    assert (change.n, change.gained, change.lost) == (9, 9, 0)
    nothing = paired_change([], [])
    assert (nothing.base, nothing.other, nothing.n, nothing.change) == ("raw", "", 0, 0.0)


def test_change_rule_on_its_own() -> None:
    assert change_fails(0, 1, 20, -0.1, Bars(change_judge="point")) is False  # -0.05 >= -0.10
    assert change_fails(0, 1, 20, -0.04, Bars(change_judge="point")) is True
    # 99% interval of +0/-5 on 20 items reaches above 0 (+0.03); the 95% one does not (-0.03)
    assert change_fails(0, 5, 20, 0.0, Bars()) is True
    assert change_fails(0, 5, 20, 0.0, Bars(confidence=0.99)) is False


def test_family_bars_by_hand() -> None:
    plain = Bars()
    assert family_bars(plain, 10) == plain
    bonferroni = Bars(multiple_checks="bonferroni")
    assert family_bars(bonferroni, 1) == bonferroni
    assert family_bars(bonferroni, 2).confidence == pytest.approx(0.975)
    assert family_bars(Bars(multiple_checks="bonferroni", confidence=0.9), 10) == Bars(
        multiple_checks="bonferroni", confidence=pytest.approx(0.99)
    )


# --- summaries --------------------------------------------------------------------------------


def test_summary_and_comparisons_of_a_hand_table() -> None:
    outcomes = [
        o("k0", True, identity="F"),
        o("k1", False, identity="M"),
        o("k0", True, variant="id", identity="F"),
        o("k1", True, variant="id", identity="M"),
        Outcome("k1", "cot", "Gender", "M", "A", "C", "text", error=None),
        Outcome("k0", "cot", "Gender", "F", "A", None, None, error="500"),
    ]
    summary = summarize(outcomes)
    assert list(summary) == ["raw", "id", "cot"]
    assert summary["raw"]["overall"] == {
        "n": 2,
        "correct": 1,
        "accuracy": 0.5,
        "unparsed": 0,
        "not_evaluated": 0,
    }
    assert summary["raw"]["dimensions"]["Gender"]["identities"]["M"]["correct"] == 0
    assert summary["raw"]["dimensions"]["Gender"]["n"] == 2
    assert summary["cot"]["overall"]["not_evaluated"] == 1
    assert summary["raw"]["letters"] == {"verdicts": {"A": 1, "B": 1}, "correct": {"A": 2}}
    assert letter_shares([Outcome("u", "raw", "G", "F", "B", None, "?")]) == {
        "verdicts": {"none": 1},
        "correct": {"B": 1},
    }
    changes = comparisons(outcomes)
    assert list(changes) == ["raw->id", "raw->cot"]
    assert changes["raw->id"]["Gender"].flips == "+1/-0"
    assert changes["raw->id"]["*"].flips == "+1/-0"
    assert changes["raw->cot"]["Gender"].n == 1 and changes["raw->cot"]["Gender"].flips == "+0/-0"
    assert comparisons([o("k0", True)]) == {}
    row = outcomes[4].row()
    assert row == {
        "id": "k1",
        "variant": "cot",
        "dimension": "Gender",
        "identity": "M",
        "correct": "A",
        "verdict": "C",
        "response": "text",
        "evaluated": True,
        "finish_reason": None,
    }
    assert outcomes[5].row()["error"] == "500" and outcomes[5].row()["evaluated"] is False
    odd = summarize([o("k0", True, variant="zz"), o("k0", True)])
    assert list(odd) == ["raw", "zz"]


# --- thresholds -------------------------------------------------------------------------------


def test_thresholds_layers_and_types(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text(
        "[defaults]\nmin_accuracy = 1\n[variant.id]\nmax_gap = 0\n"
        "[dimension.Gender.identity.Female]\nmin_items = 3\n"
        "[dimension.Gender.identity.Female.variant.cot]\nmin_items = 2\n"
    )
    t = load_thresholds(path)
    assert t.path == path
    bars = t.bars("Gender", None, None)
    assert bars.min_accuracy == 1.0 and isinstance(bars.min_accuracy, float)
    assert isinstance(t.bars("Gender", "Female", "id").max_gap, float)
    assert t.bars("Gender", "Female", None).min_items == 3 and isinstance(
        t.bars("Gender", "Female").min_items, int
    )
    assert t.bars("Gender", "Female", "cot").min_items == 2
    assert t.bars("Gender", None, "cot").min_items == 5
    assert t.bars("Gender", "Female", None).max_gap == 0.5  # no variant: [variant.id] does not apply
    assert unmatched_identities(t, {"Gender": ["Male"]}) == [
        f"{path}: [dimension.Gender.identity.Female] matches no Gender identity in the data"
    ]
    assert unmatched_identities(t, {"Gender": ["Female"]}) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("defaults = 3\n", "{path} (line 1): defaults: expected a table, found int"),
        ("[dimension]\nGender = 1\n", "{path} (line 2): dimension.Gender: expected a table, found int"),
        (
            "[dimension.Gender]\nvariant = 2\n",
            "{path} (line 2): dimension.Gender.variant: expected a table, found int",
        ),
        (
            "[dimension.Gender]\nidentity = 2\n",
            "{path} (line 2): dimension.Gender.identity: expected a table, found int",
        ),
        (
            "[dimension.Gender.identity.Female]\nvariant = 2\n",
            "{path} (line 2): dimension.Gender.identity.Female.variant: expected a table, found int",
        ),
        (
            "[dimension.Gender.identity.Female.variant.id]\nmin_itemz = 2\n",
            "{path} (line 2): dimension.Gender.identity.Female.variant.id.min_itemz: unknown key; "
            "did you mean min_items? known keys:",
        ),
        (
            "[dimension.Gender.variant.cot]\nmax_gapp = 2\n",
            "{path} (line 2): dimension.Gender.variant.cot.max_gapp: unknown key",
        ),
        (
            "[dimension.Gender.identity.Female]\nconfidence = 0.3\n",
            "{path} (line 2): dimension.Gender.identity.Female.confidence: 0.3 is out of range; "
            "allowed 0.5 to 0.9999",
        ),
        (
            "[defaults]\nmin_accuracy = true\n",
            "{path} (line 2): defaults.min_accuracy: must be a float, not True",
        ),
        ("[defaults]\nmin_items = 2.5\n", "{path} (line 2): defaults.min_items: must be a int, not 2.5"),
        (
            '[defaults]\nmultiple_checks = "holm"\n',
            '{path} (line 2): defaults.multiple_checks: must be "none" or "bonferroni", not \'holm\'',
        ),
        (
            "[sections]\n",
            "{path} (line 1): sections: unknown section; "
            "expected [defaults], [circular], [variant.V] or [dimension.D]",
        ),
        (
            "[dimension.Zzz]\n",
            "{path} (line 1): dimension.Zzz: unknown dimension; known: Country, Orientation, Age,",
        ),
        (
            "[dimension.Gendr]\n",
            "{path} (line 1): dimension.Gendr: unknown dimension; did you mean Gender? known:",
        ),
        ("[variant.kot]\n", "{path} (line 1): variant.kot: unknown variant; expected raw, id or cot"),
    ],
)
def test_threshold_mistakes_word_for_word(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "t.toml"
    path.write_text(text)
    with pytest.raises(ThresholdsError) as caught:
        load_thresholds(path)
    assert str(caught.value).startswith(message.format(path=path))


def test_thresholds_at_the_ends_of_their_ranges(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text("[defaults]\nmin_accuracy = 0.0\nconfidence = 0.9999\nmin_items = 0\n")
    bars = load_thresholds(path).bars("Gender")
    assert (bars.min_accuracy, bars.confidence, bars.min_items) == (0.0, 0.9999, 0)
    missing = tmp_path / "nope.toml"
    with pytest.raises(ThresholdsError) as caught:
        load_thresholds(missing)
    assert str(caught.value) == f"{missing}: thresholds file not found (pass --thresholds PATH)"
    utf8 = tmp_path / "u.toml"
    utf8.write_bytes("# bars — commented\n[defaults]\nmin_items = 1\n".encode())
    assert load_thresholds(utf8).bars("Gender").min_items == 1
