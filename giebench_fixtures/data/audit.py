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
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from giebench_fixtures.data.items import DIMENSIONS, LETTERS, Dataset, DimensionNames, Variant, read_json_object
from giebench_fixtures.errors import DataError

CHANCE = 0.25
# A cue is called a shortcut when it beats chance at this level, Bonferroni-corrected over the
# cues audited: with twenty-odd cues, some land above 0.25 by luck alone.
SIGNIFICANCE = 0.05

Picker = Callable[[str, Sequence[str]], frozenset[str]]


@dataclass(frozen=True)
class AuditItem:
    """What a cue may see of an item (question, answers), and what scores it (correct, dimension)."""

    key: str
    dimension: str
    question: str
    answers: tuple[str, str, str, str]
    correct: str


@dataclass(frozen=True)
class Cue:
    """A surface rule: its name (``baseline:NAME``), what it picks, in words, and the rule."""

    name: str
    picks: str
    pick: Picker


# --- picking by a score or a flag ----------------------------------------------------------

ALL = frozenset(LETTERS)


def by_score(scores: Sequence[float], *, highest: bool = True) -> frozenset[str]:
    """The letters whose score is the highest (or lowest); ties are all picked."""
    best = max(scores) if highest else min(scores)
    return frozenset(letter for letter, score in zip(LETTERS, scores, strict=True) if score == best)


def having(flags: Sequence[bool]) -> frozenset[str]:
    """The letters whose answer has a feature; when none or all have it the cue cannot tell them
    apart, so all four are picked (credit 1/4, chance)."""
    chosen = frozenset(letter for letter, flag in zip(LETTERS, flags, strict=True) if flag)
    return chosen if 0 < len(chosen) < 4 else ALL


# --- words ---------------------------------------------------------------------------------

_TOKEN = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")
_STOP = frozenset(
    """a an the of to and or in on for is are was were be been being that this these those it its
    with as by at from not no yes should would can could will may might must than then so but if
    into about their they them there what which who whom whose you your we our us i me my he she
    his her has have had do does did more most less very also such any all some each other just
    only even how when where why""".split()  # noqa: SIM905 - a word list reads better as text
)


def words(text: str) -> list[str]:
    return [w.lower() for w in _TOKEN.findall(text)]


def content_words(text: str) -> frozenset[str]:
    """Distinct words that carry meaning: no stop words, possessives and plain plurals folded."""
    folded = set()
    for word in words(text):
        word = re.sub(r"['’]s$", "", word)
        if len(word) < 3 or word in _STOP:
            continue
        if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        folded.add(word)
    return frozenset(folded)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


# --- the cues --------------------------------------------------------------------------------


def longest(question: str, answers: Sequence[str]) -> frozenset[str]:
    return by_score([len(a) for a in answers])


def shortest(question: str, answers: Sequence[str]) -> frozenset[str]:
    return by_score([len(a) for a in answers], highest=False)


def longest_words(question: str, answers: Sequence[str]) -> frozenset[str]:
    return by_score([len(a.split()) for a in answers])


def shortest_words(question: str, answers: Sequence[str]) -> frozenset[str]:
    return by_score([len(a.split()) for a in answers], highest=False)


# "Yes." / "No, ..." / "Yes -": the bare verdict word, not "No one..." or "Yesterday".
_BARE_YES_NO = re.compile(r"^\W*(?:yes|no)\b(?=\s*(?:[.,;:!?—–-]|$))", re.I)


def opens_with_yes_no(answer: str) -> bool:
    return _BARE_YES_NO.match(answer) is not None


def opener(question: str, answers: Sequence[str]) -> frozenset[str]:
    return having([opens_with_yes_no(a) for a in answers])


def opener_other(question: str, answers: Sequence[str]) -> frozenset[str]:
    return having([not opens_with_yes_no(a) for a in answers])


