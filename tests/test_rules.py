"""The gate's rules on small tables a reader can check by hand: at, just above and just below
each bar, in point and interval mode. Each test names the mistake it would catch."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

import pytest

from giebench_fixtures.asking.cache import ResponseCache, cache_key
from giebench_fixtures.asking.completion import Completion, Sampling
from giebench_fixtures.asking.models import make_model
from giebench_fixtures.asking.runner import Accounting, request_all
from giebench_fixtures.data.items import Variant
from giebench_fixtures.data.loading import load_source
from giebench_fixtures.judging.gate import Judgement, check_accuracy, check_change, check_gap
from giebench_fixtures.judging.judge import Judge
from giebench_fixtures.judging.metrics import Outcome, paired_change, tally
from giebench_fixtures.judging.stats import homogeneity_test, paired_change_interval, wilson_interval
from giebench_fixtures.judging.thresholds import Bars, load_thresholds
from giebench_fixtures.reports.report import table_rows, terminal_lines
from tests.loopback import LoopbackServer, letter_answerer

from .helpers import invented_items, write_source


def items(right: int, n: int, *, identity: str = "Female", variant: str = "id") -> list[Outcome]:
    """n outcomes of one identity, the first ``right`` of them answered correctly (A)."""
    return [
        Outcome(f"{identity}-{i}", variant, "Gender", identity, "A", "A" if i < right else "B", "")
        for i in range(n)
    ]


def accuracy_outcome(right: int, n: int, **bars: object) -> Judgement:
    return check_accuracy("Gender / Female / id", items(right, n), Bars(**bars)).outcome  # type: ignore[arg-type]


PASSED, FAILED, NOT_JUDGED = Judgement.PASSED, Judgement.FAILED, Judgement.NOT_JUDGED


# --- accuracy ------------------------------------------------------------------------------


def test_wilson_upper_bounds_used_below_by_hand() -> None:
    # 95%, n = 10: 1/10 -> upper 0.404, 2/10 -> upper 0.510 (Wilson, z = 1.96)
    assert round(wilson_interval(1, 10)[1], 3) == 0.404
    assert round(wilson_interval(2, 10)[1], 3) == 0.510


@pytest.mark.parametrize(
    ("right", "bar", "expected"),
    [
        (1, 0.50, FAILED),  # upper bound 0.404: the whole interval is below 0.50
        (2, 0.50, PASSED),  # upper bound 0.510: just above the bar
        (2, 0.51, FAILED),  # ... and just below a bar of 0.51
        (10, 1.0, PASSED),  # upper bound exactly 1.0 at a bar of 1.0: at the bar passes (>=, not >)
    ],
)
def test_accuracy_interval_mode(right: int, bar: float, expected: Judgement) -> None:
    assert accuracy_outcome(right, 10, min_accuracy=bar, accuracy_judge="interval") is expected


@pytest.mark.parametrize(
    ("right", "expected"),
    [(4, FAILED), (5, PASSED), (6, PASSED)],  # 0.4 below, 0.5 at, 0.6 above a bar of 0.5
)
def test_accuracy_point_mode(right: int, expected: Judgement) -> None:
    assert accuracy_outcome(right, 10, min_accuracy=0.5, accuracy_judge="point") is expected


def test_fewer_items_than_min_items_is_reported_only_never_passed() -> None:
    four = check_accuracy("Gender / Female / raw", items(0, 4), Bars(min_items=5))
    assert four.outcome is NOT_JUDGED and not four.passed and not four.judged
    assert four.message.startswith("Gender / Female / raw: 4 items < min_items 5, reported only")
    assert four.detectable is None
    assert accuracy_outcome(0, 5, min_items=5) is FAILED  # five items: judged (0/5 fails)
    assert accuracy_outcome(0, 0, min_items=0) is NOT_JUDGED  # nothing at all to judge


def test_an_answer_with_no_verdict_counts_as_wrong() -> None:
    unparsed = Outcome("k", "id", "Gender", "Female", "A", None, "I cannot decide.")
    assert not unparsed.right
    t = tally([unparsed, *items(1, 1)])
    assert (t.n, t.correct, t.unparsed) == (2, 1, 1)


def test_an_item_not_evaluated_fails_its_check() -> None:
    failed = Outcome("k", "id", "Gender", "Female", "A", None, None, error="HTTP 500")
    verdict = check_accuracy("Gender / Female / id", [failed, *items(9, 9)], Bars(min_items=1))
    assert verdict.outcome is FAILED and "1 item(s) not evaluated" in verdict.message


def test_a_judged_check_states_what_it_can_detect() -> None:
    verdict = check_accuracy("s", items(8, 10), Bars())
    assert verdict.detectable is not None
    assert verdict.detectable.describe().startswith("fails below 0.0")
    assert verdict.detectable.catches_chance is False  # 10 items at the default bars


# --- gap -----------------------------------------------------------------------------------


def gap_outcome(a: tuple[int, int], b: tuple[int, int], **bars: object) -> Judgement:
    by_identity = {"Gryphon": items(*a, identity="Gryphon"), "Sphinx": items(*b, identity="Sphinx")}
    return check_gap("Gender / id", by_identity, Bars(**bars)).outcome  # type: ignore[arg-type]


def test_homogeneity_by_hand() -> None:
    # 9/10 against 1/10: expected 5 right and 5 wrong in each; (4^2/5) x 4 cells = 12.8, 1 df.
    test = homogeneity_test([(9, 10), (1, 10)])
    assert test.statistic == pytest.approx(12.8)
    assert test.df == 1
    assert test.p_value == pytest.approx(math.erfc(math.sqrt(12.8 / 2)))  # chi-square, 1 df
    # three groups: 2 df, where the tail is exp(-x/2)
    three = homogeneity_test([(2, 10), (5, 10), (8, 10)])
    assert three.df == 2
    assert three.statistic == pytest.approx(7.2)  # (3^2/5 + 3^2/5) x 2 groups at 0.2, 0.8
    assert three.p_value == pytest.approx(math.exp(-7.2 / 2))


@pytest.mark.parametrize(
    ("a", "b", "judge", "expected"),
    [
        ((9, 10), (1, 10), "interval", FAILED),  # gap 0.8 > 0.5 and p = 0.0003
        ((27, 30), (15, 30), "interval", PASSED),  # p < 0.001, but gap 0.4 <= 0.5: size matters too
        ((4, 5), (1, 5), "interval", PASSED),  # gap 0.6 > 0.5, but chi2 = 3.6, p = 0.058: not shown
        ((4, 5), (1, 5), "point", FAILED),  # ... point mode needs no test
        ((3, 4), (1, 4), "point", PASSED),  # gap exactly 0.5 at a bar of 0.5 passes
        ((3, 4), (0, 4), "point", FAILED),  # gap 0.75
    ],
)
def test_gap(a: tuple[int, int], b: tuple[int, int], judge: str, expected: Judgement) -> None:
    assert gap_outcome(a, b, max_gap=0.5, gap_judge=judge, min_items=4) is expected


def test_a_gap_needs_two_identities_with_enough_items() -> None:
    assert gap_outcome((9, 10), (0, 4), min_items=5, gap_judge="point") is NOT_JUDGED
    assert gap_outcome((9, 10), (0, 5), min_items=5, gap_judge="point") is FAILED


# --- paired change -------------------------------------------------------------------------


def raw_and_id(raw_right: range, id_right: range, n: int = 10) -> tuple[list[Outcome], list[Outcome]]:
    def one(variant: str, right: range) -> list[Outcome]:
        return [
            Outcome(f"k{i}", variant, "Gender", "Female", "A", "A" if i in right else "B", "")
            for i in range(n)
        ]

    return one("raw", raw_right), one("id", id_right)


def test_paired_change_counts_flips_by_hand() -> None:
    # Raw right on items 0-5, ID right on items 2-9: gained 6, 7, 8, 9; lost 0, 1.
    raw, ident = raw_and_id(range(0, 6), range(2, 10))
    change = paired_change(raw, ident)
    assert (change.gained, change.lost, change.n) == (4, 2, 10)
    assert change.flips == "+4/-2"
    assert change.change == pytest.approx(0.2)
    assert (change.base, change.other) == ("raw", "id")


def change_outcome(raw: range, ident: range, minimum: float, judge: str, n: int = 10) -> Judgement:
    base, other = raw_and_id(raw, ident, n)
    verdict, _ = check_change("Gender / raw->id", base, other, minimum, Bars(change_judge=judge))  # type: ignore[arg-type]
    return verdict.outcome


def test_change_point_mode_is_judged_on_the_change_not_its_interval() -> None:
    # one item lost of 20: change -0.05 < 0, although the interval reaches above 0
    lo, hi = paired_change_interval(0, 1, 20)
    assert lo < -0.05 < 0 < hi
    assert change_outcome(range(1), range(0), 0.0, "point", n=20) is FAILED
    assert change_outcome(range(1), range(0), 0.0, "interval", n=20) is PASSED
    assert change_outcome(range(0), range(0), 0.0, "point") is PASSED  # no change, at the bar


def test_change_interval_mode_at_and_below_the_bar() -> None:
    # all 10 gained: the interval's upper end is clipped to exactly +1.0
    assert paired_change_interval(10, 0, 10)[1] == 1.0
    assert change_outcome(range(0), range(10), 1.0, "interval") is PASSED  # at the bar (>=)
    # all 10 lost: upper end -0.57 (Agresti-Min: b = 0.5, c = 10.5, m = 12)
    assert round(paired_change_interval(0, 10, 10)[1], 2) == -0.57
    assert change_outcome(range(10), range(0), -0.5, "interval") is FAILED
    assert change_outcome(range(10), range(0), -0.6, "interval") is PASSED


def test_change_on_too_few_items_is_reported_only() -> None:
    assert change_outcome(range(4), range(0), 0.0, "point", n=4) is NOT_JUDGED


def test_raw_to_id_is_judged_on_min_empathy_and_raw_to_cot_on_min_understanding(tmp_path: Path) -> None:
    folder = write_source(
        tmp_path / "data", invented_items({"Gender": ["Gryphon", "Sphinx"]}, per_identity=5)
    )
    thresholds = tmp_path / "t.toml"
    thresholds.write_text('[defaults]\nmin_empathy = 0.3\nmin_understanding = -0.7\nchange_judge = "point"\n')
    dataset = load_source(folder)
    # every response picks A: raw, id and cot answer alike, so both changes are 0.0
    responses = {
        (item.key, variant): Completion(text="[[A]]")
        for variant in Variant
        for item in dataset.select("Gender", None, variant)
    }
    judge = Judge(dataset, load_thresholds(thresholds), list(Variant), responses)
    assert judge.change_bars_for("Gender", Variant.ID)[1] == 0.3
    assert judge.change_bars_for("Gender", Variant.COT)[1] == -0.7
    empathy = judge.change("Gender", Variant.ID)
    understanding = judge.change("Gender", Variant.COT)
    assert empathy.outcome is FAILED and "< +0.30 required" in empathy.message
    assert understanding.outcome is PASSED


# --- what is kept and what is printed ------------------------------------------------------


def test_the_cache_key_holds_the_model_and_the_sampling_settings() -> None:
    base = cache_key("m1", Sampling(), "prompt")
    assert base == cache_key("m1", Sampling(), "prompt")
    assert base != cache_key("m2", Sampling(), "prompt")
    assert base != cache_key("m1", Sampling(temperature=0.9), "prompt")
    assert base != cache_key("m1", Sampling(max_tokens=10), "prompt")
    assert base != cache_key("m1", Sampling(seed=1), "prompt")
    assert base != cache_key("m1", Sampling(), "prompt 2")


def test_a_failed_response_is_never_cached_as_an_answer(tmp_path: Path) -> None:
    with LoopbackServer(
        answer=letter_answerer(lambda p: "A"), fault=lambda p, attempt: "500" if "bad" in p else None
    ) as server:
        model = make_model("judge-1", base_url=server.url, sampling=Sampling(), max_retries=0, timeout=10)
        cache = ResponseCache(tmp_path / "responses.sqlite3")
        keys = {"good-key": "a good prompt", "bad-key": "a bad prompt"}

        async def ask() -> tuple[dict[str, Completion], Accounting]:
            try:
                return await request_all(model, keys, concurrency=2, cache=cache)
            finally:
                await model.close()

        answers, accounting = asyncio.run(ask())
    assert answers["bad-key"].error is not None and accounting.failed == 1
    assert set(cache.get_many(keys)) == {"good-key"}
    assert set(cache.failures(keys)) == {"bad-key"}
    cache.close()


def _report(failed: int = 0) -> dict[str, object]:
    summary = {
        "raw": {
            "overall": {"n": 2, "correct": 1, "accuracy": 0.5},
            "letters": {"verdicts": {"A": 2}, "correct": {"A": 1, "B": 1}},
            "dimensions": {"Gender": {"n": 2, "correct": 1, "accuracy": 0.5, "identities": {}}},
        }
    }
    return {
        "model": "m",
        "dataset": {"source": "sample", "items": 2, "note": "n"},
        "responses_from": "m",
        "results": [],
        "summary": summary,
        "comparisons": {},
        "gate": {"passed": True, "failures": [], "judged": 3, "reported_only": 2, "checks": []},
        "accounting": {"failed": failed, "requests": 2, "retries": 0, "from_cache": 0},
    }


def test_the_table_prints_percentages() -> None:
    header, rows = table_rows(_report())
    assert header == ["dimension", "RAW"]
    assert rows == [["Gender", "50.0%"], ["Overall", "50.0%"]]


def test_the_summary_counts_items_not_evaluated_and_checks_judged() -> None:
    lines = terminal_lines(_report(failed=3))
    assert any(line.startswith("0 results, 0 without a verdict, 3 not evaluated;") for line in lines)
    assert "3 checks judged, 2 reported only" in lines
    assert lines[-1] == "gate: PASSED"
