"""The item model: variants, letters, dimensions, an item, a dataset, and what is read off a prompt.

Loading a source folder is ``loading``; this module holds what every stage shares.
"""

from __future__ import annotations

import hashlib
import itertools
import random
import re
import string
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol, TypeVar

from giebench_fixtures.errors import DataError

LETTERS = ("A", "B", "C", "D")


class Variant(StrEnum):
    """The three ways each item is asked."""

    RAW = "raw"
    ID = "id"
    COT = "cot"

    @property
    def filename(self) -> str:
        return {"raw": "Raw-Prompt.json", "id": "ID-Prompt.json", "cot": "COT-Prompt.json"}[self.value]


VARIANTS = tuple(Variant)

# The eleven dimensions of the paper's identity table, and spellings seen in the wild.
DIMENSIONS = (
    "Country",
    "Orientation",
    "Age",
    "Gender",
    "Personality",
    "Skin",
    "Faith",
    "Education",
    "Economy",
    "Party",
    "Occupation",
)
DIMENSION_ALIASES = {
    "orentation": "Orientation",
    "sexual orientation": "Orientation",
    "religion": "Faith",
    "belief": "Faith",
    "skin color": "Skin",
    "skin colour": "Skin",
    "race": "Skin",
    "nation": "Country",
    "profession": "Occupation",
    "job": "Occupation",
    "political party": "Party",
    "income": "Economy",
    "mbti": "Personality",
}
IDENTITY_ALIASES = {"feamle": "Female"}

# A source folder may carry a dimensions.toml to teach the loader new spellings:
#   [aliases]
#   "Orentation" = "Orientation"
#   [dimensions]
#   extra = ["Region"]

_QUESTION_MARKER = "[User Question]"
_START = "[The Start of Assistant {}'s Answer]"
_END = "[The End of Assistant {}'s Answer]"
# Between two answers: the end marker of one and the start marker of the next, nothing else.
_SEPARATORS = {
    (a, b): re.compile(rf"\s*{re.escape(_END.format(a))}\s*{re.escape(_START.format(b))}\n?")
    for a, b in itertools.pairwise(LETTERS)
}
_LAST_END = re.compile(rf"\s*{re.escape(_END.format(LETTERS[-1]))}")
_BELONGS = re.compile(r"belongs to the\s+[\"“'‘]?(?P<name>[^\"”’.\n]+?)[\"”'’]?\s+group", re.I)
_QUOTES = "\"“”'‘’"


@dataclass(frozen=True, slots=True)
class Item:
    """One item asked one way: what the model sees and what counts as right."""

    key: str
    variant: Variant
    dimension: str
    identity: str
    prompt: str
    correct: str
    question: str
    answers: tuple[str, str, str, str]
    dimension_raw: str = ""

    @property
    def label(self) -> str:
        return f"{self.dimension}/{self.identity}/{self.variant}"


@dataclass
class Dataset:
    """All items of a source, by variant, with provenance."""

    source: str
    path: Path
    items: dict[Variant, dict[str, Item]]
    warnings: list[str] = field(default_factory=list)
    shuffle_seed: int | None = None
    fingerprint_before_shuffle: str | None = None

    def fingerprint(self) -> str:
        """sha256 over every item's key, prompt hash, correct letter, dimension and identity, in
        every variant: two runs compare only when theirs are equal. A --shuffle-answers run keeps
        the fingerprint of the data it shuffled (its report says it was shuffled)."""
        if self.fingerprint_before_shuffle is not None:
            return self.fingerprint_before_shuffle
        digest = hashlib.sha256()
        for variant in VARIANTS:
            for key in sorted(self.items[variant]):
                item = self.items[variant][key]
                prompt = hashlib.sha256(item.prompt.encode("utf-8")).hexdigest()
                fields = (str(variant), key, prompt, item.correct, item.dimension, item.identity)
                digest.update(("\0".join(fields) + "\n").encode("utf-8"))
        return digest.hexdigest()

    @property
    def keys(self) -> list[str]:
        return sorted(self.items[Variant.RAW])

    def dimensions(self) -> list[str]:
        present = {i.dimension for i in self.items[Variant.RAW].values()}
        ordered = [d for d in DIMENSIONS if d in present]
        return ordered + sorted(present - set(ordered))

    def identities(self, dimension: str) -> list[str]:
        return sorted({i.identity for i in self.items[Variant.RAW].values() if i.dimension == dimension})

    def select(self, dimension: str, identity: str | None, variant: Variant) -> list[Item]:
        return [
            i
            for i in self.items[variant].values()
            if i.dimension == dimension and (identity is None or i.identity == identity)
        ]

    def describe(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "path": str(self.path),
            "items": len(self.items[Variant.RAW]),
            "dimensions": len(self.dimensions()),
            "identities": sum(len(self.identities(d)) for d in self.dimensions()),
            "note": SOURCE_NOTES.get(self.source, "a user-supplied folder in the GIEBench layout"),
            "answers_shuffled_with_seed": self.shuffle_seed,
            "fingerprint": self.fingerprint(),
        }


SOURCE_NOTES = {
    "sample": "giebench's own original sample, not the GIEBench release; not comparable "
    "with published GIEBench results",
    "official": "the GIEBench release (GIEBench/GIEBench, pinned commit)",
}