def opener_longest(question: str, answers: Sequence[str]) -> frozenset[str]:
    picked = opener(question, answers)
    return by_score([len(a) if letter in picked else -1 for letter, a in zip(LETTERS, answers, strict=True)])


_FRAMING = re.compile(
    r"\b(?:critics|supporters|opponents|proponents|advocates|defenders|sceptics|skeptics|detractors|"
    r"campaigners|observers|analysts|experts|economists|many|some|others|most people|people)"
    r"(?:\s+[\w'’-]+){0,3}?\s+"
    r"(?:argue|argues|argued|believe|believes|say|says|claim|claims|contend|contends|maintain|"
    r"maintains|insist|insists|warn|warns|worry|worries|fear|fears|feel|feels|think|thinks|hold|"
    r"holds|point out|points out|suggest|suggests)\b"
    r"|\b(?:often|widely|commonly|sometimes|frequently)\s+(?:argued|believed|said|claimed|held|assumed)\b"
    r"|\baccording to\b",
    re.I,
)


def is_framed(answer: str) -> bool:
    """The answer puts a view in someone else's mouth: "Critics argue", "Many believe"."""
    return _FRAMING.search(answer) is not None


def framed(question: str, answers: Sequence[str]) -> frozenset[str]:
    return having([is_framed(a) for a in answers])


def unframed(question: str, answers: Sequence[str]) -> frozenset[str]:
    return having([not is_framed(a) for a in answers])


def question_overlap(question: str, answer: str) -> float:
    """The share of the question's content words that the answer repeats."""
    asked = content_words(question)
    return len(asked & content_words(answer)) / len(asked) if asked else 0.0


def overlap(question: str, answers: Sequence[str]) -> frozenset[str]:
    return by_score([question_overlap(question, a) for a in answers])


def least_overlap(question: str, answers: Sequence[str]) -> frozenset[str]:
    return by_score([question_overlap(question, a) for a in answers], highest=False)


def similarity_to_others(answers: Sequence[str]) -> list[float]:
    """Each answer's mean word similarity (Jaccard of content words) to the other three."""
    bags = [content_words(a) for a in answers]
    return [
        sum(jaccard(bag, other) for j, other in enumerate(bags) if j != i) / (len(bags) - 1)
        for i, bag in enumerate(bags)
    ]


def odd_one_out(question: str, answers: Sequence[str]) -> frozenset[str]:
    return by_score(similarity_to_others(answers), highest=False)


def most_typical(question: str, answers: Sequence[str]) -> frozenset[str]:
    return by_score(similarity_to_others(answers))


_HEDGES = re.compile(
    r"\b(?:it depends|depends|depend|may|might|perhaps|possibly|probably|arguably|somewhat|partly|"
    r"case by case|case-by-case|on balance|balanced?|to some extent|in some cases|nuanced|mixed|"
    r"unclear|uncertain|reasonable people|both sides|hard to say|not necessarily)\b",
    re.I,
)


def hedges(answer: str) -> int:
    return len(_HEDGES.findall(answer))


def hedged(question: str, answers: Sequence[str]) -> frozenset[str]:
    return by_score([hedges(a) for a in answers])


def unhedged(question: str, answers: Sequence[str]) -> frozenset[str]:
    return by_score([hedges(a) for a in answers], highest=False)


def short_lead(question: str, answers: Sequence[str]) -> frozenset[str]:
    return by_score([len((sentences(a) or [""])[0]) for a in answers], highest=False)


def most_sentences(question: str, answers: Sequence[str]) -> frozenset[str]:
    return by_score([len(sentences(a)) for a in answers])


_EVIDENCE = re.compile(
    r"\b(?:study|studies|research|researchers|evidence|data|survey|surveys|poll|polls|statistics|"
    r"percent|per cent|census|found|finds|shows?|showed)\b|\d+",
    re.I,
)


def evidence(question: str, answers: Sequence[str]) -> frozenset[str]:
    return by_score([len(_EVIDENCE.findall(a)) for a in answers])


