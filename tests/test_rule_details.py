"""The exact words, numbers and dictionaries the rules produce, on tables small enough to check
by hand (these also hold the mutation score of bench/MUTATION.md)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from giebench_fixtures.errors import ThresholdsError
from giebench_fixtures.judging.metrics import (
    Outcome,
    comparisons,
    letter_shares,
    paired_change,
    summarize,
    tally,
)
from giebench_fixtures.judging.stats import chi2_sf, paired_change_interval, wilson_interval
from giebench_fixtures.judging.thresholds import load_thresholds, unmatched_identities


def o(
    key: str, right: bool, *, variant: str = "raw", identity: str = "F", verdict: str | None = None
) -> Outcome:
    return Outcome(key, variant, "Gender", identity, "A", verdict or ("A" if right else "B"), "text")


def group(right: int, n: int, identity: str = "F", variant: str = "raw") -> list[Outcome]:
    return [o(f"{identity}{i}", i < right, identity=identity, variant=variant) for i in range(n)]


# --- accuracy messages -----------------------------------------------------------------------


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


def test_paired_change_uses_only_items_evaluated_under_both() -> None:
    missing = Outcome("k9", "id", "Gender", "F", "A", None, None, error="500")
    raw = [o(f"k{i}", False) for i in range(10)]
    other = [*(o(f"k{i}", True, variant="id") for i in range(9)), missing]
    change = paired_change(raw, other)
    assert (change.n, change.gained, change.lost) == (9, 9, 0)
    nothing = paired_change([], [])
    assert (nothing.base, nothing.other, nothing.n, nothing.change) == ("raw", "", 0, 0.0)


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
            "[defaults]\nconfidence = 0.3\n",
            "{path} (line 2): defaults.confidence: 0.3 is out of range; allowed 0.5 to 0.9999",
        ),
        (
            # read nowhere if accepted: the family of a run has one level
            "[dimension.Gender.identity.Female]\nconfidence = 0.99\n",
            "{path} (line 2): dimension.Gender.identity.Female.confidence: applies to the whole run; "
            "set it in [defaults] (or [circular])",
        ),
        (
            '[dimension.Gender]\nmin_items = 3\n[dimension.Gender.variant.id]\nmultiple_checks = "none"\n',
            "{path} (line 4): dimension.Gender.variant.id.multiple_checks: applies to the whole run; "
            "set it in [defaults] (or [circular])",
        ),
        (
            "[defaults]\nmin_accuracy = true\n",
            "{path} (line 2): defaults.min_accuracy: must be a float, not True",
        ),
        ("[defaults]\nmin_items = 2.5\n", "{path} (line 2): defaults.min_items: must be a int, not 2.5"),
        (
            '[defaults]\nmultiple_checks = "sidak"\n',
            "{path} (line 2): defaults.multiple_checks: "
            'must be "holm" or "bonferroni" or "none", not \'sidak\'',
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
