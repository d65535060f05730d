"""Answer-only shortcut baselines: can a rule that never reads the identity find the fitting answer?

The benchmark counterpart of a hypothesis-only baseline. Each *cue* is a pure function of an
item's question and four answers that returns the letters it picks (the longest answer, the
one opening with a bare "Yes."...). On a benchmark that measures empathy, no cue should do
better than chance (0.25): a cue that does is a shortcut a judge can take without taking the
user's standpoint. ``giebench data audit`` reports every cue's accuracy overall and per
dimension with an exact p-value against chance; ``--model=baseline:CUE`` (``baselines.py``)
runs a cue as a judge through the gate.

Tied picks share the credit: a cue that picks two letters, one of them right, earns 1/2.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from giebench_fixtures.data.cues import CHANCE, CUES, SIGNIFICANCE, AuditItem, Cue
from giebench_fixtures.data.items import DIMENSIONS, LETTERS, Dataset, Variant, swap_sets
from giebench_fixtures.data.loading import DimensionNames, read_json_object
from giebench_fixtures.data.sample import expand_sets
from giebench_fixtures.errors import DataError

# --- statistics: the exact null distribution of shared credit ---------------------------------


def _binomial_pmf(n: int, p: float) -> list[float]:
    if n == 0:
        return [1.0]
    log_p, log_q = math.log(p), math.log1p(-p)
    return [
        math.exp(
            math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) + k * log_p + (n - k) * log_q
        )
        for k in range(n + 1)
    ]


def null_distribution(tie_sizes: Iterable[int]) -> list[float]:
    """P(total credit = s/12) for s = 0, 1, ..., under chance, for items whose cue picked
    ``tie_sizes`` letters each.

    Chance means the fitting answer's letter is uniform over A-D whatever the answers look like.
    An item where the cue picks k letters then earns 1/k with probability k/4 and 0 otherwise
    (expected credit 1/4 for every k). So, in twelfths, the total is exactly
    12·X1 + 6·X2 + 4·X3 + 3·n4 with X_k ~ Binomial(n_k, k/4) independent: with no ties this is
    the plain binomial, and the p-value is exact whatever the ties.
    """
    counts = Counter(tie_sizes)
    if set(counts) - {1, 2, 3, 4}:
        raise ValueError(f"a cue picks 1 to 4 letters, not {sorted(set(counts) - {1, 2, 3, 4})}")
    x1, x2, x3 = (_binomial_pmf(counts[k], k / 4) for k in (1, 2, 3))
    halves = [0.0] * (2 * counts[1] + counts[2] + 1)  # 2·X1 + X2: the credit of 1- and 2-way picks in halves
    for i, p1 in enumerate(x1):
        for j, p2 in enumerate(x2):
            halves[2 * i + j] += p1 * p2
    shift = 3 * counts[4]
    total = [0.0] * (6 * (len(halves) - 1) + 4 * counts[3] + shift + 1)
    for y, py in enumerate(halves):
        if py:
            for k, p3 in enumerate(x3):
                total[6 * y + 4 * k + shift] += py * p3
    return total


def tail_p_values(tie_sizes: Sequence[int], twelfths: int) -> tuple[float, float]:
    """P(credit >= observed) and P(credit <= observed) under chance, observed in twelfths."""
    pmf = null_distribution(tie_sizes)
    above = min(1.0, sum(pmf[twelfths:]))
    below = min(1.0, sum(pmf[: twelfths + 1]))
    return above, below


# --- the audit --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CueResult:
    """One cue over a set of items: credit in twelfths (exact), overall and per dimension."""

    cue: Cue
    items: int
    twelfths: int
    p_above: float
    p_below: float
    by_dimension: dict[str, tuple[int, int]] = field(default_factory=dict)  # dimension -> (items, twelfths)

    @property
    def accuracy(self) -> float:
        return self.twelfths / (12 * self.items) if self.items else 0.0

    @property
    def exact_accuracy(self) -> Fraction:
        return Fraction(self.twelfths, 12 * self.items) if self.items else Fraction(0)

    def dimension_accuracy(self, dimension: str) -> float | None:
        n, twelfths = self.by_dimension.get(dimension, (0, 0))
        return twelfths / (12 * n) if n else None


def credit_twelfths(picked: frozenset[str], correct: str) -> int:
    """An item's credit in twelfths: 12/k when the right letter is among the k picked."""
    return 12 // len(picked) if correct in picked else 0