_PRESCRIPTIVE = re.compile(r"\b(?:should|must|ought|needs? to)\b", re.I)


def fewest_shoulds(question: str, answers: Sequence[str]) -> frozenset[str]:
    return by_score([len(_PRESCRIPTIVE.findall(a)) for a in answers], highest=False)


# A capitalised word inside a sentence: a person, place, law, event or organisation.
_PROPER_NAME = re.compile(r"(?<=[a-z0-9,;:)] )[A-Z][A-Za-z]+")


def proper_names(question: str, answers: Sequence[str]) -> frozenset[str]:
    return by_score([len(_PROPER_NAME.findall(a)) for a in answers])


_NEGATION = re.compile(r"\b(?:not|no|never|nothing|none|nor|neither|cannot)\b|n['’]t\b", re.I)


def negations(question: str, answers: Sequence[str]) -> frozenset[str]:
    return by_score([len(_NEGATION.findall(a)) for a in answers])


# --- naming an identity or a group ----------------------------------------------------------

# The identity names of the paper's table as the bundled sample spells them (its ten faiths and
# 41 countries are the sample's choice). The audit adds every identity name of the data it
# audits; a cue judge (``baseline:names-group``) sees no data, so it knows these.
KNOWN_IDENTITIES = (  # noqa: SIM905 - a list of names reads better as text
    "Afghanistan, Argentina, Australia, Brazil, China, Democratic Republic of the Congo, Egypt, "
    "Ethiopia, France, Germany, India, Indonesia, Iran, Iraq, Israel, Italy, Japan, Kenya, Libya, "
    "Mexico, Morocco, Myanmar, Nigeria, North Korea, Norway, Pakistan, Palestine, Philippines, "
    "Poland, Qatar, Russia, Saudi Arabia, South Korea, South Sudan, Sudan, Syria, Turkey, UAE, "
    "United States, Venezuela, Yemen, Homosexuality, Young People, Middle-aged People, "
    "Older People, Female, Male, Introversion, Sensing, Intuition, Thinking, Feeling, Judging, "
    "Prospecting, Extraversion, Brown, Light Brown, White, Black, Christianity, Islam, Judaism, "
    "Hinduism, Buddhism, Sikhism, Taoism, Jainism, Shinto, Atheism, High School or Below, "
    "Bachelors, Masters, Doctorate, Low Income, Middle Income, High Income, Democratic Party, "
    "Republican Party, Green Party, Communist Party, Labor Party, Conservative Party, Journalist, "
    "Police, Lawyer, Doctor, Teacher, Real_estate_agent, Chef, Politician, Psychologist, "
    "School_principal, Officer, Ethicist, Environmentalist, Student, Athlete"
).split(", ")

# Words that speak of a group as such, and irregular names of peoples and faithful that the
# regular forms of ``name_forms`` do not reach.
GROUP_WORDS = frozenset(
    """community communities heritage ancestry diaspora compatriots minority minorities believers
    faithful congregation congregations worshippers women woman men girls boys elderly seniors
    retirees pensioners youth millennials gay gays lesbian lesbians lgbt lgbtq queer muslim muslims
    jew jews jewish afghan afghans american americans french british filipino filipinos burmese
    congolese emirati emiratis saudis introvert introverts extrovert extroverts extravert
    extraverts""".split()  # noqa: SIM905 - a word list reads better as text
)


