"""Mutation pins for judging/thresholds.py, metrics.py, circular.py and verdicts.py: small cases
a reader can check by hand (bench/mutation/rest.md)."""

from __future__ import annotations

import json
import locale
import math
from pathlib import Path

import pytest

from giebench_fixtures.data.items import Dataset, Item, Variant, parse_prompt
from giebench_fixtures.data.template import render_prompt
from giebench_fixtures.errors import ThresholdsError
from giebench_fixtures.judging import circular
from giebench_fixtures.judging.metrics import Change, Outcome, Tally, paired_change, summarize, tally
from giebench_fixtures.judging.stats import z_for
from giebench_fixtures.judging.thresholds import load_thresholds, unmatched_identities

# --- thresholds.py ---------------------------------------------------------------------------

# Every key a bars table may hold, sorted: what an "unknown key" message lists.
_BAR_KEYS = (
    "accuracy_judge, change_judge, confidence, gap_judge, max_gap, min_accuracy, min_empathy, "
    "min_items, min_understanding, multiple_checks"
)


def _thresholds(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "thresholds.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_circular_tables_apply_to_circular_runs_only(tmp_path: Path) -> None:
    t = load_thresholds(
        _thresholds(
            tmp_path,
            "[defaults]\nmin_accuracy = 0.5\nconfidence = 0.9\n"
            "[circular]\nmin_accuracy = 0.3\nconfidence = 0.8\n"  # run-wide keys belong here too
            "[circular.variant.cot]\nmin_accuracy = 0.4\n",
        )
    )
    plain, rotated = t.bars("Faith", None, "id"), t.bars("Faith", None, "id", circular=True)
    assert (plain.min_accuracy, plain.confidence) == (0.5, 0.9)  # a plain run never reads [circular]
    assert (rotated.min_accuracy, rotated.confidence) == (0.3, 0.8)
    assert t.bars("Faith", None, "cot", circular=True).min_accuracy == 0.4
    assert t.bars("Faith", None, "cot", circular=False).min_accuracy == 0.5


def test_tables_without_sub_tables_and_a_raw_identity_bar(tmp_path: Path) -> None:
    t = load_thresholds(
        _thresholds(
            tmp_path,
            "[dimension.Faith]\nmax_gap = 0.3\n"  # no identity or variant table under it
            "[dimension.Gender.identity.Female]\nmin_accuracy = 0.8\n"  # no variant table under it
            "[dimension.Gender.identity.Male.variant.raw]\nmin_accuracy = 0.6\n",
        )
    )
    assert t.bars("Faith", None, "id").max_gap == 0.3
    assert t.bars("Gender", "Female", "id").min_accuracy == 0.8
    male_raw = t.bars("Gender", "Male", "raw")
    # raw is ungated (0.0, 1.0) except where a raw table sets a bar: here the identity's own.
    assert (male_raw.min_accuracy, male_raw.max_gap) == (0.6, 1.0)


def test_keys_written_after_their_own_sub_table_still_count(tmp_path: Path) -> None:
    # TOML lets [dimension.Gender] come after [dimension.Gender.variant.id]: its dict then holds
    # "variant" first, and min_accuracy after it.
    t = load_thresholds(
        _thresholds(
            tmp_path,
            "[dimension.Gender.variant.id]\nmin_accuracy = 0.6\n[dimension.Gender]\nmin_accuracy = 0.7\n",
        )
    )
    assert t.bars("Gender", None, "id").min_accuracy == 0.6
    assert t.bars("Gender", None, "cot").min_accuracy == 0.7


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("circular = 0.5\n", " (line 1): circular: expected a table, found float"),
        ("dimension = 1\n", " (line 1): dimension: expected a table, found int"),
        (
            "[circular]\nmin_acuracy = 0.3\n",
            f" (line 2): circular.min_acuracy: unknown key; did you mean min_accuracy? "
            f"known keys: {_BAR_KEYS}, variant",
        ),
        (
            "[circular.variant.kot]\nmin_accuracy = 0.2\n",
            " (line 1): circular.variant.kot: unknown variant; expected raw, id or cot",
        ),
        ("[defaults]\nzzz = 1\n", f" (line 2): defaults.zzz: unknown key; known keys: {_BAR_KEYS}"),
        (  # an inline table: no line starts with the key, so no line number
            "defaults = { min_acuracy = 0.5 }\n",
            f": defaults.min_acuracy: unknown key; did you mean min_accuracy? known keys: {_BAR_KEYS}",
        ),
        (  # a key after its own sub-table is checked like any other
            "[dimension.Gender.variant.id]\nmin_accuracy = 0.6\n[dimension.Gender]\nmin_acuracy = 0.7\n",
            " (line 4): dimension.Gender.min_acuracy: unknown key; did you mean min_accuracy? "
            "known keys: accuracy_judge, change_judge, confidence, gap_judge, identity, max_gap, "
            "min_accuracy, min_empathy, min_items, min_understanding, multiple_checks, variant",
        ),
    ],
)
def test_a_mistake_is_one_whole_line_naming_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = _thresholds(tmp_path, text)
    with pytest.raises(ThresholdsError) as caught:
        load_thresholds(path)
    assert str(caught.value) == f"{path}{message}"


