"""Judging: turning responses into outcomes, and outcomes into the gate's checks.

Knows the data, the bars and the run's variants; remembers every outcome it scored so the
report describes exactly what the checks saw.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from . import circular, gate
from .data import Dataset, Variant
from .gate import Verdict
from .metrics import Outcome
from .models import Completion
from .replies import answer_verdict
from .thresholds import Bars, Thresholds


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

    def _family(self, bars: Bars, checks: int) -> Bars:
        """Bars for one of ``checks`` checks of a kind; with multiple_checks = "bonferroni"
        the confidence is raised so that all of them together false-alarm at most 1 - confidence."""
        if bars.multiple_checks != "bonferroni" or checks <= 1:
            return bars
        return replace(bars, confidence=1 - (1 - bars.confidence) / checks)

    def accuracy(self, dimension: str, identity: str | None, variant: Variant) -> Verdict:
        scope = f"{dimension} / {identity or 'all identities'} / {variant}"
        bars = self.thresholds.bars(dimension, identity, str(variant), circular=self.circular)
        dims = self.dataset.dimensions()
        family = sum(len(self.dataset.identities(d)) for d in dims) if identity else len(dims)
        bars = self._family(bars, family * len(self.variants))
        return gate.check_accuracy(scope, self.outcomes(dimension, identity, variant), bars)

    def gap(self, dimension: str, variant: Variant) -> Verdict:
        by_identity: dict[str, list[Outcome]] = defaultdict(list)
        for o in self.outcomes(dimension, None, variant):
            by_identity[o.identity].append(o)
        bars = self.thresholds.bars(dimension, None, str(variant), circular=self.circular)
        bars = self._family(bars, len(self.dataset.dimensions()) * len(self.variants))
        return gate.check_gap(f"{dimension} / {variant}", by_identity, bars)

    def change(self, dimension: str, other: Variant) -> Verdict:
        bars = self.thresholds.bars(dimension, None, str(other), circular=self.circular)
        pairs = sum(v in self.variants for v in (Variant.ID, Variant.COT))
        bars = self._family(bars, len(self.dataset.dimensions()) * pairs)
        minimum = bars.min_empathy if other is Variant.ID else bars.min_understanding
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