def answer_spans(prompt: str) -> tuple[tuple[int, int], ...] | None:
    """Where the question and each answer A-D sit in a judge prompt: (start, end) of each raw
    body, quotes and inner whitespace included; None if the markers are not all there.

    The prompt is split at its markers in order (question, A's start, A-B, B-C, C-D, D's last
    end), never by searching for answer texts, so no answer text can move a marker.
    """
    question_at = prompt.find(_QUESTION_MARKER)
    if question_at < 0:
        return None
    start = prompt.find(_START.format(LETTERS[0]), question_at)
    if start < 0:
        return None
    question_end = len(prompt[:start].rstrip())
    spans = [(question_at + len(_QUESTION_MARKER), question_end)]
    body = start + len(_START.format(LETTERS[0]))
    body += prompt.startswith("\n", body)
    for separator in _SEPARATORS.values():
        found = separator.search(prompt, body)
        if found is None:
            return None
        spans.append((body, found.start()))
        body = found.end()
    last = [m.start() for m in _LAST_END.finditer(prompt, body)]
    if not last:
        return None
    spans.append((body, last[-1]))
    return tuple(spans)


def parse_prompt(prompt: str) -> tuple[str, tuple[str, str, str, str]] | None:
    """The question and the four answers A-D of a judge prompt, or None if not found."""
    spans = answer_spans(prompt)
    if spans is None:
        return None
    question, a, b, c, d = (prompt[lo:hi].strip().strip(_QUOTES).strip() for lo, hi in spans)
    return question, (a, b, c, d)


def identity_in_prompt(prompt: str) -> str | None:
    """The group named by the prompt's 'The user belongs to the ... group' sentence."""
    match = _BELONGS.search(prompt)
    if match is None:
        return None
    name = match.group("name").strip()
    return string.capwords(name) if name.islower() else name


def parse_variants(text: str) -> list[Variant]:
    """Parse a comma list such as 'raw,cot' into variants, in canonical order."""
    wanted = [part.strip().lower() for part in text.split(",") if part.strip()]
    unknown = [w for w in wanted if w not in {v.value for v in VARIANTS}]
    if unknown or not wanted:
        raise ValueError(
            f"--variants {text!r}: unknown {', '.join(unknown) or 'empty list'}; choose from raw,id,cot"
        )
    return [v for v in VARIANTS if v.value in wanted]


def iter_items(dataset: Dataset, variants: Iterable[Variant]) -> Iterable[Item]:
    for variant in variants:
        yield from (dataset.items[variant][k] for k in sorted(dataset.items[variant]))


def shuffle_answers(dataset: Dataset, seed: int) -> Dataset:
    """The same items with their four answers re-ordered, to expose a judge's position bias.

    Each key gets one permutation, drawn from (seed, key), used in all three variants so
    paired comparisons stay paired. Only the answer texts move inside the prompt; every
    other character is kept, and the correct letter follows its answer.
    """
    items: dict[Variant, dict[str, Item]] = {}
    for variant, by_key in dataset.items.items():
        items[variant] = {}
        for key, item in by_key.items():
            order = random.Random(f"{seed}\0{key}").sample(range(4), 4)  # new slot i shows old order[i]
            items[variant][key] = reordered(item, order)
    return Dataset(
        source=dataset.source,
        path=dataset.path,
        items=items,
        warnings=dataset.warnings,
        shuffle_seed=seed,
        fingerprint_before_shuffle=dataset.fingerprint(),
    )


def reordered(item: Item, order: list[int]) -> Item:
    """The item with its answers re-ordered: new slot i shows old slot order[i]; the prompt
    keeps every other character, and the correct letter follows its answer."""
    spans = answer_spans(item.prompt)
    if spans is None:
        raise DataError([f"item {item.key}: the four answers were not found in its {item.variant} prompt"])
    bodies = [item.prompt[lo:hi] for lo, hi in spans[1:]]
    pieces, cursor = [], 0
    for slot, (lo, hi) in enumerate(spans[1:]):
        pieces += [item.prompt[cursor:lo], bodies[order[slot]]]
        cursor = hi
    prompt = "".join([*pieces, item.prompt[cursor:]])
    answers = tuple(item.answers[i] for i in order)
    correct = LETTERS[order.index(LETTERS.index(item.correct))]
    return replace(item, prompt=prompt, answers=answers, correct=correct)  # type: ignore[arg-type]


class Asked(Protocol):
    """What grouping into swap sets reads of an item (``Item`` and the audit's items have it)."""

    @property
    def key(self) -> str: ...
    @property
    def question(self) -> str: ...
    @property
    def answers(self) -> tuple[str, str, str, str]: ...
    @property
    def correct(self) -> str: ...


AskedT = TypeVar("AskedT", bound=Asked)


def swap_sets(items: Iterable[AskedT]) -> list[list[AskedT]]:
    """Groups of two or more items with the same question and answers (the same Raw prompt,
    whatever the answers' order) and different keys: one question asked for several identities."""
    groups: dict[tuple[str, frozenset[str]], list[AskedT]] = defaultdict(list)
    for item in items:
        groups[(item.question, frozenset(item.answers))].append(item)
    return [
        sorted(group, key=lambda i: i.key)
        for group in groups.values()
        if len(group) > 1 and len({_keyed_text(i) for i in group}) > 1
    ]


def _keyed_text(item: Asked) -> str:
    return item.answers[LETTERS.index(item.correct)] if item.correct in LETTERS else item.correct
