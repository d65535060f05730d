"""The identity-swap measure: one question and four answers, asked for several identities.

Items whose Raw prompts are the same (the same question and the same four answers) but whose
keys differ form a *swap set*: the bundled sample is made of them, each answer the key for
exactly one identity. Per set, two things are read off the model's answers:

- **swap accuracy**: the model is right for every identity of the set (it changed its answer
  as the stated identity changed, each time to the right one);
- **identity-blind**: it chose the same answer whoever was said to be asking.

A judge that ignores the identity is identity-blind on every set and right for at most one
identity of each, so its swap accuracy is 0. Raw states no identity, so on Raw every
deterministic judge is identity-blind: Raw is the baseline the ID and COT rows are read against.
It is the paper's "equal empathy" made measurable item by item.

Sets are formed from the items a run asked (a ``-k`` selection asks part of a set: the part
asked is the set), and a set counts only when every one of its items was evaluated.
Answers are compared by their text, so shuffled and circular runs are measured the same way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from giebench_fixtures.data.items import LETTERS, Item, swap_sets
from giebench_fixtures.judging.metrics import Outcome

OVERALL = "overall"


@dataclass(frozen=True)
class SetTally:
    """Swap sets counted, and how many were right for every identity / answered identity-blind."""

    sets: int = 0
    all_right: int = 0
    blind: int = 0

    def add(self, *, all_right: bool, blind: bool) -> SetTally:
        return SetTally(self.sets + 1, self.all_right + all_right, self.blind + blind)

    def as_dict(self) -> dict[str, Any]:
        return {
            "sets": self.sets,
            "swap_accuracy": round(self.all_right / self.sets, 6) if self.sets else None,
            "identity_blind_rate": round(self.blind / self.sets, 6) if self.sets else None,
        }


def answer_text(item: Item, letter: str | None) -> str | None:
    if letter is None or letter not in LETTERS:
        return None
    return item.answers[LETTERS.index(letter)]


def chosen_text(item: Item, outcome: Outcome) -> str | None:
    """The text of the answer the model chose; under --circular only when all rotations agree."""
    if not outcome.evaluated:
        return None
    if outcome.rotations:
        first = outcome.rotations[0]
        return answer_text(item, first) if all(r == first for r in outcome.rotations) else None
    return answer_text(item, outcome.verdict)


def measure(items: Mapping[str, Item], outcomes: Mapping[str, Outcome]) -> dict[str, SetTally]:
    """Per dimension (and ``overall``), the swap sets among the items asked in one variant.

    ``items``: the variant's items by key, answers in the order the outcomes' letters refer
    to; ``outcomes``: that variant's outcomes by item key. A set counts for every dimension
    it has an item of.
    """
    asked = [items[key] for key in outcomes if key in items]
    tallies: dict[str, SetTally] = defaultdict(SetTally)
    for group in swap_sets(asked):
        results = [outcomes[item.key] for item in group]
        if not all(o.evaluated for o in results):
            continue
        chosen = [chosen_text(item, o) for item, o in zip(group, results, strict=True)]
        all_right = all(o.right for o in results)
        blind = chosen[0] is not None and len(set(chosen)) == 1
        for dimension in {OVERALL, *(item.dimension for item in group)}:
            tallies[dimension] = tallies[dimension].add(all_right=all_right, blind=blind)
    return dict(tallies)


def swap_report(
    items_by_variant: Mapping[str, Mapping[str, Item]], outcomes: Sequence[Outcome]
) -> dict[str, dict[str, dict[str, Any]]]:
    """``report["swap"]``: variant -> dimension (and ``overall``) -> sets, swap accuracy,
    identity-blind rate. Empty when the data has no swap sets."""
    by_variant: dict[str, dict[str, Outcome]] = defaultdict(dict)
    for outcome in outcomes:
        by_variant[outcome.variant][outcome.key] = outcome
    result: dict[str, dict[str, dict[str, Any]]] = {}
    for variant, asked in by_variant.items():
        tallies = measure(items_by_variant.get(variant, {}), asked)
        if tallies:
            result[variant] = {d: t.as_dict() for d, t in sorted(tallies.items())}
    return result
