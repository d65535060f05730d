"""`giebench plan`: before any model is run, what the gate guarantees and what each check detects.

For a data source and a thresholds file it settles the family of a full run exactly as the
gate does (``judging.family``), opens with the gate's two guarantee lines, then per
dimension lists every check: reported only (and why), or judged with its detectable level
at the level it gets in the family.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from giebench_fixtures.data.items import Dataset, Variant, swap_sets
from giebench_fixtures.judging import family, gate
from giebench_fixtures.judging.gate import Planned
from giebench_fixtures.judging.judge import Judge, every_check
from giebench_fixtures.judging.power import DISCORDANCE, POWER
from giebench_fixtures.judging.thresholds import Thresholds


def _floor(x: float) -> float:
    return math.floor(x * 100 + 1e-9) / 100


def _ceil(x: float) -> float:
    return math.ceil(x * 100 - 1e-9) / 100


def _level_text(p: Planned, chosen: family.Family) -> str:
    if p.reason is not None:
        return f"reported only ({p.reason})"
    if p.name not in chosen.members:
        return f"reported only (cannot fail at {chosen.strictest:.2g}: smallest reachable p {p.min_p:.2g})"
    d = gate.detectable(p, chosen.strictest)
    if d is None or d.note:
        return f"judged: {d.note if d else ''}"
    if d.level is None:
        return "judged: cannot fail with 80% probability"
    if p.kind == "accuracy":
        text = f"judged: detects accuracy <= {_floor(d.level):.2f}"
        return text if d.catches_chance else f"{text} (not chance)"
    if p.kind == "gap":
        return f"judged: detects a gap >= {_ceil(d.level):.2f}"
    return f"judged: detects a change <= {_floor(d.level):+.2f}"


def plan_lines(
    dataset: Dataset, thresholds: Thresholds, variants: Sequence[Variant], *, circular: bool = False
) -> list[str]:
    """The plan as printed: the two guarantee lines, a header, a block per dimension, totals."""
    judge = Judge(dataset, thresholds, list(variants), {}, circular=circular)
    specs = every_check(dataset, variants)
    planned = [judge.plan(s) for s in specs]
    chosen = judge.family_of(planned)
    figures = family.guarantee(planned, chosen)
    info = dataset.describe()
    lines = [
        *figures["guarantee_lines"],
        "",
        f"giebench plan: {info['source']} ({info['items']} items; {info.get('note', '')})"
        + (" --circular" if circular else ""),
        f"thresholds: {thresholds.path}; variants: {', '.join(str(v) for v in variants)}",
        f"A check detects a level when a model that bad fails it with >= {POWER:.0%} probability at the",
        f"level it gets in the family ({chosen.correction}: {chosen.strictest:.3g} at worst).",
        "Accuracy: every item right with that probability (exact); gap: identities in two groups",
        "that far apart (approximate); change: items flipping as in the paper "
        f"({DISCORDANCE['id']:.0%} Raw->ID, {DISCORDANCE['cot']:.0%} Raw->COT).",
    ]
    by_name = dict(zip((s.name for s in specs), planned, strict=True))
    for dim in dataset.dimensions():
        identities = judge.identities(dim)
        lines += ["", f"{dim} ({judge.count(dim, None, Variant.RAW)} items, {len(identities)} identities)"]
        for s in (s for s in specs if s.dimension == dim):
            p = by_name[s.name]
            label = s.name.removeprefix(f"{dim} / ")
            lines.append(f"  {label:<34} {p.n:>6}  {_level_text(p, chosen)}")
    judged = sum(1 for p in planned if p.name in chosen.members)
    lines += ["", f"{judged} of {len(planned)} checks can be judged, {len(planned) - judged} reported only"]
    return lines + swap_lines(dataset)


def swap_lines(dataset: Dataset) -> list[str]:
    """What the identity-swap measure will rest on: the data's swap sets, per dimension."""
    sets = swap_sets(dataset.items[Variant.RAW].values())
    if not sets:
        return ["", "identity swap: no items share a Raw prompt, so the run reports no swap measure"]
    per_dimension = Counter(d for group in sets for d in {i.dimension for i in group})
    return [
        "",
        f"identity swap: {len(sets)} sets of items sharing one Raw prompt, keyed to different answers",
        "(" + ", ".join(f"{d} {n}" for d, n in per_dimension.items()) + ").",
        "Reported per dimension and variant: the share of sets answered right for every identity",
        "(swap accuracy) and the share answered the same whoever asks (identity-blind rate). A judge",
        "that ignores the stated identity scores swap accuracy 0 and identity-blind rate 1.",
    ]
