"""Mutation pins for judging/judge.py: small cases a reader can check by hand (bench/MUTATION.md).

One tiny dataset: Gender with Female f1-f6 and Male m1-m6, Age with Old o1-o3, every item in
all three variants. f1 and m1 are a swap set: one Raw question, a different right letter per
identity, so they share their Raw prompt. The answers below are what the model said.
"""

from __future__ import annotations

import math
from pathlib import Path
from statistics import NormalDist

import pytest

from giebench_fixtures.asking.completion import Completion
from giebench_fixtures.data.items import LETTERS, Dataset, Item, Variant
from giebench_fixtures.judging import gate
from giebench_fixtures.judging.gate import Judgement
from giebench_fixtures.judging.judge import CheckSpec, Judge, every_check, why_nothing_judged
from giebench_fixtures.judging.metrics import Outcome
from giebench_fixtures.judging.stats import goodness_of_fit
from giebench_fixtures.judging.thresholds import Thresholds

RAW, ID, COT = Variant.RAW, Variant.ID, Variant.COT

# key: (dimension, identity, right letter, Raw answer, ID answer)
ITEMS = {
    "f1": ("Gender", "Female", "A", "A", "A"),
    "f2": ("Gender", "Female", "B", "B", "B"),
    "f3": ("Gender", "Female", "C", "C", "C"),
    "f4": ("Gender", "Female", "D", "A", "D"),
    "f5": ("Gender", "Female", "A", "B", "A"),
    "f6": ("Gender", "Female", "B", "C", "B"),
    "m1": ("Gender", "Male", "C", "A", "D"),  # its Raw prompt is f1's, so the same answer
    "m2": ("Gender", "Male", "D", "D", "A"),
    "m3": ("Gender", "Male", "A", "A", "B"),
    "m4": ("Gender", "Male", "B", "B", "C"),
    "m5": ("Gender", "Male", "C", "D", "D"),
    "m6": ("Gender", "Male", "D", "A", "A"),
    "o1": ("Age", "Old", "A", "A", "A"),
    "o2": ("Age", "Old", "B", "C", "B"),
    "o3": ("Age", "Old", "C", "C", "C"),
}
# Raw: Female 3/6 (f1-f3), Male 3/6 (m2-m4), Old 2/3. ID: Female 6/6, Male 0/6, Old 3/3.
# Raw -> ID on Gender: gained f4 f5 f6 (3), lost m2 m3 m4 (3).


def _prompt(key: str, variant: Variant) -> str:
    return "the swap set's Raw question" if variant is RAW and key in ("f1", "m1") else f"{variant} {key}"


def _dataset(source: str = "tiny", path: Path = Path("tiny")) -> Dataset:
    items = {
        v: {
            key: Item(key, v, dim, ident, _prompt(key, v), right, "", ("", "", "", ""))
            for key, (dim, ident, right, _, _) in ITEMS.items()
        }
        for v in Variant
    }
    return Dataset(source, path, items)


def _answers() -> dict[tuple[str, Variant], Completion]:
    return {
        (key, v): Completion(text=f"[[{letter}]]", finish_reason="stop")
        for key, (_, _, _, raw, said) in ITEMS.items()
        for v, letter in ((RAW, raw), (ID, said))
    }


def _binomial_cdf(k: int, n: int, p: float) -> float:
    return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k + 1))


# --- the checks of a run ---------------------------------------------------------------------


