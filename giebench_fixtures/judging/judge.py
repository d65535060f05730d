"""Judging: turning responses into outcomes, and outcomes into the gate's checks.

Knows the data, the bars and the run's variants; remembers every outcome it scored so the
report describes exactly what the checks saw. ``settle`` takes every check the run's tests
will ask for, measures them all and decides them together (``family``); the tests then read
their verdicts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from giebench_fixtures.asking.completion import Completion
from giebench_fixtures.data.items import LETTERS, Dataset, Item, Variant
from giebench_fixtures.judging import circular, family, gate, power
from giebench_fixtures.judging.gate import CheckKind, Measured, Planned, Verdict
from giebench_fixtures.judging.metrics import Outcome
from giebench_fixtures.judging.thresholds import Thresholds
from giebench_fixtures.judging.verdicts import answer_verdict


@dataclass(frozen=True)
class CheckSpec:
    """A check a gate test asks for. ``variant``: for a change check, the variant compared with Raw."""

    kind: CheckKind
    dimension: str
    identity: str | None
    variant: Variant

    @property
    def name(self) -> str:
        if self.kind == "change":
            what = "empathy" if self.variant is Variant.ID else "understanding"
            return f"{self.dimension} / raw->{self.variant} ({what})"
        if self.kind == "gap":
            return f"{self.dimension} / {self.variant}"
        if self.kind == "position":
            return f"{self.dimension} / {self.variant} / letters"
        return f"{self.dimension} / {self.identity or 'all identities'} / {self.variant}"


def every_check(dataset: Dataset, variants: Iterable[Variant]) -> list[CheckSpec]:
    """All checks of a full run over these variants (what ``giebench plan`` describes)."""
    chosen = list(variants)
    specs: list[CheckSpec] = []
    for dim in dataset.dimensions():
        for v in chosen:
            specs += [CheckSpec("accuracy", dim, i, v) for i in dataset.identities(dim)]
            specs += [CheckSpec("accuracy", dim, None, v), CheckSpec("gap", dim, None, v)]
            specs.append(CheckSpec("position", dim, None, v))
        if Variant.RAW in chosen:
            specs += [CheckSpec("change", dim, None, v) for v in (Variant.ID, Variant.COT) if v in chosen]
    return specs


@dataclass
class Judge:
    """Scores responses and runs the checks a gate test asks for."""

    dataset: Dataset
    thresholds: Thresholds
    variants: list[Variant]
    responses: Mapping[tuple[str, Variant], Completion]
    circular: bool = False  # items come in four rotations; judge each item on all four
    used: dict[tuple[str, str], Outcome] = field(default_factory=dict)
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    gate_figures: dict[str, Any] = field(default_factory=dict)
    _index: dict[tuple[str, str, Variant], list[Item]] | None = None
    _planned: dict[CheckSpec, Planned] = field(default_factory=dict)  # the layout's part: once
    _scored: dict[tuple[str, str, Variant], list[Outcome]] = field(default_factory=dict)  # per settle

    def _scopes(self) -> dict[tuple[str, str, Variant], list[Item]]:
        """The items of each (dimension, identity, variant), indexed on first use."""
        if self._index is None:
            index: dict[tuple[str, str, Variant], list[Item]] = defaultdict(list)
            for v, by_key in self.dataset.items.items():
                for item in by_key.values():
                    index[(item.dimension, item.identity, v)].append(item)
            self._index = dict(index)
        return self._index

    def items(self, dimension: str, identity: str | None, variant: Variant) -> list[Item]:
        if identity is None:
            return [i for ident in self.identities(dimension) for i in self.items(dimension, ident, variant)]
        return self._scopes().get((dimension, identity, variant), [])

    def identities(self, dimension: str) -> list[str]:
        return sorted({ident for (dim, ident, _) in self._scopes() if dim == dimension})

    def count(self, dimension: str, identity: str | None, variant: Variant) -> int:
        """Items of a scope (an item asked in four rotations counts once)."""
        n = len(self.items(dimension, identity, variant))
        return n // circular.ROTATIONS if self.circular else n

    def outcomes(self, dimension: str, identity: str | None, variant: Variant) -> list[Outcome]:
        if identity is None:
            return [
                o for ident in self.identities(dimension) for o in self.outcomes(dimension, ident, variant)
            ]
        scope = (dimension, identity, variant)
        if scope in self._scored:
            return self._scored[scope]
        result = []
        for item in self.items(dimension, identity, variant):
            completion = self.responses.get((item.key, item.variant))
            if completion is None:
                completion = Completion(text=None, error="not fetched")
            result.append(
                Outcome(
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
            )
        if self.circular:
            result = circular.fold(result)
        self.used.update(((o.key, o.variant), o) for o in result)
        self._scored[scope] = result
        return result

    # --- planning: the layout only ---------------------------------------------------------

    @property
    def chance(self) -> float:
        return power.CIRCULAR_CHANCE if self.circular else power.CHANCE

    def plan(self, spec: CheckSpec) -> Planned:
        """The check as the data's layout and the bars define it (used by `giebench plan` too)."""
        dim, v = spec.dimension, spec.variant
        bars = self.thresholds.bars(dim, spec.identity, str(v), circular=self.circular)
        raw = v is Variant.RAW
        if spec.kind == "accuracy":
            return gate.plan_accuracy(
                spec.name, self.count(dim, spec.identity, v), bars, raw=raw, chance=self.chance
            )
        if spec.kind == "gap":
            sizes = [self.count(dim, i, v) for i in self.identities(dim)]
            return gate.plan_gap(spec.name, sizes, bars, raw=raw)
        if spec.kind == "position":
            # one choice per distinct prompt: the items of a swap set share their Raw prompt
            by_prompt: dict[str, list[str]] = defaultdict(list)
            for item in self.items(dim, None, v):
                by_prompt[item.prompt].append(item.correct)
            right = [0.0] * len(LETTERS)
            for letters in by_prompt.values():
                for letter in letters:
                    right[LETTERS.index(letter)] += 1 / len(letters)
            total = sum(right) or 1
            return gate.plan_position(spec.name, len(by_prompt), [r / total for r in right], bars)
        minimum = bars.min_empathy if v is Variant.ID else bars.min_understanding
        n = self.count(dim, None, v)
        # a change compares ID or COT with Raw: the discordance is that variant's
        return gate.plan_change(spec.name, n, minimum, bars, power.DISCORDANCE[str(v)])

    def family_of(self, planned: list[Planned]) -> family.Family:
        defaults = self.thresholds.bars("", circular=self.circular)  # run-wide keys live in [defaults]
        return family.settle(planned, round(1 - defaults.confidence, 12), defaults.multiple_checks)

    # --- measuring and deciding ----------------------------------------------------------------

    def measure(self, spec: CheckSpec, planned: Planned, *, describe: bool) -> Measured:
        dim, v = spec.dimension, spec.variant
        if spec.kind == "accuracy":
            return gate.measure_accuracy(planned, self.outcomes(dim, spec.identity, v))
        if spec.kind == "gap":
            by_identity: dict[str, list[Outcome]] = defaultdict(list)
            for o in self.outcomes(dim, None, v):
                by_identity[o.identity].append(o)
            return gate.measure_gap(planned, by_identity, describe=describe)
        if spec.kind == "position":
            prompts = {item.key: item.prompt for item in self.items(dim, None, v)}
            return gate.measure_position(planned, self.outcomes(dim, None, v), prompts)
        measured, _ = gate.measure_change(
            planned, self.outcomes(dim, None, Variant.RAW), self.outcomes(dim, None, v)
        )
        return measured

    def settle(self, specs: Iterable[CheckSpec], *, levels: bool = True) -> dict[str, Any]:
        """Measure and decide every check the run will ask for; returns the gate's figures.
        ``levels=False`` skips the detectable levels (simulations)."""
        unique = list(dict.fromkeys(specs))
        self._scored.clear()  # the responses may have changed since the last settle
        for s in unique:
            if s not in self._planned:
                self._planned[s] = self.plan(s)
        planned = [self._planned[s] for s in unique]
        chosen = self.family_of(planned)
        measured = [self.measure(s, self._planned[s], describe=levels) for s in unique]
        self.verdicts.update(family.decide(measured, chosen, levels=levels))
        self.gate_figures = family.guarantee(planned, chosen)
        return self.gate_figures

    def verdict(self, spec: CheckSpec) -> Verdict:
        """A settled check's verdict; a check asked for outside the settled ones is settled alone."""
        if spec.name not in self.verdicts:
            self.settle([spec])
        return self.verdicts[spec.name]

    def accuracy(self, dimension: str, identity: str | None, variant: Variant) -> Verdict:
        return self.verdict(CheckSpec("accuracy", dimension, identity, variant))

    def gap(self, dimension: str, variant: Variant) -> Verdict:
        return self.verdict(CheckSpec("gap", dimension, None, variant))

    def change(self, dimension: str, other: Variant) -> Verdict:
        return self.verdict(CheckSpec("change", dimension, None, other))

    def position(self, dimension: str, variant: Variant) -> Verdict:
        return self.verdict(CheckSpec("position", dimension, None, variant))

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
    if not dataset.keys:
        where = dataset.source if dataset.source == str(dataset.path) else f"{dataset.source}, {dataset.path}"
        return f"nothing was judged: the data ({where}) holds no item"
    present = dataset.dimensions()
    if not checked_dimensions:
        return "nothing was judged: no gate check was selected (see -k, -m and --variants)"
    if not checked_dimensions & set(present):
        return (
            f"nothing was judged: no selected gate check covers a dimension of the data "
            f"(data: {', '.join(present)}; checks selected for: {', '.join(sorted(checked_dimensions))})"
        )
    return (
        f"nothing was judged: all {reported_only} selected check(s) were reported only "
        "(too few items, no bar, or cannot fail at the level they get; see the skip reasons with -rs)"
    )