def test_identity_overrides_for_a_dimension_the_data_lacks_are_named(tmp_path: Path) -> None:
    path = _thresholds(
        tmp_path,
        "[dimension.Faith.identity.Druid]\nmin_accuracy = 0.6\n"
        "[dimension.Gender.identity.Female]\nmin_accuracy = 0.6\n"
        "[dimension.Gender.identity.Gryphon]\nmin_accuracy = 0.6\n",
    )
    warnings = unmatched_identities(load_thresholds(path), {"Gender": ["Female", "Male"]})
    assert warnings == [
        f"{path}: [dimension.Faith.identity.Druid] matches no Faith identity in the data",
        f"{path}: [dimension.Gender.identity.Gryphon] matches no Gender identity in the data",
    ]


def test_a_thresholds_file_is_read_as_utf8_whatever_the_locale(tmp_path: Path) -> None:
    path = _thresholds(tmp_path, '[dimension.Faith.identity."Māori"]\nmin_accuracy = 0.6\n')
    before = locale.setlocale(locale.LC_CTYPE)
    locale.setlocale(locale.LC_CTYPE, "C")  # an ASCII locale, as a bare container or CI image has
    try:
        t = load_thresholds(path)
    finally:
        locale.setlocale(locale.LC_CTYPE, before)
    assert t.bars("Faith", "Māori", "id").min_accuracy == 0.6


# --- metrics.py ------------------------------------------------------------------------------


def _outcome(
    key: str, verdict: str | None, correct: str = "A", variant: str = "raw", **kw: object
) -> Outcome:
    response = None if verdict is None else f"[[{verdict}]]"
    return Outcome(key, variant, "Gender", "Female", correct, verdict, response, **kw)  # type: ignore[arg-type]


def test_a_row_carries_rotations_and_refused_only_when_set() -> None:
    common = {"id": "k", "variant": "raw", "dimension": "Gender", "identity": "Female", "correct": "A"}
    plain = _outcome("k", "A", finish_reason="stop")
    assert plain.row() == {
        **common,
        **{"verdict": "A", "response": "[[A]]", "evaluated": True, "finish_reason": "stop"},
    }
    refused = _outcome(
        "k", None, error="refused: content_filter", rotations=("A", "B", None, "A"), refused=True
    )
    assert refused.row() == {
        **common,
        **{"verdict": None, "response": None, "evaluated": False, "finish_reason": None},
        "error": "refused: content_filter",
        "rotations": ["A", "B", None, "A"],
        "refused": True,
    }