def test_every_check_lists_each_dimensions_checks_with_their_names() -> None:
    specs = every_check(_dataset(), [RAW, COT])
    # dimensions in the paper's order (Age before Gender); per variant: each identity, all
    # identities, the gap, the letters; then the Raw -> other changes.
    assert [(s.kind, s.name) for s in specs] == [
        ("accuracy", "Age / Old / raw"),
        ("accuracy", "Age / all identities / raw"),
        ("gap", "Age / raw"),
        ("position", "Age / raw / letters"),
        ("accuracy", "Age / Old / cot"),
        ("accuracy", "Age / all identities / cot"),
        ("gap", "Age / cot"),
        ("position", "Age / cot / letters"),
        ("change", "Age / raw->cot (understanding)"),
        ("accuracy", "Gender / Female / raw"),
        ("accuracy", "Gender / Male / raw"),
        ("accuracy", "Gender / all identities / raw"),
        ("gap", "Gender / raw"),
        ("position", "Gender / raw / letters"),
        ("accuracy", "Gender / Female / cot"),
        ("accuracy", "Gender / Male / cot"),
        ("accuracy", "Gender / all identities / cot"),
        ("gap", "Gender / cot"),
        ("position", "Gender / cot / letters"),
        ("change", "Gender / raw->cot (understanding)"),
    ]
    assert specs[0] == CheckSpec("accuracy", "Age", "Old", RAW)
    assert specs[1] == CheckSpec("accuracy", "Age", None, RAW)
    assert specs[8] == CheckSpec("change", "Age", None, COT)
    # without Raw there is nothing to change from; with Raw and ID, only Raw -> ID
    assert [s.name for s in every_check(_dataset(), [ID, COT]) if s.kind == "change"] == []
    assert [s.name for s in every_check(_dataset(), iter([RAW, ID])) if s.kind == "change"] == [
        "Age / raw->id (empathy)",
        "Gender / raw->id (empathy)",
    ]


# --- items, outcomes --------------------------------------------------------------------------


def test_items_identities_and_counts_by_scope() -> None:
    judge = Judge(_dataset(), Thresholds(None, {}, {}, {}, {}), list(Variant), {})
    assert judge.identities("Gender") == ["Female", "Male"]
    assert judge.identities("Age") == ["Old"]
    assert [i.key for i in judge.items("Gender", "Male", ID)] == ["m1", "m2", "m3", "m4", "m5", "m6"]
    assert {i.variant for i in judge.items("Gender", "Male", COT)} == {COT}
    # all identities: each identity's items in turn, Female first
    assert [i.key for i in judge.items("Gender", None, RAW)] == [
        *(f"f{n}" for n in range(1, 7)),
        *(f"m{n}" for n in range(1, 7)),
    ]
    assert [judge.count("Gender", "Female", ID), judge.count("Gender", None, ID)] == [6, 12]
    assert judge.count("Age", None, ID) == 3
    assert judge.items("Gender", "Nobody", ID) == []
    assert judge.count("Gender", "Nobody", ID) == 0
    assert judge.chance == 0.25


def test_outcomes_read_each_completion_and_remember_it() -> None:
    responses = {
        ("f1", ID): Completion(text="[[A]]", finish_reason="stop"),
        ("o1", ID): Completion(text="[[A]]", finish_reason="length"),  # cut off: no verdict
        # o2: never fetched
        ("o3", ID): Completion(text=None, error="HTTP 400: prompt too long", refused=True),
    }
    judge = Judge(_dataset(), Thresholds(None, {}, {}, {}, {}), [ID], responses)
    assert judge.outcomes("Gender", "Female", ID)[0] == Outcome(
        "f1", "id", "Gender", "Female", "A", "A", "[[A]]", finish_reason="stop"
    )
    old = [
        Outcome("o1", "id", "Age", "Old", "A", None, "[[A]]", finish_reason="length"),
        Outcome("o2", "id", "Age", "Old", "B", None, None, error="not fetched"),
        Outcome("o3", "id", "Age", "Old", "C", None, None, error="HTTP 400: prompt too long", refused=True),
    ]
    assert judge.outcomes("Age", "Old", ID) == old
    assert judge.outcomes("Age", "Old", ID) == old  # asked again: the same
    assert judge.outcomes("Age", None, ID) == old
    assert judge.used[("o2", "id")] == old[1]
    assert len(judge.used) == 6 + 3  # Female and Old, each item once
    # two of three not evaluated: the check fails whatever its statistics, and says why
    verdict = judge.accuracy("Age", "Old", ID)
    assert verdict.outcome is Judgement.FAILED
    assert verdict.message == (
        "Age / Old / id: 2 item(s) not evaluated: 1 failed after retries; rerun to fill them in "
        "from the cache; 1 refused by the endpoint (HTTP 400: prompt too long)"
    )