def run_cue(cue: Cue, items: Sequence[AuditItem]) -> CueResult:
    ties: list[int] = []
    total = 0
    per_dimension: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for item in items:
        picked = cue.pick(item.question, item.answers)
        credit = credit_twelfths(picked, item.correct)
        ties.append(len(picked))
        total += credit
        per_dimension[item.dimension][0] += 1
        per_dimension[item.dimension][1] += credit
    above, below = tail_p_values(ties, total)
    return CueResult(
        cue=cue,
        items=len(items),
        twelfths=total,
        p_above=above,
        p_below=below,
        by_dimension={d: (n, c) for d, (n, c) in per_dimension.items()},
    )


def audit(items: Sequence[AuditItem], cues: Sequence[Cue] = CUES) -> list[CueResult]:
    return [run_cue(cue, items) for cue in cues]


def shortcut_level(cues_audited: int) -> float:
    return SIGNIFICANCE / max(1, cues_audited)


def verdict(result: CueResult, cues_audited: int) -> str:
    """``shortcut: solves 0.71 of items, chance 0.25`` when the cue beats chance beyond what luck
    over all the cues audited explains (Bonferroni); else ``no shortcut``, noting a cue that
    falls as far below chance, since then the opposite choice is one."""
    level = shortcut_level(cues_audited)
    if result.p_above < level:
        return f"shortcut: solves {result.accuracy:.2f} of items, chance {CHANCE:.2f}"
    if result.p_below < level:
        return f"no shortcut (below chance: {result.accuracy:.2f}; the fitting answer avoids it)"
    return "no shortcut"


def cues_above(results: Sequence[CueResult], bar: Fraction) -> list[CueResult]:
    """The cues whose overall accuracy exceeds the bar (exactly: 0.30 is not above 0.30)."""
    return [r for r in results if r.exact_accuracy > bar]


def _p_text(p: float) -> str:
    if p < 1e-300:
        return "<1e-300"
    return f"{p:.0e}" if p < 0.001 else f"{p:.3f}"


def audit_lines(results: Sequence[CueResult], dimensions: Sequence[str], heading: Sequence[str]) -> list[str]:
    """The audit table (cue by overall, p-value, each dimension), then one verdict line per cue."""
    widths = [max(len(d), 4) for d in dimensions]
    name_width = max([len(r.cue.name) for r in results] + [4])
    header = f"{'cue':<{name_width}}  overall  p-value  " + "  ".join(
        f"{d:>{w}}" for d, w in zip(dimensions, widths, strict=True)
    )
    lines = [*heading, "", header]
    for r in results:
        cells = []
        for d, w in zip(dimensions, widths, strict=True):
            acc = r.dimension_accuracy(d)
            cells.append(f"{'-' if acc is None else f'{acc:.2f}':>{w}}")
        lines.append(
            f"{r.cue.name:<{name_width}}  {r.accuracy:7.2f}  {_p_text(r.p_above):>7}  " + "  ".join(cells)
        )
    count = len(results)
    lines += [
        "",
        f"verdicts (a shortcut beats chance at p < {shortcut_level(count):.2g}, "
        f"that is {SIGNIFICANCE} over {count} cues):",
    ]
    lines += [f"  {r.cue.name:<{name_width}}  {verdict(r, count)}  [{r.cue.picks}]" for r in results]
    return lines


# --- counterbalance: items in complete swap sets ----------------------------------------------