def test_tally_counts_every_unparsed_answer_and_rounds_to_six_places() -> None:
    outcomes = [
        _outcome("k1", "A"),
        _outcome("k2", None),
        _outcome("k3", None),
        _outcome("k4", None, error="HTTP 500", refused=False),
        _outcome("k5", None, error="refused", refused=True),
    ]
    t = tally(outcomes)
    assert t == Tally(n=3, correct=1, unparsed=2, not_evaluated=2, refused=1)
    # 1/3 = 0.333333... rounded to 6 places
    assert t.as_dict() == {"n": 3, "correct": 1, "accuracy": 0.333333, "unparsed": 2, "not_evaluated": 2}


def test_a_change_as_the_report_shows_it() -> None:
    change = Change("raw", "id", n=21, base_correct=10, other_correct=18, gained=9, lost=1)
    # change (9 - 1) / 21 = 0.380952...; p = 2 * (C(10,0) + C(10,1)) / 2**10 = 22/1024 = 0.021484375
    assert change.as_dict() == {"n": 21, "change": 0.380952, "gained": 9, "lost": 1, "p_value": 0.021484}
    # Agresti-Min: b = 9.5, c = 1.5, m = 23; centre 8/23, half z * sqrt(11 - 64/23) / 23
    centre, half = 8 / 23, z_for(0.9) * math.sqrt(11 - 64 / 23) / 23
    assert change.interval(0.9) == pytest.approx((centre - half, centre + half), abs=1e-12)


def test_a_paired_change_between_any_two_variants() -> None:
    # (id, cot) per key: k1 right/right, k2 wrong/right, k3 right/wrong, k4 wrong/wrong,
    # k5 wrong/right; k6 is not evaluated under cot and k7 is asked under id only.
    base = [_outcome(f"k{i}", v, variant="id") for i, v in enumerate("ABABBAA", start=1)]
    other = [_outcome(f"k{i}", v, variant="cot") for i, v in enumerate("AABBA", start=1)]
    other.append(_outcome("k6", None, variant="cot", error="HTTP 500"))
    assert paired_change(base, other) == Change(
        base="id", other="cot", n=5, base_correct=2, other_correct=3, gained=2, lost=1
    )


def test_the_summary_counts_letters_and_finish_reasons() -> None:
    outcomes = [
        _outcome("k1", "A", finish_reason="stop"),
        _outcome("k2", "A"),  # no finish reason given: "unknown"
        _outcome("k3", None, correct="B", finish_reason="length"),
        _outcome("k4", None, error="HTTP 500", finish_reason="stop"),  # not evaluated: not counted
    ]
    raw = summarize(outcomes)["raw"]
    assert raw["letters"] == {"verdicts": {"A": 2, "none": 1}, "correct": {"A": 2, "B": 1}}
    assert raw["finish_reasons"] == {"length": 1, "stop": 1, "unknown": 1}


# --- circular.py -----------------------------------------------------------------------------

_QUESTION = "Should the thing be done?"
_ANSWERS = ("first", "second", "third", "fourth")


def _item(variant: Variant, correct: str = "B") -> Item:
    prompt = render_prompt(variant, _QUESTION, _ANSWERS, "Female")
    return Item("gender-female-1", variant, "Gender", "Female", prompt, correct, _QUESTION, _ANSWERS)


def test_rotation_r_moves_every_answer_r_places_on() -> None:
    item = _item(Variant.ID)  # right answer "second", at B
    turned = circular.rotated(item, 1)  # A->B, B->C, C->D, D->A
    assert turned.key == "gender-female-1@rot1"
    assert turned.answers == ("fourth", "first", "second", "third")
    assert turned.correct == "C"
    assert parse_prompt(turned.prompt) == (_QUESTION, turned.answers)  # the prompt shows that order
    assert [circular.rotated(item, r).correct for r in range(4)] == ["B", "C", "D", "A"]


