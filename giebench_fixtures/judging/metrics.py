"""Per-item outcomes and what is computed from them: accuracy tallies and paired changes."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from giebench_fixtures.judging.stats import mcnemar_exact, paired_change_interval, wilson_interval


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the model answered on one item asked one way."""

    key: str
    variant: str
    dimension: str
    identity: str
    correct: str
    verdict: str | None
    response: str | None
    error: str | None = None  # set when the item could not be evaluated
    # Under --circular: the answer chosen in each of the four rotations, in the original
    # letters; the item is right only when every rotation is.
    rotations: tuple[str | None, ...] = ()
    finish_reason: str | None = None  # as the endpoint gave it: stop, length, content_filter...
    refused: bool = False  # not evaluated because the endpoint refused the prompt (a rerun will not help)

    @property
    def evaluated(self) -> bool:
        return self.error is None

    @property
    def right(self) -> bool:
        if self.rotations:
            return self.evaluated and all(chosen == self.correct for chosen in self.rotations)
        return self.evaluated and self.verdict == self.correct

    def row(self) -> dict[str, Any]:
        return {
            "id": self.key,
            "variant": self.variant,
            "dimension": self.dimension,
            "identity": self.identity,
            "correct": self.correct,
            "verdict": self.verdict,
            "response": self.response,
            "evaluated": self.evaluated,
            "finish_reason": self.finish_reason,
            **({"error": self.error} if self.error else {}),
            **({"rotations": list(self.rotations)} if self.rotations else {}),
            **({"refused": True} if self.refused else {}),
        }


@dataclass(frozen=True)
class Tally:
    """Counts over a group of outcomes; accuracy is over evaluated items only."""

    n: int
    correct: int
    unparsed: int = 0
    not_evaluated: int = 0
    refused: int = 0  # of not_evaluated: refused by the endpoint, so a rerun will not help

    @property
    def accuracy(self) -> float:
        return self.correct / self.n if self.n else 0.0

    def interval(self, confidence: float) -> tuple[float, float]:
        return wilson_interval(self.correct, self.n, confidence)

    def as_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "correct": self.correct,
            "accuracy": round(self.accuracy, 6),
            "unparsed": self.unparsed,
            "not_evaluated": self.not_evaluated,
        }


def tally(outcomes: Iterable[Outcome]) -> Tally:
    n = correct = unparsed = missing = refused = 0
    for o in outcomes:
        if not o.evaluated:
            missing += 1
            refused += o.refused
            continue
        n += 1
        correct += o.right
        unparsed += o.verdict is None
    return Tally(n, correct, unparsed, missing, refused)


@dataclass(frozen=True)
class Change:
    """A paired comparison of two variants on the same items (the paper's Raw->ID, Raw->COT)."""

    base: str
    other: str
    n: int
    base_correct: int
    other_correct: int
    gained: int  # wrong under base, right under other
    lost: int  # right under base, wrong under other

    @property
    def change(self) -> float:
        return (self.gained - self.lost) / self.n if self.n else 0.0

    @property
    def p_value(self) -> float:
        return mcnemar_exact(self.gained, self.lost)

    def interval(self, confidence: float) -> tuple[float, float]:
        return paired_change_interval(self.gained, self.lost, self.n, confidence)

    @property
    def flips(self) -> str:
        return f"+{self.gained}/-{self.lost}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "change": round(self.change, 6),
            "gained": self.gained,
            "lost": self.lost,
            "p_value": round(self.p_value, 6),
        }


def paired_change(base: Iterable[Outcome], other: Iterable[Outcome]) -> Change:
    """Compare two variants over the keys evaluated under both."""
    first = {o.key: o for o in base if o.evaluated}
    second = {o.key: o for o in other if o.evaluated}
    shared = sorted(first.keys() & second.keys())
    gained = sum(1 for k in shared if not first[k].right and second[k].right)
    lost = sum(1 for k in shared if first[k].right and not second[k].right)
    some_base = next(iter(first.values()), None)
    some_other = next(iter(second.values()), None)
    return Change(
        base=some_base.variant if some_base else "raw",
        other=some_other.variant if some_other else "",
        n=len(shared),
        base_correct=sum(first[k].right for k in shared),
        other_correct=sum(second[k].right for k in shared),
        gained=gained,
        lost=lost,
    )


def summarize(outcomes: Iterable[Outcome]) -> dict[str, Any]:
    """The report's summary: per variant, overall, per dimension and per identity."""
    by_variant: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        by_variant[o.variant].append(o)
    summary: dict[str, Any] = {}
    for variant in sorted(by_variant, key=_variant_order):
        group = by_variant[variant]
        dims: dict[str, list[Outcome]] = defaultdict(list)
        for o in group:
            dims[o.dimension].append(o)
        summary[variant] = {
            "overall": tally(group).as_dict(),
            "letters": letter_shares(group),
            "finish_reasons": finish_reasons(group),
            "dimensions": {
                dim: {
                    **tally(members).as_dict(),
                    "identities": {
                        ident: tally(m for m in members if m.identity == ident).as_dict()
                        for ident in sorted({m.identity for m in members})
                    },
                }
                for dim, members in sorted(dims.items())
            },
        }
    return summary


def letter_shares(outcomes: Iterable[Outcome]) -> dict[str, dict[str, int]]:
    """How often each letter was the verdict and the right answer: a judge with a position
    bias picks one letter far more often than it is right."""
    chosen: Counter[str] = Counter()
    right: Counter[str] = Counter()
    for o in outcomes:
        if o.evaluated:
            chosen[o.verdict or "none"] += 1
            right[o.correct] += 1
    return {"verdicts": dict(sorted(chosen.items())), "correct": dict(sorted(right.items()))}


def finish_reasons(outcomes: Iterable[Outcome]) -> dict[str, int]:
    """Answers per finish reason ("unknown" where the endpoint or recording gave none)."""
    counts = Counter(o.finish_reason or "unknown" for o in outcomes if o.evaluated)
    return dict(sorted(counts.items()))


def comparisons(outcomes: Iterable[Outcome]) -> dict[str, dict[str, Change]]:
    """Raw->ID and Raw->COT per dimension and overall ('*'), where both variants ran."""
    by: dict[tuple[str, str], list[Outcome]] = defaultdict(list)
    for o in outcomes:
        by[(o.variant, o.dimension)].append(o)
        by[(o.variant, "*")].append(o)
    result: dict[str, dict[str, Change]] = {}
    for other in ("id", "cot"):
        dims = sorted({d for v, d in by if v == other and (("raw", d) in by)})
        if dims:
            result[f"raw->{other}"] = {d: paired_change(by[("raw", d)], by[(other, d)]) for d in dims}
    return result


def _variant_order(variant: str) -> int:
    order = ("raw", "id", "cot")
    return order.index(variant) if variant in order else len(order)