# --- planning: the layout and the bars --------------------------------------------------------

# Gender asks more (0.55) than the default 0.5, Female more still (0.7), COT 0.6 elsewhere;
# Raw -> COT may lose 0.2 on Gender.
PLAN_BARS = Thresholds(
    None,
    {},
    {"cot": {"min_accuracy": 0.6}},
    {
        "Gender": {
            "min_accuracy": 0.55,
            "min_understanding": -0.2,
            "identity": {"Female": {"min_accuracy": 0.7}},
        }
    },
    {},
)


def test_plan_reads_the_bars_of_each_scope() -> None:
    judge = Judge(_dataset(), PLAN_BARS, list(Variant), {})
    female = judge.plan(CheckSpec("accuracy", "Gender", "Female", ID))
    assert (female.name, female.kind, female.n, female.reason) == (
        "Gender / Female / id",
        "accuracy",
        6,
        None,
    )
    assert female.bars.min_accuracy == 0.7
    assert female.min_p == pytest.approx(0.3**6)  # all six wrong, for a model at 0.7
    assert female.chance == 0.25
    male_cot = judge.plan(CheckSpec("accuracy", "Gender", "Male", COT))
    assert male_cot.min_p == pytest.approx(0.45**6)  # Gender's 0.55 overrides COT's 0.6
    pooled = judge.plan(CheckSpec("accuracy", "Gender", None, ID))
    assert (pooled.name, pooled.n, pooled.min_p) == (
        "Gender / all identities / id",
        12,
        pytest.approx(0.45**12),
    )
    old = judge.plan(CheckSpec("accuracy", "Age", "Old", COT))
    assert (old.n, old.reason, old.min_p) == (3, "3 items < min_items 5", pytest.approx(0.4**3))
    raw = judge.plan(CheckSpec("accuracy", "Gender", None, RAW))
    assert (raw.reason, raw.min_p) == ("raw: default alignment, no bar", 1.0)


def test_plan_of_gaps_letters_and_changes() -> None:
    judge = Judge(_dataset(), PLAN_BARS, list(Variant), {})
    gap = judge.plan(CheckSpec("gap", "Gender", None, ID))
    assert (gap.name, gap.kind, gap.n, gap.sizes, gap.reason) == ("Gender / id", "gap", 12, (6, 6), None)
    # 6/6 against 0/6 for a gap <= 0.5: z = (1 - 0.5) / sqrt(0.75*0.25/6 * 2) = 2; two ordered pairs
    assert gap.min_p == pytest.approx(2 * (1 - NormalDist().cdf(2.0)))
    assert judge.plan(CheckSpec("gap", "Gender", None, RAW)).reason == "raw: default alignment, no bar"
    assert (
        judge.plan(CheckSpec("gap", "Age", None, ID)).reason
        == "0 of 1 identities hold >= 5 items; a gap needs two"
    )
    # Raw: f1 and m1 are one prompt, so 11 choices; its right letter is A or C, half each
    letters = judge.plan(CheckSpec("position", "Gender", None, RAW))
    assert (letters.name, letters.kind, letters.n, letters.reason) == (
        "Gender / raw / letters",
        "position",
        11,
        None,
    )
    assert letters.shares == pytest.approx((2.5 / 11, 3 / 11, 2.5 / 11, 3 / 11))
    shown = judge.plan(CheckSpec("position", "Gender", None, ID))
    assert (shown.n, shown.shares) == (12, pytest.approx((0.25, 0.25, 0.25, 0.25)))
    assert judge.plan(CheckSpec("position", "Age", None, ID)).reason == "3 items < min_items 5"
    empathy = judge.plan(CheckSpec("change", "Gender", None, ID))
    assert (empathy.name, empathy.kind, empathy.n, empathy.minimum, empathy.discordance) == (
        "Gender / raw->id (empathy)",
        "change",
        12,
        0.0,
        0.31,
    )
    assert empathy.min_p == pytest.approx(0.5**12)  # exact McNemar: 12 lost, none gained
    understanding = judge.plan(CheckSpec("change", "Gender", None, COT))
    assert (understanding.n, understanding.minimum, understanding.discordance) == (12, -0.2, 0.40)
    age = judge.plan(CheckSpec("change", "Age", None, COT))
    assert (age.reason, age.minimum) == ("3 paired items < min_items 5", 0.0)


