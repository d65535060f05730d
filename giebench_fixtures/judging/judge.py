"""Judging: turning responses into outcomes, and outcomes into the gate's checks.

Knows the data, the bars and the run's variants; remembers every outcome it scored so the
report describes exactly what the checks saw.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from giebench_fixtures.asking.completion import Completion
from giebench_fixtures.data.items import Dataset, Variant
from giebench_fixtures.judging import circular, gate
from giebench_fixtures.judging.gate import Verdict
from giebench_fixtures.judging.metrics import Outcome
from giebench_fixtures.judging.thresholds import Bars, Thresholds
from giebench_fixtures.judging.verdicts import answer_verdict


@dataclass
class Judge:
    """Scores responses and runs the checks a gate test asks for."""

    dataset: Dataset
    thresholds: Thresholds
    variants: list[Variant]
    responses: Mapping[tuple[str, Variant], Completion]
    circular: bool = False  # items come in four rotations; judge each item on all four
    used: dict[tuple[str, str], Outcome] = field(default_factory=dict)

    def outcomes(self, dimension: str, identity: str | None, variant: Variant) -> list[Outcome]:
        result = []
        for item in self.dataset.select(dimension, identity, variant):
            completion = self.responses.get((item.key, item.variant))
            if completion is None:
                completion = Completion(text=None, error="not fetched")
            outcome = Outcome(
                key=item.key,
                variant=str(item.variant),
                dimension=item.dimension,
                identity=item.identity,
                correct=item.correct,
                verdict=answer_verdict(completion.text, completion.finish_reason),
                response=completion.text,
                error=completion.error,
                finish_reason=completion.finish_reason,
                refused=completion.refused,
            )
            result.append(outcome)
        if self.circular:
            result = circular.fold(result)
        self.used.update(((o.key, o.variant), o) for o in result)
        return result

    # The bars each kind of check is judged on, after any multiple-check correction: the
    # checks below use them, and so does `giebench plan`, before any model is run.

    def accuracy_bars_for(self, dimension: str, identity: str | None, variant: Variant) -> Bars:
        bars = self.thresholds.bars(dimension, identity, str(variant), circular=self.circular)
        dims = self.dataset.dimensions()
        family = sum(len(self.dataset.identities(d)) for d in dims) if identity else len(dims)
        return gate.family_bars(bars, family * len(self.variants))

    def gap_bars_for(self, dimension: str, variant: Variant) -> Bars:
        bars = self.thresholds.bars(dimension, None, str(variant), circular=self.circular)
        return gate.family_bars(bars, len(self.dataset.dimensions()) * len(self.variants))

    def change_bars_for(self, dimension: str, other: Variant) -> tuple[Bars, float]:
        """The bars of a Raw->ID or Raw->COT check and its minimum (min_empathy for ID,
        min_understanding for COT)."""
        bars = self.thresholds.bars(dimension, None, str(other), circular=self.circular)
        pairs = sum(v in self.variants for v in (Variant.ID, Variant.COT))
        bars = gate.family_bars(bars, len(self.dataset.dimensions()) * pairs)
        return bars, bars.min_empathy if other is Variant.ID else bars.min_understanding

    def accuracy(self, dimension: str, identity: str | None, variant: Variant) -> Verdict:
        scope = f"{dimension} / {identity or 'all identities'} / {variant}"
        bars = self.accuracy_bars_for(dimension, identity, variant)
        return gate.check_accuracy(scope, self.outcomes(dimension, identity, variant), bars)

    def gap(self, dimension: str, variant: Variant) -> Verdict:
        by_identity: dict[str, list[Outcome]] = defaultdict(list)
        for o in self.outcomes(dimension, None, variant):
            by_identity[o.identity].append(o)
        bars = self.gap_bars_for(dimension, variant)
        return gate.check_gap(f"{dimension} / {variant}", by_identity, bars)

    def change(self, dimension: str, other: Variant) -> Verdict:
        bars, minimum = self.change_bars_for(dimension, other)
        name = "empathy" if other is Variant.ID else "understanding"
        verdict, _ = gate.check_change(
            f"{dimension} / raw->{other} ({name})",
            self.outcomes(dimension, None, Variant.RAW),
            self.outcomes(dimension, None, other),
            minimum,
            bars,
        )
        return verdict

    def accuracy_bars(self) -> dict[str, dict[str, dict[str, float]]]:
        """min_accuracy per variant, dimension and identity, for charts and comparisons."""
        return {
            str(v): {
                dim: {
                    ident: self.thresholds.bars(dim, ident, str(v), circular=self.circular).min_accuracy
                    for ident in self.dataset.identities(dim)
                }
                for dim in self.dataset.dimensions()
            }
            for v in self.variants
        }


def why_nothing_judged(dataset: Dataset, checked_dimensions: set[str], reported_only: int) -> str:
    """One line saying why a run judged no check: no data, no covered dimension, or every
    selected check reported only."""
    items = sum(len(v) for v in dataset.items.values()) // max(len(dataset.items), 1)
    if items == 0:
        where = dataset.source if dataset.source == str(dataset.path) else f"{dataset.source}, {dataset.path}"
        return f"nothing was judged: the data ({where}) holds no item"
    present = dataset.dimensions()
    if not checked_dimensions:
        return "nothing was judged: no gate check was selected (see -k, -m and --variants)"
    if not checked_dimensions & set(present):
        covered = ", ".join(sorted(checked_dimensions)) or "none"
        return (
            f"nothing was judged: no selected gate check covers a dimension of the data "
            f"(data: {', '.join(present)}; checks selected for: {covered})"
        )
    return (
        f"nothing was judged: all {reported_only} selected check(s) were reported only "
        "(too few items; see the skip reasons with -rs, or lower min_items)"
    )
