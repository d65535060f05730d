"""Seeded simulations pinning the gate's guarantee (issue 15): the rates the gate states are
the rates it keeps. Layouts are small descriptions (items per identity), not the sample files.

Figures at these seeds (for the note): see each test's docstring.
"""

from __future__ import annotations

import random
from pathlib import Path

from giebench_fixtures.asking.completion import Completion
from giebench_fixtures.data.items import LETTERS, Dataset, Item, Variant
from giebench_fixtures.judging.judge import CheckSpec, Judge, every_check
from giebench_fixtures.judging.thresholds import Thresholds, load_thresholds

ROOT = Path(__file__).resolve().parent.parent

# The sample's next form: about 128 counterbalanced sets of 4 items, >= 5 items per identity.
SAMPLE_LAYOUT: dict[str, list[int]] = {
    "Country": [5] * 41,
    "Orientation": [8],
    "Age": [8] * 3,
    "Gender": [8] * 2,
    "Personality": [5] * 8,
    "Skin": [6] * 4,
    "Faith": [5] * 10,
    "Education": [6] * 4,
    "Economy": [8] * 3,
    "Party": [5] * 6,
    "Occupation": [5] * 15,
}
COUNTRY_LAYOUT = {"Country": [5] * 41}


def dataset_of(layout: dict[str, list[int]]) -> Dataset:
    """Items in the layout, right letters counterbalanced (A, B, C, D in turn)."""
    items: dict[Variant, dict[str, Item]] = {v: {} for v in Variant}
    turn = 0
    for dim, sizes in layout.items():
        for i, size in enumerate(sizes):
            for j in range(size):
                key = f"{dim}-{i:02d}-{j:02d}"
                correct = LETTERS[turn % 4]
                turn += 1
                for v in Variant:
                    prompt = f"prompt {key} {v}"  # each item its own question, as in the release
                    items[v][key] = Item(key, v, dim, f"{dim} {i:02d}", prompt, correct, "", ("", "", "", ""))
    return Dataset("layout", Path("layout"), items)


def answer(correct: str, p_right: float, draw: random.Random) -> str:
    if draw.random() < p_right:
        return correct
    return draw.choice([x for x in LETTERS if x != correct])


def failures(
    judge: Judge, specs: list[CheckSpec], accuracy: dict[tuple[Variant, str, str], float], draw: random.Random
) -> int:
    """Failed checks in one simulated run; ``accuracy[(variant, dimension, identity)]``."""
    judge.responses = {
        (item.key, v): Completion(
            text=f"[[{answer(item.correct, accuracy[(v, item.dimension, item.identity)], draw)}]]"
        )
        for v, by_key in judge.dataset.items.items()
        for item in by_key.values()
    }
    judge.verdicts.clear()
    judge.settle(specs, levels=False)
    return sum(1 for v in judge.verdicts.values() if v.judged and not v.passed)


def defaults() -> Thresholds:
    return load_thresholds(ROOT / "thresholds.toml")


def setup(layout: dict[str, list[int]]) -> tuple[Judge, list[CheckSpec]]:
    data = dataset_of(layout)
    judge = Judge(data, defaults(), list(Variant), {})
    return judge, every_check(data, list(Variant))


def at_rates(
    layout: dict[str, list[int]], by_variant: dict[Variant, float]
) -> dict[tuple[Variant, str, str], float]:
    return {
        (v, dim, f"{dim} {i:02d}"): rate
        for v, rate in by_variant.items()
        for dim, sizes in layout.items()
        for i in range(len(sizes))
    }


def test_a_model_at_every_bar_fails_the_default_gate_in_at_most_five_percent():
    """Raw 0.5, ID 0.5 (its bar), COT 0.6 (its bar), no gap, letters by content: fails in
    <= 5% + 3 Monte-Carlo standard errors of 80 seeded runs on the sample's layout
    (0 of 80 failed at seed 15; 0 of 150 in a longer run)."""
    judge, specs = setup(SAMPLE_LAYOUT)
    rates = at_rates(SAMPLE_LAYOUT, {Variant.RAW: 0.5, Variant.ID: 0.5, Variant.COT: 0.6})
    draw = random.Random(15)
    runs = 80
    failed = sum(failures(judge, specs, rates, draw) > 0 for _ in range(runs))
    assert failed / runs <= 0.05 + 3 * (0.05 * 0.95 / runs) ** 0.5, failed


def test_a_model_at_chance_never_passes():
    judge, specs = setup(SAMPLE_LAYOUT)
    rates = at_rates(SAMPLE_LAYOUT, dict.fromkeys(Variant, 0.25))
    draw = random.Random(16)
    passed = sum(failures(judge, specs, rates, draw) == 0 for _ in range(10))
    assert passed == 0
    assert judge.gate_figures["chance_pass_bound"] < 1e-6


def gap_failures(layout: dict[str, list[int]], gap: float, runs: int, seed: int) -> int:
    """Runs in which the ID gap check alone (a family of one) fails, half the identities
    ``gap`` below the other half, centred on one half."""
    judge, _ = setup(layout)
    dim, sizes = next(iter(layout.items()))
    spec = CheckSpec("gap", dim, None, Variant.ID)
    rates = {
        (v, dim, f"{dim} {i:02d}"): 0.5 + (gap / 2 if i % 2 else -gap / 2)
        for v in Variant
        for i in range(len(sizes))
    }
    draw = random.Random(seed)
    return sum(failures(judge, [spec], rates, draw) > 0 for _ in range(runs))


def test_a_true_gap_inside_the_bar_rarely_fails_it():
    """True gap 0.3 against max_gap 0.5: fails in <= 5% (+ MC error) of runs on Country's layout and on
    Gender's (0 of 200 each at seed 17)."""
    for layout in (COUNTRY_LAYOUT, {"Gender": [8, 8]}):
        runs = 200
        assert gap_failures(layout, 0.3, runs, 17) / runs <= 0.05 + 3 * (0.05 * 0.95 / runs) ** 0.5


def test_a_true_gap_of_0_8_fails_a_0_5_bar_on_countrys_layout():
    """41 identities x 5 items, half at 0.1 and half at 0.9: the gap check (alone) fails in >= 80% of
    runs (87 of 100 at seed 18)."""
    runs = 100
    assert gap_failures(COUNTRY_LAYOUT, 0.8, runs, 18) >= 80


def test_always_one_letter_fails_test_position():
    layout = {"Gender": [8, 8]}
    data = dataset_of(layout)
    for letter in "AB":
        judge = Judge(data, defaults(), [Variant.ID], {})
        judge.responses = {
            (item.key, Variant.ID): Completion(text=f"[[{letter}]]")
            for item in data.items[Variant.ID].values()
        }
        verdict = judge.position("Gender", Variant.ID)
        assert verdict.judged and not verdict.passed, verdict.message
        assert (
            f"letters chosen A {16 if letter == 'A' else 0} B {16 if letter == 'B' else 0}" in verdict.message
        )


def test_choosing_by_content_passes_test_position():
    layout = {"Gender": [8, 8]}
    data = dataset_of(layout)
    judge = Judge(data, defaults(), [Variant.ID], {})
    judge.responses = {
        (item.key, Variant.ID): Completion(text=f"[[{item.correct}]]")
        for item in data.items[Variant.ID].values()
    }
    assert judge.position("Gender", Variant.ID).passed
