"""`giebench plan`: before any model is run, which checks can be judged and what they can detect.

For a data source and a thresholds file, per dimension and identity: how many items, whether
its checks are judged or only reported (min_items), and each judged check's detectable level
(see ``power``), with the same bars and multiple-check correction the gate applies.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from giebench_fixtures.data.items import Dataset, Variant
from giebench_fixtures.judging import gate
from giebench_fixtures.judging.judge import Judge
from giebench_fixtures.judging.power import CHANCE, DISCORDANCE, POWER, Detectable
from giebench_fixtures.judging.thresholds import Thresholds


@dataclass(frozen=True)
class _Level:
    text: str
    judged: bool
    blind_to_chance: bool = False


def _accuracy_text(d: Detectable) -> _Level:
    if d.level is None:
        return _Level("judged: cannot fail", True, True)
    level = f"judged: detects accuracy <= {_floor(d.level):.2f}"
    return _Level(level if d.catches_chance else f"{level} (not chance)", True, not d.catches_chance)


def _accuracy_levels(
    judge: Judge,
    dim: str,
    identity: str | None,
    n: int,
    variants: Sequence[Variant],
    totals: dict[str, int],
) -> dict[Variant, _Level]:
    """Per variant: reported only, or judged with its detectable level (the gate's own rule)."""
    levels = {}
    for v in variants:
        bars = judge.accuracy_bars_for(dim, identity, v)
        if n == 0 or n < bars.min_items:
            levels[v] = _Level(f"reported only ({n} items < min_items {bars.min_items})", False)
            totals["reported"] += 1
            continue
        levels[v] = _accuracy_text(gate.accuracy_power(n, bars))
        totals["judged"] += 1
        totals["blind"] += levels[v].blind_to_chance
    return levels


def _gap_text(d: Detectable) -> str:
    if d.note:
        return d.note
    return "cannot fail" if d.level is None else f"detects a gap >= {_ceil(d.level):.2f}"


def _change_text(d: Detectable) -> str:
    if d.note:
        return d.note
    return "cannot fail" if d.level is None else f"detects a change <= {_floor(d.level):+.2f}"


def _floor(x: float) -> float:
    """Two decimals, rounded towards where the check fails more often."""
    return math.floor(x * 100 + 1e-9) / 100


def _ceil(x: float) -> float:
    return math.ceil(x * 100 - 1e-9) / 100


def _per_variant(texts: Mapping[Variant, str]) -> str:
    """'detects accuracy <= 0.38' when every variant agrees, else each with its variants."""
    groups: dict[str, list[str]] = {}
    for v, text in texts.items():
        groups.setdefault(text, []).append(str(v))
    if len(groups) == 1:
        return next(iter(groups))
    words = [t.split(" ") for t in groups]
    shared = 0
    while all(len(w) > shared + 1 and w[shared] == words[0][shared] for w in words):
        shared += 1
    common = " ".join(words[0][:shared]) + " " if shared else ""
    parts = [f"{t[len(common) :]} ({', '.join(vs)})" for t, vs in groups.items()]
    return common + ", ".join(parts)


def plan_lines(dataset: Dataset, thresholds: Thresholds, variants: Sequence[Variant]) -> list[str]:
    """The plan as printed: a header, a block per dimension, a verdict line per dimension."""
    judge = Judge(dataset, thresholds, list(variants), {})
    info = dataset.describe()
    lines = [
        f"giebench plan: {info['source']} ({info['items']} items; {info.get('note', '')})",
        f"thresholds: {thresholds.path}; variants: {', '.join(str(v) for v in variants)}",
        f"A check detects a level when a model that bad fails it with >= {POWER:.0%} probability,",
        "computed exactly from the binomial under the check's own rule (point or interval, confidence,",
        "multiple_checks). Accuracy: every item right with that probability; gap: one identity that far",
        "below the others; change: items flipping between the variants as in the paper "
        f"({DISCORDANCE['id']:.0%} Raw->ID, {DISCORDANCE['cot']:.0%} Raw->COT). "
        f"'(not chance)': cannot catch a model at chance ({CHANCE}).",
    ]
    verdicts: list[str] = []
    totals = {"judged": 0, "reported": 0, "blind": 0}
    for dim in dataset.dimensions():
        identities = dataset.identities(dim)
        sizes = {i: len(dataset.select(dim, i, Variant.RAW)) for i in identities}
        n_dim = sum(sizes.values())
        lines += [
            "",
            f"{dim} ({n_dim} items, {len(identities)} identit{'y' if len(identities) == 1 else 'ies'})",
        ]
        width = max([len(i) for i in identities] + [len("all identities")])
        judged_identities = 0
        blind_identities = 0
        for ident in identities:
            levels = _accuracy_levels(judge, dim, ident, sizes[ident], variants, totals)
            judged_identities += any(level.judged for level in levels.values())
            blind_identities += any(level.blind_to_chance for level in levels.values())
            text = _per_variant({v: level.text for v, level in levels.items()})
            lines.append(f"  {ident:<{width}} {sizes[ident]:>5}  {text}")
        pooled_levels = _accuracy_levels(judge, dim, None, n_dim, variants, totals)
        pooled_text = _per_variant({v: level.text for v, level in pooled_levels.items()})
        lines.append(f"  {'all identities':<{width}} {n_dim:>5}  {pooled_text}")
        lines.append(f"  {'gap':<{width}}        {_gap_line(judge, dim, sizes, variants, totals)}")
        if Variant.RAW in variants:
            for other in (v for v in (Variant.ID, Variant.COT) if v in variants):
                change = _change_line(judge, dim, n_dim, other, totals)
                lines.append(f"  {f'raw->{other}':<{width}} {n_dim:>5}  {change}")
        verdict = f"{dim}: {judged_identities} of {len(identities)} identities can be judged"
        if blind_identities:
            verdict += f" ({blind_identities} cannot catch a model at chance)"
        verdict += f"; pooled check {pooled_text.replace('judged: ', '')}"
        verdicts.append(verdict)
    total = totals["judged"] + totals["reported"]
    lines += ["", *verdicts, ""]
    lines.append(
        f"{totals['judged']} of {total} checks can be judged, {totals['reported']} reported only; "
        f"{totals['blind']} judged accuracy check(s) cannot catch a model at chance ({CHANCE})"
    )
    return lines


def _gap_line(
    judge: Judge, dim: str, sizes: dict[str, int], variants: Sequence[Variant], totals: dict[str, int]
) -> str:
    texts: dict[Variant, str] = {}
    for v in variants:
        bars = judge.gap_bars_for(dim, v)
        gated = tuple(sorted(n for n in sizes.values() if n >= bars.min_items and n > 0))
        if len(gated) < 2:
            texts[v] = (
                f"reported only ({len(gated)} of {len(sizes)} identities hold >= {bars.min_items} items)"
            )
            totals["reported"] += 1
        else:
            texts[v] = f"judged over {len(gated)} identities: {_gap_text(gate.gap_power(gated, bars))}"
            totals["judged"] += 1
    return _per_variant(texts)


def _change_line(judge: Judge, dim: str, n: int, other: Variant, totals: dict[str, int]) -> str:
    bars, minimum = judge.change_bars_for(dim, other)
    if n == 0 or n < bars.min_items:
        totals["reported"] += 1
        return f"reported only ({n} items < min_items {bars.min_items})"
    totals["judged"] += 1
    return f"judged: {_change_text(gate.change_power(n, minimum, bars, DISCORDANCE[str(other)]))}"
