"""The family of checks a run judges, and the one guarantee it gives.

Every check the run's selected tests will judge is known once the tests are collected and
the answers gathered, in every process (xdist workers collect the same selection and share
the answers). So the family is settled before the first test runs, and each test decides
as it runs on its *adjusted* p-value, the same in every worker:

1. *Which checks are judged* (Tarone's rule for discrete tests): a check whose smallest
   reachable p-value (from its layout alone) is not below ``alpha / K`` can never fail, so it
   is reported only and not counted. ``K`` is the smallest size for which no more than ``K``
   checks can reach ``alpha / K``. With ``multiple_checks = "none"``: checks that can reach alpha.
2. *How they decide*: ``"holm"`` (default) and ``"bonferroni"`` adjust the p-values over the
   family; a check fails when its adjusted p-value is below alpha. Then a model meeting every
   bar fails any judged check with probability at most alpha. ``"none"``: each on its own
   (bound: family size x alpha).

Checks on the point rule ignore p-values; with any of them the first bound does not hold.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from giebench_fixtures.judging import power
from giebench_fixtures.judging.gate import Judgement, Measured, Planned, Verdict, detectable
from giebench_fixtures.judging.stats import binomial_sf, holm


@dataclass(frozen=True)
class Family:
    """The checks judged together: their names and the level each gets at worst."""

    members: frozenset[str]
    correction: str
    alpha: float
    cut: int = 1  # Tarone's K: a member's smallest reachable p is below alpha / cut

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def strictest(self) -> float:
        """The level the hardest-pressed member is judged at (Bonferroni's, Holm's first step)."""
        if self.correction == "none" or not self.members:
            return self.alpha
        return self.alpha / self.size


def settle(planned: Sequence[Planned], alpha: float, correction: str) -> Family:
    """Which of the planned checks are judged (see the module's rule 1)."""
    candidates = [p for p in planned if p.reason is None]
    if correction == "none":
        return Family(frozenset(p.name for p in candidates if p.point or p.min_p < alpha), correction, alpha)
    for k in range(1, len(candidates) + 1):
        members = [p for p in candidates if p.point or p.min_p < alpha / k]
        if len(members) <= k:
            return Family(frozenset(p.name for p in members), correction, alpha, k)
    return Family(frozenset(), correction, alpha)


def decide(measured: Sequence[Measured], family: Family, *, levels: bool = True) -> dict[str, Verdict]:
    """Every check's verdict, its p-value adjusted over the family's members."""
    statistical = [m for m in measured if m.planned.name in family.members and not m.planned.point]
    raw = [m.p_value for m in statistical]
    if family.correction == "holm":
        adjusted = holm(raw)
    elif family.correction == "bonferroni":
        adjusted = [min(1.0, p * len(raw)) for p in raw]
    else:
        adjusted = raw
    by_name = {m.planned.name: a for m, a in zip(statistical, adjusted, strict=True)}
    verdicts = {}
    for m in measured:
        name = m.planned.name
        if m.broken:
            verdicts[name] = Verdict(name, Judgement.FAILED, f"{name}: {m.broken}")
            continue
        if name not in family.members:
            why = m.planned.reason or (
                f"cannot fail at the level it would get (smallest reachable p={m.planned.min_p:.3g} "
                f">= {family.alpha:g}/{family.cut}, Tarone's cut, which leaves {family.size} judged checks)"
                if family.correction != "none"
                else f"cannot fail (smallest reachable p={m.planned.min_p:.3g} >= {family.alpha:g})"
            )
            verdicts[name] = Verdict(
                name, Judgement.NOT_JUDGED, f"{name}: {why}, reported only ({m.message})", p_value=m.p_value
            )
            continue
        level = detectable(m.planned, family.strictest) if levels else None
        if m.planned.point:
            failed = m.point_failed
            text = f"{name}: {m.message}" + (" (point rule: below the bar)" if failed else "")
            verdicts[name] = Verdict(
                name, Judgement.FAILED if failed else Judgement.PASSED, text, level, m.p_value
            )
            continue
        a = by_name[name]
        failed = a < family.alpha
        shown = f"; {family.correction} over {len(raw)}: {a:.3g}" if family.correction != "none" else ""
        text = f"{name}: {m.message}{shown}" + (f" < {family.alpha:g}" if failed else "")
        verdicts[name] = Verdict(
            name, Judgement.FAILED if failed else Judgement.PASSED, text, level, m.p_value, a
        )
    return verdicts


def guarantee(planned: Sequence[Planned], family: Family) -> dict[str, Any]:
    """The two figures every plan and report opens with, and their sentences."""
    members = [p for p in planned if p.name in family.members]
    if not members:
        false_failure = 0.0
    elif any(p.point for p in members):
        false_failure = 1.0
    elif family.correction == "none":
        false_failure = min(1.0, family.size * family.alpha)
    else:
        false_failure = family.alpha
    chance_pass = _chance_pass(members, family)
    chance = next((p.chance for p in planned if p.kind == "accuracy"), power.CHANCE)
    how = "each on its own" if family.correction == "none" else f"{family.correction} over the family"
    lines = [
        f"A model meeting every bar fails this gate with probability <= {_figure(false_failure)} "
        f"({family.size} judged checks, {how}"
        + ("; point-rule checks carry no bound)" if any(p.point for p in members) else ")"),
        f"A model at chance (accuracy {chance:.3g}) passes this gate with probability "
        f"<= {_figure(chance_pass)}"
        + ("" if chance_pass < 1 else " (no judged accuracy check can catch it)"),
    ]
    return {
        "family_size": family.size,
        "correction": family.correction,
        "alpha": family.alpha,
        "false_failure_bound": false_failure,
        "chance_pass_bound": chance_pass,
        "guarantee_lines": lines,
    }


def _figure(x: float) -> str:
    if x == 0.0:
        return "0"
    return f"{x:.3g}" if x >= 1e-3 else f"1e{math.ceil(math.log10(x))}"  # the next power of ten up


def _chance_pass(members: Sequence[Planned], family: Family) -> float:
    """P(a model at chance passes) is at most the product, over disjoint groups of answers
    (one dimension in one variant), of the smallest chance of passing there: the pooled check,
    or all identity checks together. A check fails at chance at least as often as at the
    family's strictest level."""
    groups: dict[tuple[str, str], dict[str, float]] = {}
    for p in members:
        if p.kind != "accuracy":
            continue
        dimension, middle, variant = ([*p.name.split(" / "), "", "", ""])[:3]
        passes = _pass_at_chance(p, family.strictest)
        slot = groups.setdefault((dimension, variant), {"pooled": 1.0, "identities": 1.0})
        slot["pooled" if middle == "all identities" else "identities"] *= max(passes, 1e-300)
    log_bound = sum(math.log(max(min(slot.values()), 1e-300)) for slot in groups.values())
    return math.exp(max(log_bound, -700.0))


def _pass_at_chance(p: Planned, level: float) -> float:
    if p.point:
        return binomial_sf(math.ceil(p.bars.min_accuracy * p.n - 1e-9), p.n, p.chance)
    critical = power.accuracy_critical(p.n, p.bars.min_accuracy, level)
    return binomial_sf(critical + 1, p.n, p.chance)  # critical -1: P(X >= 0) = 1, it cannot fail