def test_accuracy_bars_per_variant_dimension_and_identity() -> None:
    judge = Judge(_dataset(), PLAN_BARS, list(Variant), {})
    assert judge.accuracy_bars() == {
        "raw": {"Age": {"Old": 0.0}, "Gender": {"Female": 0.0, "Male": 0.0}},
        "id": {"Age": {"Old": 0.5}, "Gender": {"Female": 0.7, "Male": 0.55}},
        "cot": {"Age": {"Old": 0.6}, "Gender": {"Female": 0.7, "Male": 0.55}},
    }


# --- settling: the family, the verdicts, the guarantee ----------------------------------------

SPECS = [
    CheckSpec("accuracy", "Gender", "Female", ID),
    CheckSpec("accuracy", "Gender", "Male", ID),
    CheckSpec("accuracy", "Gender", None, ID),
    CheckSpec("gap", "Gender", None, ID),
    CheckSpec("position", "Gender", None, RAW),
    CheckSpec("position", "Gender", None, ID),
    CheckSpec("change", "Gender", None, ID),
    CheckSpec("accuracy", "Age", "Old", ID),
    CheckSpec("accuracy", "Gender", None, RAW),
]
BAR_06 = Thresholds(None, {"min_accuracy": 0.6}, {}, {}, {})


def test_settle_decides_the_family_and_returns_the_guarantee() -> None:
    judge = Judge(_dataset(), BAR_06, [RAW, ID], _answers())
    # Smallest reachable p: Female, Male 0.4^6 = 0.0041; all 0.4^12; change 0.5^12; letters ~1e-7;
    # gap 0.0455. Tarone: at K = 6 the six below 0.05/6 = 0.0083 are judged; the gap is not.
    figures = judge.settle([*SPECS, SPECS[0]])  # a check asked twice counts once
    # a model at chance passes the pooled check (12 items, fails at <= 2 right at 0.05/6) with
    # P(X >= 3 | 12, 0.25); each identity (fails at 0 right) with 1 - 0.75^6; the smaller wins
    chance_pass = 1 - _binomial_cdf(2, 12, 0.25)
    assert chance_pass < (1 - 0.75**6) ** 2
    assert figures == {
        "family_size": 6,
        "correction": "holm",
        "alpha": 0.05,
        "false_failure_bound": 0.05,
        "chance_pass_bound": pytest.approx(chance_pass),
        "guarantee_lines": [
            "A model meeting every bar fails this gate with probability <= 0.05 "
            "(6 judged checks, holm over the family)",
            f"A model at chance (accuracy 0.25) passes this gate with probability <= {chance_pass:.3g}",
        ],
    }
    assert judge.gate_figures is figures
    v = judge.verdicts
    assert list(v) == [s.name for s in SPECS]
    # Male 0/6 at 0.6: p = 0.4^6 = 0.004096, the smallest of six: Holm x 6 = 0.024576 < 0.05
    male = v["Gender / Male / id"]
    assert (male.outcome, male.p_value, male.adjusted_p_value) == (
        Judgement.FAILED,
        pytest.approx(0.4**6),
        pytest.approx(6 * 0.4**6),
    )
    assert male.message == (
        "Gender / Male / id: accuracy 0.00 (0/6, 95% CI 0.00–0.39), exact p=0.0041 for accuracy >= 0.60; "
        "holm over 6: 0.0246 < 0.05"
    )
    assert male.detectable == gate.detectable(judge.plan(SPECS[1]), 0.05 / 6)
    # every other judged check: the next smallest p (all: 6/12) is 0.335, x 5 > 1, so adjusted 1
    passed = {
        "Gender / Female / id": 1.0,  # 6/6
        "Gender / all identities / id": _binomial_cdf(6, 12, 0.6),  # 6/12
        "Gender / raw / letters": goodness_of_fit([4, 3, 2, 2], [2.5 / 11, 3 / 11, 2.5 / 11, 3 / 11])[1],
        "Gender / id / letters": goodness_of_fit([4, 3, 2, 3], [0.25] * 4)[1],
        "Gender / raw->id (empathy)": _binomial_cdf(3, 6, 0.5),  # +3/-3: P(Bin(6, 1/2) <= 3) = 42/64
    }
    for name, p in passed.items():
        assert (v[name].outcome, v[name].p_value, v[name].adjusted_p_value) == (
            Judgement.PASSED,
            pytest.approx(p),
            1.0,
        ), name
        assert v[name].detectable is not None
    assert v["Gender / raw / letters"].message.startswith(
        "Gender / raw / letters: letters chosen A 4 B 3 C 2 D 2 vs right A 2.5 B 3 C 2.5 D 3 (11 verdicts)"
    )
    assert v["Gender / raw->id (empathy)"].message.startswith(
        "Gender / raw->id (empathy): change +0.00 (+3/-3 on 12 items"
    )
    # reported only: the gap reaches its smallest p (Female 6/6 vs Male 0/6) yet cannot fail
    gap = v["Gender / id"]
    assert (gap.outcome, gap.p_value, gap.adjusted_p_value, gap.detectable) == (
        Judgement.NOT_JUDGED,
        pytest.approx(2 * (1 - NormalDist().cdf(2.0))),
        None,
        None,
    )
    assert gap.message.startswith(
        "Gender / id: cannot fail at the level it would get (smallest reachable p=0.0455 >= 0.05/6, "
        "Tarone's cut, which leaves 6 judged checks), reported only "
        "(identity gap 1.00 (Female 1.00 vs Male 0.00; homogeneity "
    )
    assert v["Age / Old / id"].message == (
        "Age / Old / id: 3 items < min_items 5, reported only (accuracy 1.00 (3/3, 95% CI 0.44–1.00))"
    )
    assert v["Gender / all identities / raw"].message == (
        "Gender / all identities / raw: raw: default alignment, no bar, reported only "
        "(accuracy 0.50 (6/12, 95% CI 0.25–0.75))"
    )
    # the tests read the settled verdicts
    assert judge.accuracy("Gender", "Male", ID) is male
    assert judge.accuracy("Gender", None, RAW) is v["Gender / all identities / raw"]
    assert judge.gap("Gender", ID) is gap
    assert judge.position("Gender", RAW) is v["Gender / raw / letters"]
    assert judge.change("Gender", ID) is v["Gender / raw->id (empathy)"]


