"""The answer-only cues: rules that pick answers from an item's surface, never its identity.

Each *cue* is a pure function of an item's question and four answers that returns the letters
it picks (the longest answer, the one opening with a bare "Yes."...). ``audit`` scores them
against chance; ``--model=baseline:CUE`` (``asking/baselines.py``) runs one as a judge.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from giebench_fixtures.data.items import LETTERS

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


@functools.lru_cache(maxsize=65536)  # the audit asks for the same answers' words many times
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


def second_longest(question: str, answers: Sequence[str]) -> frozenset[str]:
    """The answer ranked second by length: what a writer padding one wrong answer past the key
    leaves behind."""
    lengths = [len(a) for a in answers]
    second = sorted(set(lengths), reverse=True)[1:2]
    return by_score([1 if second and n == second[0] else 0 for n in lengths])


def length_lead(question: str, answers: Sequence[str]) -> frozenset[str]:
    """The longest answer if it leads the next by 10 or more words, else the second-longest."""
    counts = sorted((len(words(a)) for a in answers), reverse=True)
    if counts[0] - counts[1] >= 10:
        return longest_words(question, answers)
    return second_longest(question, answers)


def semicolon(question: str, answers: Sequence[str]) -> frozenset[str]:
    return having([";" in a for a in answers])


def dash(question: str, answers: Sequence[str]) -> frozenset[str]:
    return having(["—" in a or "–" in a or " - " in a for a in answers])


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
    names = list(identities)
    pattern = group_pattern(names)
    # Every match starts with the first word of some phrase: answers holding none of those
    # words skip the (slow, many-alternative) pattern.
    phrases = set(GROUP_WORDS).union(*(name_forms(n) for n in names))
    first_words = {re.split(r"\W+", p)[0] for p in phrases}

    def names_group(question: str, answers: Sequence[str]) -> frozenset[str]:
        return having(
            [
                not first_words.isdisjoint(re.split(r"\W+", a.lower())) and pattern.search(a) is not None
                for a in answers
            ]
        )

    return names_group


# --- the registry -----------------------------------------------------------------------------


def cues_for(identities: Iterable[str] = KNOWN_IDENTITIES) -> tuple[Cue, ...]:
    """Every cue, in the order of the audit table; ``names-group`` knows these identity names."""
    return (
        Cue("longest", "the longest answer in characters", longest),
        Cue("shortest", "the shortest answer in characters", shortest),
        Cue("longest-words", "the longest answer in words", longest_words),
        Cue("shortest-words", "the shortest answer in words", shortest_words),
        Cue("second-longest", "the second-longest answer in characters", second_longest),
        Cue("length-lead", "the longest if it leads by 10+ words, else the second-longest", length_lead),
        Cue("semicolon", "the answers holding a semicolon", semicolon),
        Cue("dash", "the answers holding a dash (em, en, or spaced hyphen)", dash),
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
