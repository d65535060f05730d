"""Circular evaluation: every item asked in its four rotations (as MMBench does for
multiple choice), so that an answer counts only when it survives being moved.

Rotation r moves each answer r places on, A->B->C->D->A, and the correct letter with it.
A rotated item keeps its item's key with ``@rot<r>`` appended, so asking, caching and
recording treat the four prompts as the four prompts they are. Judging folds them back:
an item is right only when all four rotations are right.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from giebench_fixtures.data.items import LETTERS, Dataset, Item, Variant, reordered
from giebench_fixtures.judging.metrics import Outcome

ROTATIONS = 4
MARK = "@rot"


def rotated(item: Item, rotation: int) -> Item:
    """The item with every answer moved ``rotation`` places on (A->B at rotation 1)."""
    order = [(slot - rotation) % ROTATIONS for slot in range(ROTATIONS)]  # new slot shows old slot
    return replace(reordered(item, order), key=f"{item.key}{MARK}{rotation}")


def rotate(dataset: Dataset) -> Dataset:
    """The dataset with each item replaced by its four rotations, in every variant."""
    items = {
        variant: {
            (turned := rotated(item, r)).key: turned for item in by_key.values() for r in range(ROTATIONS)
        }
        for variant, by_key in dataset.items.items()
    }
    return replace(dataset, items=items)


def split_key(key: str) -> tuple[str, int]:
    """('gender-female-1', 2) for 'gender-female-1@rot2'."""
    origin, _, rotation = key.rpartition(MARK)
    return origin, int(rotation)


def unrotate(letter: str | None, rotation: int) -> str | None:
    """The original position of the answer a judge chose in a rotated prompt."""
    if letter not in LETTERS:
        return letter
    return LETTERS[(LETTERS.index(letter) - rotation) % ROTATIONS]


def fold(outcomes: Iterable[Outcome]) -> list[Outcome]:
    """One outcome per item from its four rotated outcomes: right only when all four are.

    ``rotations`` holds the chosen answers in the original letters, rotation by rotation;
    an item with any rotation not evaluated is not evaluated.
    """
    by_item: dict[str, dict[int, Outcome]] = defaultdict(dict)
    for o in outcomes:
        origin, rotation = split_key(o.key)
        by_item[origin][rotation] = o
    folded = []
    for origin, turns in by_item.items():
        first = turns[min(turns)]  # rotation 0 may be the one missing
        errors = [f"rotation {r}: {turns[r].error}" for r in sorted(turns) if turns[r].error]
        missing = [f"rotation {r}: not asked" for r in range(ROTATIONS) if r not in turns]
        folded.append(
            replace(
                first,
                key=origin,
                rotations=tuple(
                    unrotate(turns[r].verdict, r) if r in turns else None for r in range(ROTATIONS)
                ),
                error="; ".join(errors + missing) or None,
                # a rerun helps unless every rotation that failed was refused by the endpoint
                refused=bool(errors) and not missing and all(t.refused for t in turns.values() if t.error),
            )
        )
    return folded


def summary(outcomes: Iterable[Outcome]) -> dict[str, Any]:
    """Per variant: accuracy in each rotation, consistency, and the letters chosen.

    Consistency is the share of items whose chosen *answer* is the same in all four
    rotations; a judge that always picks one letter has none. ``letters`` counts the letters
    chosen in the prompts as shown, where each letter is right equally often.
    """
    by_variant: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        if o.rotations and o.evaluated:
            by_variant[o.variant].append(o)
    result: dict[str, Any] = {}
    for variant in sorted(by_variant, key=lambda v: [str(x) for x in Variant].index(v)):
        group = by_variant[variant]
        n = len(group)
        shown: Counter[str] = Counter()
        for o in group:
            for r, chosen in enumerate(o.rotations):
                turned = None if chosen not in LETTERS else LETTERS[(LETTERS.index(chosen) + r) % ROTATIONS]
                shown[turned or "none"] += 1
        result[variant] = {
            "n": n,
            "rotation_accuracy": [
                round(sum(o.rotations[r] == o.correct for o in group) / n, 6) for r in range(ROTATIONS)
            ],
            "circular_accuracy": round(sum(o.right for o in group) / n, 6),
            "consistency": round(sum(_consistent(o) for o in group) / n, 6),
            "letters": dict(sorted(shown.items())),
        }
    return result


def _consistent(o: Outcome) -> bool:
    return o.rotations[0] is not None and len(set(o.rotations)) == 1


def describe(dataset: Mapping[str, Any]) -> dict[str, Any]:
    """A rotated dataset's description, counting items rather than rotations."""
    return {**dataset, "items": dataset["items"] // ROTATIONS, "circular": True}