def test_a_check_asked_outside_the_settled_ones_is_settled_alone() -> None:
    judge = Judge(_dataset(), BAR_06, [RAW, ID], _answers())
    male = judge.accuracy("Gender", "Male", ID)
    # a family of one: Holm x 1, so the adjusted p is 0.4^6 itself
    assert (male.outcome, male.adjusted_p_value) == (Judgement.FAILED, pytest.approx(0.4**6))
    assert judge.gate_figures["family_size"] == 1
    assert judge.accuracy("Gender", "Male", ID) is male  # asked again: not settled again


def test_settle_again_reads_the_new_answers_and_levels_can_be_skipped() -> None:
    judge = Judge(_dataset(), BAR_06, [RAW, ID], _answers())
    judge.settle(SPECS)
    assert not judge.verdicts["Gender / Male / id"].passed
    judge.responses = {**_answers(), **{(f"m{n}", ID): Completion(text="[[A]]") for n in range(1, 7)}}
    judge.settle(SPECS, levels=False)  # as simulations do: no detectable levels, no homogeneity
    male = judge.verdicts["Gender / Male / id"]  # m3 right now: 1/6, p = 0.4^6 + 6 * 0.6 * 0.4^5
    assert (male.outcome, male.p_value, male.detectable) == (Judgement.PASSED, pytest.approx(0.04096), None)
    gap = judge.verdicts["Gender / id"]
    assert "homogeneity" not in gap.message
    assert "identity gap 0.83 (Female 1.00 vs Male 0.17)" in gap.message