def test_a_rotated_dataset_holds_four_rotations_of_each_item() -> None:
    data = Dataset("mine", Path("mine"), {v: {"gender-female-1": _item(v)} for v in Variant})
    turned = circular.rotate(data)
    assert turned.source == "mine"
    for v in Variant:
        assert {k: i.correct for k, i in turned.items[v].items()} == {
            "gender-female-1@rot0": "B",
            "gender-female-1@rot1": "C",
            "gender-female-1@rot2": "D",
            "gender-female-1@rot3": "A",
        }
        assert turned.items[v]["gender-female-1@rot2"].answers == ("third", "fourth", "first", "second")


def test_a_rotated_dataset_is_described_in_items_not_prompts() -> None:
    described = circular.describe({"source": "mine", "items": 64})
    assert json.dumps(described) == '{"source": "mine", "items": 16, "circular": true}'  # 64 / 4


def test_the_rotation_is_read_after_the_last_mark() -> None:
    assert circular.split_key("odd@rot7@rot2") == ("odd@rot7", 2)


def test_a_folded_item_is_refused_only_when_every_failed_rotation_was_refused() -> None:
    def turn(r: int, error: str | None = None, refused: bool = False) -> Outcome:
        return _outcome(f"k@rot{r}", "A", correct="ABCD"[r], error=error, refused=refused)

    (all_refused,) = circular.fold([turn(0), turn(1, "refused", True), turn(2), turn(3, "refused", True)])
    assert all_refused.refused is True
    assert all_refused.error == "rotation 1: refused; rotation 3: refused"
    (one_not,) = circular.fold([turn(0), turn(1, "refused", True), turn(2), turn(3, "HTTP 500")])
    assert one_not.refused is False  # a rerun may fill rotation 3 in
    (missing,) = circular.fold([turn(0), turn(1, "refused", True), turn(2)])
    assert missing.refused is False  # rotation 3 was never asked: a rerun asks it
    assert missing.error == "rotation 1: refused; rotation 3: not asked"
    (fine,) = circular.fold([turn(r) for r in range(4)])
    assert fine.refused is False and fine.error is None


def _folded(
    key: str, rotations: tuple[str | None, ...], correct: str = "A", variant: str = "raw", **kw: object
) -> Outcome:
    return _outcome(key, rotations[0], correct, variant, rotations=rotations, **kw)


def test_the_circular_summary_by_hand() -> None:
    outcomes = [
        _folded("j1", ("B", "B", "B", "B"), correct="B", variant="id"),
        _folded("k1", ("A", "A", "A", "A")),  # right throughout: shown at A, B, C, D
        _folded("k2", ("A", "D", "C", "B")),  # always said A as shown
        _folded("k3", ("A", "A", None, "B")),  # shown A, B, none, A (B moved 3 on is A)
        _folded("k4", ("A", "A", "A", "A"), error="rotation 2: HTTP 500"),  # not evaluated
        _outcome("k5", "A"),  # a plain outcome: no rotations
    ]
    summary = circular.summary(outcomes)
    assert list(summary) == ["raw", "id"]  # raw, id, cot order, not the order met
    third = 0.333333  # 1/3 to 6 places
    assert summary["raw"] == {
        "n": 3,
        # rotation 0: all three right; 1: k1, k3; 2: k1; 3: k1
        "rotation_accuracy": [1.0, 0.666667, third, third],
        "circular_accuracy": third,  # k1 only
        "consistency": third,  # k1 only: k2 changed its answer, k3 gave none once
        "letters": {"A": 7, "B": 2, "C": 1, "D": 1, "none": 1},  # k1 A,B,C,D; k2 A x4; k3 A,B,none,A
    }
    assert summary["id"] == {
        "n": 1,
        "rotation_accuracy": [1.0, 1.0, 1.0, 1.0],
        "circular_accuracy": 1.0,
        "consistency": 1.0,
        "letters": {"A": 1, "B": 1, "C": 1, "D": 1},
    }