@dataclass(frozen=True)
class Coverage:
    """How much of the data is counterbalanced: items in complete sets (one question and four
    answers asked for four identities, each answer keyed exactly once)."""

    items: int
    in_sets: int
    in_complete_sets: int
    complete_sets: int

    @property
    def share(self) -> float:
        return self.in_complete_sets / self.items if self.items else 0.0

    def line(self) -> str:
        return (
            f"counterbalance: {self.in_complete_sets} of {self.items} items ({self.share:.0%}) in "
            f"{self.complete_sets} complete sets (each answer keyed exactly once); "
            f"{self.in_sets} in sets of any size. On a complete set no reader of the Raw prompt "
            "can score above 1/4."
        )


def coverage(items: Sequence[AuditItem]) -> Coverage:
    sets = swap_sets(items)
    complete = [g for g in sets if len(g) == len(LETTERS) and len({i.correct for i in g}) == len(LETTERS)]
    return Coverage(
        items=len(items),
        in_sets=sum(len(g) for g in sets),
        in_complete_sets=sum(len(g) for g in complete),
        complete_sets=len(complete),
    )


# --- items to audit ---------------------------------------------------------------------------


def items_of(dataset: Dataset, variant: Variant = Variant.RAW) -> list[AuditItem]:
    """The items of a loaded source as parsed from its prompts (the Raw ones by default)."""
    return [
        AuditItem(item.key, item.dimension, item.question, item.answers, item.correct)
        for key, item in sorted(dataset.items[variant].items())
    ]


def identities_of(dataset: Dataset) -> list[str]:
    return [name for dimension in dataset.dimensions() for name in dataset.identities(dimension)]


def read_item_file(path: Path) -> tuple[list[AuditItem], list[str]]:
    """Items and identity names of a file in the bundled sample's ``source.json`` format
    (``{"sets": [...]}``, or ``{"items": [{"key", "dimension", "identity", "question",
    "answers", "correct"}]}``), for auditing items before they are rendered into prompts."""
    problems: list[str] = []
    spec = read_json_object(path, problems)
    if spec is None or problems:
        raise DataError(problems)
    entries = expand_sets(spec["sets"], path) if isinstance(spec.get("sets"), list) else spec.get("items")
    if not isinstance(entries, list) or not entries:
        raise DataError([f'{path}: expected {{"items": [...]}} with at least one item'])
    names = DimensionNames()
    items: list[AuditItem] = []
    identities: list[str] = []
    for n, entry in enumerate(entries):
        problem = _item_problem(entry)
        key = entry.get("key", f"#{n}") if isinstance(entry, dict) else f"#{n}"
        if problem:
            problems.append(f"{path} item {key!r}: {problem}")
            continue
        dimension = names.resolve(entry["dimension"]) or entry["dimension"]
        items.append(AuditItem(key, dimension, entry["question"], tuple(entry["answers"]), entry["correct"]))
        identities.append(entry["identity"])
    if problems:
        raise DataError(problems, source=str(path))
    return items, sorted(set(identities))


def _item_problem(entry: Any) -> str | None:
    if not isinstance(entry, dict):
        return f"expected an object, found {type(entry).__name__}"
    absent = [f for f in ("key", "dimension", "identity", "question", "answers", "correct") if f not in entry]
    if absent:
        return f"missing field(s) {', '.join(absent)}"
    texts = [entry["key"], entry["dimension"], entry["identity"], entry["question"]]
    if not all(isinstance(t, str) and t.strip() for t in texts):
        return "key, dimension, identity and question must be non-empty text"
    answers = entry["answers"]
    if not isinstance(answers, list) or len(answers) != 4 or not all(isinstance(a, str) for a in answers):
        return "'answers' must be a list of four texts"
    if entry["correct"] not in LETTERS:
        return f"'correct' is {entry['correct']!r}; it must be one of A, B, C, D"
    return None


def dimensions_in_order(items: Iterable[AuditItem]) -> list[str]:
    present = {item.dimension for item in items}
    return [d for d in DIMENSIONS if d in present] + sorted(present - set(DIMENSIONS))