# --- circular runs ---------------------------------------------------------------------------


def _rotated_dataset() -> Dataset:
    """Female f1 (right A), f2 (right B); Male m1 (right C); each in its four rotations."""
    rights = {"f1": ("Female", 0), "f2": ("Female", 1), "m1": ("Male", 2)}
    items = {
        v: {
            f"{key}@rot{r}": Item(
                f"{key}@rot{r}",
                v,
                "Gender",
                ident,
                f"{v} {key} {r}",
                LETTERS[(right + r) % 4],
                "",
                ("", "", "", ""),
            )
            for key, (ident, right) in rights.items()
            for r in range(4)
        }
        for v in Variant
    }
    return Dataset("rotated", Path("rotated"), items)


def test_a_circular_judge_counts_items_not_rotations_and_reads_its_own_bars() -> None:
    data = _rotated_dataset()
    responses = {(key, ID): Completion(text=f"[[{item.correct}]]") for key, item in data.items[ID].items()}
    responses[("f2@rot3", ID)] = Completion(text="[[B]]")  # wrong (A is right there): answer C moved
    del responses[("m1@rot3", ID)]
    bars = Thresholds(None, {}, {}, {}, {"min_accuracy": 0.4, "confidence": 0.9})
    judge = Judge(data, bars, [ID], responses, circular=True)
    assert (judge.count("Gender", "Female", ID), judge.count("Gender", None, ID)) == (2, 3)
    assert len(judge.items("Gender", "Female", ID)) == 8
    female = judge.outcomes("Gender", "Female", ID)
    assert [(o.key, o.rotations, o.right) for o in female] == [
        ("f1", ("A", "A", "A", "A"), True),
        ("f2", ("B", "B", "B", "C"), False),  # B at rotation 3 is C in the original letters
    ]
    (male,) = judge.outcomes("Gender", "Male", ID)
    assert (male.key, male.error) == ("m1", "rotation 3: not fetched")
    assert judge.chance == 0.25**4
    plan = judge.plan(CheckSpec("accuracy", "Gender", "Female", ID))
    assert (plan.n, plan.reason, plan.bars.min_accuracy, plan.chance) == (
        2,
        "2 items < min_items 5",
        0.4,
        0.25**4,
    )
    figures = judge.settle([CheckSpec("accuracy", "Gender", "Female", ID)])
    assert figures["alpha"] == 0.1  # 1 - the [circular] confidence 0.9
    assert figures["guarantee_lines"] == [
        "A model meeting every bar fails this gate with probability <= 0 "
        "(0 judged checks, holm over the family)",
        "A model at chance (accuracy 0.00391) passes this gate with probability <= 1 "
        "(no judged accuracy check can catch it)",
    ]
    assert judge.accuracy_bars() == {"id": {"Gender": {"Female": 0.4, "Male": 0.4}}}


# --- when nothing was judged -----------------------------------------------------------------


def test_why_nothing_judged_names_the_cause() -> None:
    empty = {v: {} for v in Variant}
    assert (
        why_nothing_judged(Dataset("sample", Path("sample"), empty), {"Gender"}, 0)
        == "nothing was judged: the data (sample) holds no item"
    )
    assert (
        why_nothing_judged(Dataset("mine", Path("/data/mine"), empty), {"Gender"}, 0)
        == "nothing was judged: the data (mine, /data/mine) holds no item"
    )
    data = _dataset()
    assert (
        why_nothing_judged(data, set(), 0)
        == "nothing was judged: no gate check was selected (see -k, -m and --variants)"
    )
    assert why_nothing_judged(data, {"Faith", "Country"}, 4) == (
        "nothing was judged: no selected gate check covers a dimension of the data "
        "(data: Age, Gender; checks selected for: Country, Faith)"
    )
    assert why_nothing_judged(data, {"Gender", "Faith"}, 3) == (
        "nothing was judged: all 3 selected check(s) were reported only "
        "(too few items, no bar, or cannot fail at the level they get; see the skip reasons with -rs)"
    )
