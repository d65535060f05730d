"""The detectable level each check states holds: simulated runs of the real checks fail at
least 80% of the time at the stated level, and clearly less often just above it.

Folders of 2, 10 and 33 items per identity (the GIEBench release holds about 2 per Country,
4 per Occupation, 10 per Faith identity and 33 per Gender identity)."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

import pytest

from giebench_fixtures.judging import gate, power
from giebench_fixtures.judging.gate import check_accuracy, check_change, check_gap
from giebench_fixtures.judging.metrics import Outcome
from giebench_fixtures.judging.thresholds import Bars

TRIALS = 2000
SD = math.sqrt(0.8 * 0.2 / TRIALS)  # of a simulated rate near 0.8


def _outcomes(right: int, n: int, identity: str = "I", variant: str = "id") -> list[Outcome]:
    return [
        Outcome(f"{identity}{i}", variant, "D", identity, "A", "A" if i < right else "B", "")
        for i in range(n)
    ]


def _binomial(rng: random.Random, n: int, p: float) -> int:
    return sum(rng.random() < p for _ in range(n))


def _rate(fails: Callable[[random.Random], bool], seed: int) -> float:
    rng = random.Random(seed)
    return sum(fails(rng) for _ in range(TRIALS)) / TRIALS


def _shown(text: str) -> float:
    """The level as reports print it ('fails below 0.21 with ...', '... gap of 0.59 or more')."""
    return float(next(w for w in text.replace("+", "").split() if w[-1].isdigit() and "." in w))


def test_a_level_by_hand() -> None:
    # Two items, point mode at 0.5: the check fails only at 0 of 2, with probability (1 - p)^2,
    # which is 0.8 at p = 1 - sqrt(0.8) = 0.1056.
    level = gate.accuracy_power(2, Bars(accuracy_judge="point", min_items=1))
    assert level.level == pytest.approx(1 - math.sqrt(0.8))
    assert level.describe() == "fails below 0.10 with 80% probability; cannot catch a model at chance (0.25)"
    # ... and on its 95% interval, 0 of 2 still reaches 0.66: that check can never fail
    assert gate.accuracy_power(2, Bars(min_items=1)).level is None


@pytest.mark.parametrize("n", [2, 10, 33])
@pytest.mark.parametrize("judge", ["interval", "point"])
def test_accuracy_level_holds(n: int, judge: str) -> None:
    bars = Bars(accuracy_judge=judge, min_items=1)  # type: ignore[arg-type]
    detectable = gate.accuracy_power(n, bars)
    verdicts = {k: not check_accuracy("s", _outcomes(k, n), bars).passed for k in range(n + 1)}
    if detectable.level is None:
        assert not any(verdicts.values())  # no outcome at all fails it
        return
    shown = _shown(detectable.describe())
    exact = power.accuracy_fail_probability(n, lambda k: verdicts[k], shown)
    above = power.accuracy_fail_probability(n, lambda k: verdicts[k], detectable.level + 0.02)
    assert exact >= 0.8 > above
    at_level = _rate(lambda rng: verdicts[_binomial(rng, n, shown)], seed=n)
    just_above = _rate(lambda rng: verdicts[_binomial(rng, n, detectable.level + 0.05)], seed=n + 1)
    assert at_level >= 0.8 - 3 * SD and abs(at_level - exact) < 4 * SD
    assert just_above < 0.8


@pytest.mark.parametrize(
    ("sizes", "judge"), [((2, 2, 2), "point"), ((10, 10, 10), "interval"), ((33, 33), "interval")]
)
def test_gap_level_holds(sizes: tuple[int, ...], judge: str) -> None:
    """One identity d below the others (0.5 - d/2 against 0.5 + d/2), as the level assumes."""
    bars = Bars(gap_judge=judge, min_items=1)  # type: ignore[arg-type]
    detectable = gate.gap_power(sizes, bars)
    assert detectable.level is not None
    seen: dict[tuple[int, ...], bool] = {}

    def verdict(rights: tuple[int, ...]) -> bool:
        if rights not in seen:
            by_identity = {
                f"i{j}": _outcomes(k, n, f"i{j}") for j, (k, n) in enumerate(zip(rights, sizes, strict=True))
            }
            seen[rights] = check_gap("D / id", by_identity, bars).outcome is gate.Judgement.FAILED
        return seen[rights]

    shown = _shown(detectable.describe())

    def fails_at(gap: float) -> Callable[[random.Random], bool]:
        def run(rng: random.Random) -> bool:
            rights = tuple(_binomial(rng, n, 0.5 + (gap if j else -gap) / 2) for j, n in enumerate(sizes))
            return verdict(rights)

        return run

    exact = power.gap_fail_probability(sizes, gate.gap_rule(bars), shown)
    assert exact >= 0.8 > power.gap_fail_probability(sizes, gate.gap_rule(bars), detectable.level - 0.02)
    at_level = _rate(fails_at(shown), seed=len(sizes))
    below = _rate(fails_at(detectable.level - 0.05), seed=7)
    assert at_level >= 0.8 - 3 * SD and abs(at_level - exact) < 4 * SD
    assert below < 0.8


@pytest.mark.parametrize("n", [2, 10, 33])
def test_change_level_holds(n: int) -> None:
    """Items flip between Raw and ID at the paper's median rate (31%), the change as stated."""
    bars = Bars(min_items=1, change_judge="point" if n == 2 else "interval")
    flipped = power.DISCORDANCE["id"]
    detectable = gate.change_power(n, 0.0, bars, flipped)
    assert detectable.level is not None
    shown = _shown(detectable.describe())
    seen: dict[tuple[int, int], bool] = {}

    def verdict(gained: int, lost: int) -> bool:
        """The real check on n items: gained ones wrong under Raw, lost ones right, the rest right."""
        if (gained, lost) not in seen:
            raw = [Outcome(f"k{i}", "raw", "D", "I", "A", "B" if i < gained else "A", "") for i in range(n)]
            other = [
                Outcome(f"k{i}", "id", "D", "I", "A", "B" if gained <= i < gained + lost else "A", "")
                for i in range(n)
            ]
            check, _ = check_change("D / raw->id", raw, other, 0.0, bars)
            seen[(gained, lost)] = check.outcome is gate.Judgement.FAILED
        return seen[(gained, lost)]

    def fails_at(change: float) -> Callable[[random.Random], bool]:
        share = max(flipped, abs(change))
        gain, loss = (share + change) / 2, (share - change) / 2

        def run(rng: random.Random) -> bool:
            draws = [rng.random() for _ in range(n)]
            gained = sum(u < gain for u in draws)
            return verdict(gained, sum(gain <= u < gain + loss for u in draws))

        return run

    def rule(g: int, lost: int) -> bool:
        return gate.change_fails(g, lost, n, 0.0, bars)

    exact = power.change_fail_probability(n, rule, shown, flipped)
    assert exact >= 0.8 > power.change_fail_probability(n, rule, detectable.level + 0.02, flipped)
    at_level = _rate(fails_at(shown), seed=n)
    above = _rate(fails_at(detectable.level + 0.05), seed=n + 1)
    assert at_level >= 0.8 - 3 * SD and abs(at_level - exact) < 4 * SD
    assert above < 0.8