def name_forms(name: str) -> frozenset[str]:
    """Lower-case spellings that name an identity: the name, its plural, and regular derived
    forms of its last word (Kenyan, Chinese, Italian, Turkish, Christian, Buddhist, introvert)."""
    *head, last = name.replace("_", " ").lower().split()
    derived = {last + "an", last + "ian", last + "ese", last + "i", last + "ic"}
    if last.endswith("a"):
        derived.add(last + "n")
    if last[-1] in "aeoy":  # Chinese, Italian, Moroccan, Palestinian (but never Chef -> cheese)
        derived |= {last[:-1] + "an", last[:-1] + "ian", last[:-1] + "ese", last[:-1] + "ish"}
    if last.endswith("y"):
        derived |= {last[:-1], last[:-2] + "ish"}
    if last.endswith("ity"):
        derived.add(last[:-3])
    if last.endswith("ism"):
        derived |= {last[:-3], last[:-3] + "ist"}
    if last.endswith("sion"):
        derived.add(last[:-4] + "t")
    forms = {last} | derived
    forms |= {f + "s" for f in forms} | {last[:-1] + "ies" if last.endswith("y") else last + "es"}
    return frozenset(" ".join([*head, form]) for form in forms)


def group_pattern(identities: Iterable[str]) -> re.Pattern[str]:
    """One pattern for every identity's forms and the group words, whole words, any case."""
    phrases = set(GROUP_WORDS)
    for name in identities:
        phrases |= name_forms(name)
    alternatives = sorted(phrases, key=lambda p: (-len(p), p))
    body = "|".join(r"[\s-]+".join(re.escape(w) for w in p.split()) for p in alternatives)
    return re.compile(rf"(?<![\w-])(?:{body})(?![\w-])", re.I)


def names_group_cue(identities: Iterable[str]) -> Picker:
    """The cue that picks the answers naming any identity of the list, or a group word."""
    pattern = group_pattern(identities)

    def names_group(question: str, answers: Sequence[str]) -> frozenset[str]:
        return having([pattern.search(a) is not None for a in answers])

    return names_group


# --- the registry -----------------------------------------------------------------------------


def cues_for(identities: Iterable[str] = KNOWN_IDENTITIES) -> tuple[Cue, ...]:
    """Every cue, in the order of the audit table; ``names-group`` knows these identity names."""
    return (
        Cue("longest", "the longest answer in characters", longest),
        Cue("shortest", "the shortest answer in characters", shortest),
        Cue("longest-words", "the longest answer in words", longest_words),
        Cue("shortest-words", "the shortest answer in words", shortest_words),
        Cue("opener", "the answers that open with a bare Yes or No", opener),
        Cue("opener-other", "the answers that do not open with a bare Yes or No", opener_other),
        Cue("opener-longest", "the longest of the answers opening with a bare Yes or No", opener_longest),
        Cue("framed", "the answers framed as someone else's view (Critics argue...)", framed),
        Cue("unframed", "the answers not framed as someone else's view", unframed),
        Cue("overlap", "the answer repeating most of the question's words", overlap),
        Cue("least-overlap", "the answer repeating fewest of the question's words", least_overlap),
        Cue("names-group", "the answers naming an identity or a group", names_group_cue(identities)),
        Cue("odd-one-out", "the answer least like the other three in its words", odd_one_out),
        Cue("most-typical", "the answer most like the other three in its words", most_typical),
        Cue("hedged", "the answer with the most hedges (may, perhaps, it depends)", hedged),
        Cue("unhedged", "the answer with the fewest hedges", unhedged),
        Cue("short-lead", "the answer whose first sentence is shortest", short_lead),
        Cue("most-sentences", "the answer with the most sentences", most_sentences),
        Cue("evidence", "the answer citing most studies, data and figures", evidence),
        Cue("fewest-shoulds", "the answer with the fewest should/must/ought", fewest_shoulds),
        Cue("proper-names", "the answer with the most capitalised names inside sentences", proper_names),
        Cue("negations", "the answer with the most negations (not, never, no)", negations),
    )


CUES = cues_for()


def cue_named(name: str) -> Cue | None:
    return next((cue for cue in CUES if cue.name == name), None)


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
    (``{"items": [{"key", "dimension", "identity", "question", "answers", "correct"}]}``),
    for auditing items before they are rendered into prompts."""
    problems: list[str] = []
    spec = read_json_object(path, problems)
    if spec is None or problems:
        raise DataError(problems)
    entries = spec.get("items")
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
