"""Reading a GIEBench data source: three prompt files in the official layout.

A source is a folder with ``Raw-Prompt.json``, ``ID-Prompt.json`` and
``COT-Prompt.json``; each is one JSON object, item key -> ``{"prompt", "correct",
"category", ...}``. Every problem found is collected and raised as one ``DataError``
naming the file and the item key, so a user fixes them all in one pass.
"""

from __future__ import annotations

import codecs
import difflib
import hashlib
import json
import random
import re
import string
import tomllib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

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
DIMENSIONS_FILE = "dimensions.toml"

_QUESTION = re.compile(r"\[User Question\]\s*(.*?)\s*\[The Start of Assistant A's Answer\]", re.S)
_ANSWER = re.compile(
    r"\[The Start of Assistant ([A-D])'s Answer\]\s*(.*?)\s*\[The End of Assistant \1's Answer\]",
    re.S,
)
# The raw text between an answer's markers, whitespace and quotes included.
_ANSWER_BODY = re.compile(
    r"\[The Start of Assistant ([A-D])'s Answer\]\n?(.*?)\s*\[The End of Assistant \1's Answer\]", re.S
)
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


@dataclass(frozen=True)
class DimensionNames:
    """Canonical dimension names and the spellings that map to them."""

    canonical: tuple[str, ...] = DIMENSIONS
    aliases: Mapping[str, str] = field(default_factory=lambda: dict(DIMENSION_ALIASES))

    def resolve(self, raw: str) -> str | None:
        text = raw.strip()
        for name in self.canonical:
            if name.casefold() == text.casefold():
                return name
        return self.aliases.get(text.casefold())

    @classmethod
    def for_folder(cls, folder: Path) -> DimensionNames:
        """The defaults, extended by the folder's dimensions.toml if it has one."""
        extra_file = folder / DIMENSIONS_FILE
        if not extra_file.exists():
            return cls()
        try:
            config = tomllib.loads(extra_file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise DataError([f"{extra_file}: {exc}"]) from None
        extra = config.get("dimensions", {}).get("extra", [])
        canonical = DIMENSIONS + tuple(str(e) for e in extra)
        aliases = dict(DIMENSION_ALIASES)
        for spelling, name in config.get("aliases", {}).items():
            if name not in canonical:
                raise DataError([f"{extra_file}: alias {spelling!r} points to unknown dimension {name!r}"])
            aliases[spelling.casefold()] = name
        return cls(canonical, aliases)


def read_json_object(path: Path, problems: list[str]) -> dict[str, Any] | None:
    """Parse one JSON object from path, recording a located problem instead of raising.

    Stricter than ``json.loads``: a key given twice in one object (where JSON keeps the
    last silently), bytes that are not UTF-8, and nesting too deep to parse are problems.
    """
    if not path.exists():
        problems.append(f"{path}: file is missing")
        return None
    raw = path.read_bytes()
    bom = codecs.BOM_UTF8 if raw.startswith(codecs.BOM_UTF8) else b""
    try:
        text = raw[len(bom) :].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = exc.start + len(bom)
        problems.append(
            f"{path}: not UTF-8 text (byte 0x{raw[offset]:02x} at byte offset {offset}); "
            "save the file as UTF-8"
        )
        return None
    duplicates = _DuplicateKeys()
    try:
        data = json.loads(text, object_pairs_hook=duplicates.hook)
    except json.JSONDecodeError as exc:
        problems.append(f"{path} line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg})")
        return None
    except RecursionError:
        problems.append(f"{path}: JSON nested too deeply to read (items need only a few levels)")
        return None
    if not isinstance(data, dict):
        problems.append(f"{path}: expected one JSON object of items, found {type(data).__name__}")
        return None
    problems.extend(f"{path}: {where}" for where in duplicates.found(data))
    return data


class _DuplicateKeys:
    """An ``object_pairs_hook`` that keeps JSON's last-one-wins result but remembers every key
    given twice in one object, and the path to that object (item key, then inner keys)."""

    def __init__(self) -> None:
        # id of a parsed object -> (path below that object, repeated key), for each repeat in or under it
        self._inside: dict[int, list[tuple[tuple[str, ...], str]]] = {}

    def hook(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        located: list[tuple[tuple[str, ...], str]] = []
        for key, value in pairs:
            if key in result and ((), key) not in located:
                located.append(((), key))
            result[key] = value
        for key, value in result.items():
            located.extend(((key, *path), repeated) for path, repeated in self._below(value))
        if located:
            self._inside[id(result)] = located
        return result

    def _below(self, value: Any) -> list[tuple[tuple[str, ...], str]]:
        if isinstance(value, dict):
            return self._inside.pop(id(value), [])
        if isinstance(value, list):
            return [((f"[{n}]", *path), key) for n, v in enumerate(value) for path, key in self._below(v)]
        return []

    def found(self, top: dict[str, Any]) -> list[str]:
        """One message per repeated key of the parsed document ``top``."""
        messages = []
        for path, key in self._inside.get(id(top), []):
            where = (
                f" in item {path[0]!r}"
                if len(path) == 1
                else f" under {' > '.join(path)}"
                if path
                else " at the top level"
            )
            messages.append(
                f"key {key!r} appears more than once{where}; "
                "JSON keeps only the last one, so give each its own key or remove the copy"
            )
        return messages


def parse_prompt(prompt: str) -> tuple[str, tuple[str, str, str, str]] | None:
    """The question and the four answers A-D of a judge prompt, or None if not found."""
    question = _QUESTION.search(prompt)
    found = {letter: text for letter, text in _ANSWER.findall(prompt)}
    if question is None or set(found) != set(LETTERS):
        return None
    a, b, c, d = (found[letter].strip().strip(_QUOTES).strip() for letter in LETTERS)
    return question.group(1).strip().strip(_QUOTES).strip(), (a, b, c, d)


def identity_in_prompt(prompt: str) -> str | None:
    """The group named by the prompt's 'The user belongs to the ... group' sentence."""
    match = _BELONGS.search(prompt)
    if match is None:
        return None
    name = match.group("name").strip()
    return string.capwords(name) if name.islower() else name


def load_source(folder: Path, *, source: str | None = None) -> Dataset:
    """Load and validate the three prompt files of a folder; raise DataError listing every problem."""
    folder = Path(folder)
    label = source or str(folder)
    if not folder.is_dir():
        raise DataError([f"{folder}: no such folder"], source=label)
    names = DimensionNames.for_folder(folder)
    problems: list[str] = []
    raw_files = {v: read_json_object(folder / v.filename, problems) for v in VARIANTS}
    if problems:
        raise DataError(problems, source=label)
    files: dict[Variant, dict[str, Any]] = {v: d for v, d in raw_files.items() if d is not None}
    _check_same_keys(folder, files, problems)
    id_prompts = files[Variant.ID]
    items: dict[Variant, dict[str, Item]] = {}
    for variant, entries in files.items():
        path = folder / variant.filename
        items[variant] = {}
        for key, entry in entries.items():
            item = _build_item(path, key, variant, entry, id_prompts.get(key), names, problems)
            if item is not None:
                items[variant][key] = item
    if problems:
        raise DataError(problems, source=label)
    _unify_identity_spelling(items)
    warnings = _duplicate_warnings(folder, items) + _consistency_warnings(folder, items)
    return Dataset(source=label, path=folder, items=items, warnings=warnings)


def require_items(dataset: Dataset) -> None:
    """Raise DataError when a source holds no item: there is nothing to describe or audit."""
    if not dataset.items[Variant.RAW]:
        files = ", ".join(v.filename for v in VARIANTS)
        raise DataError([f"{dataset.path}: no items in {files}; a source needs at least one item"])


def _check_same_keys(folder: Path, files: Mapping[Variant, Mapping[str, Any]], problems: list[str]) -> None:
    everything = set().union(*(set(d) for d in files.values()))
    for variant, entries in files.items():
        missing = sorted(everything - set(entries))
        if missing:
            shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
            problems.append(
                f"{folder / variant.filename}: {len(missing)} key(s) present in another "
                f"variant file are missing here: {shown}"
            )


def _build_item(
    path: Path,
    key: str,
    variant: Variant,
    entry: Any,
    id_entry: Any,
    names: DimensionNames,
    problems: list[str],
) -> Item | None:
    where = f"{path} item {key!r}"
    if not isinstance(entry, dict):
        problems.append(f"{where}: expected an object, found {type(entry).__name__}")
        return None
    absent = [f for f in ("prompt", "correct", "category") if f not in entry]
    if absent:
        problems.append(f"{where}: missing field(s) {', '.join(absent)}")
        return None
    prompt, correct, category = entry["prompt"], entry["correct"], entry["category"]
    before = len(problems)
    if not isinstance(prompt, str) or not prompt.strip():
        problems.append(f"{where}: the prompt is empty")
    if correct not in LETTERS:
        problems.append(f"{where}: 'correct' is {correct!r}; it must be one of A, B, C, D")
    dimension = names.resolve(category) if isinstance(category, str) else None
    if dimension is None:
        close = difflib.get_close_matches(str(category), names.canonical, n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        problems.append(
            f"{where}: unknown dimension {category!r}; {hint}known: {', '.join(names.canonical)} "
            f"(teach new spellings in {DIMENSIONS_FILE} beside the data)"
        )
    if len(problems) > before:
        return None
    parsed = parse_prompt(prompt)
    if parsed is None:
        problems.append(
            f"{where}: the question and four answers were not found; expected "
            "'[User Question]' and '[The Start of Assistant X's Answer]' ... "
            "'[The End of Assistant X's Answer]' for X = A, B, C, D"
        )
        return None
    identity = _identity_of(entry, id_entry)
    if identity is None:
        problems.append(
            f"{where}: no identity: no 'identity' field, no 'belongs to the ... group' "
            "sentence in this prompt or in the ID-Prompt.json item of the same key"
        )
        return None
    question, answers = parsed
    return Item(
        key=key,
        variant=variant,
        dimension=dimension,  # type: ignore[arg-type]  # checked above
        identity=IDENTITY_ALIASES.get(identity.casefold(), identity),
        prompt=prompt,
        correct=correct,
        question=question,
        answers=answers,
        dimension_raw=category,
    )


def _identity_of(entry: Mapping[str, Any], id_entry: Any) -> str | None:
    named = entry.get("identity")
    if isinstance(named, str) and named.strip():
        return named.strip()
    found = identity_in_prompt(entry["prompt"])
    if found is None and isinstance(id_entry, dict) and isinstance(id_entry.get("prompt"), str):
        found = identity_in_prompt(id_entry["prompt"])
    return found


def _unify_identity_spelling(items: dict[Variant, dict[str, Item]]) -> None:
    """Spell each identity one way (prompts say 'homosexuality', fields 'Homosexuality')."""
    spellings: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for by_key in items.values():
        for item in by_key.values():
            spellings[(item.dimension, item.identity.casefold())][item.identity] += 1
    best = {k: max(c, key=lambda s: (not s.islower(), c[s], s)) for k, c in spellings.items()}
    for by_key in items.values():
        for key, item in by_key.items():
            chosen = best[(item.dimension, item.identity.casefold())]
            if chosen != item.identity:
                by_key[key] = replace(item, identity=chosen)


def _duplicate_warnings(folder: Path, items: Mapping[Variant, Mapping[str, Item]]) -> list[str]:
    seen: dict[tuple[str, tuple[str, ...]], str] = {}
    warnings = []
    for key, item in sorted(items[Variant.RAW].items()):
        fingerprint = (item.question.casefold(), tuple(a.casefold() for a in item.answers))
        if fingerprint in seen:
            warnings.append(
                f"{folder / Variant.RAW.filename}: items {seen[fingerprint]!r} and {key!r} "
                "have the same question and answers"
            )
        else:
            seen[fingerprint] = key
    return warnings


def _consistency_warnings(folder: Path, items: Mapping[Variant, Mapping[str, Item]]) -> list[str]:
    warnings = []
    for key, raw in sorted(items[Variant.RAW].items()):
        for variant in (Variant.ID, Variant.COT):
            other = items[variant].get(key)
            if other is not None and (other.correct, other.dimension) != (
                raw.correct,
                raw.dimension,
            ):
                warnings.append(
                    f"{folder / variant.filename} item {key!r}: correct/category "
                    f"{other.correct}/{other.dimension} differ from Raw's {raw.correct}/{raw.dimension}"
                )
    return warnings


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
    bodies = {m.group(1): m.group(2) for m in _ANSWER_BODY.finditer(item.prompt)}

    def swap(match: re.Match[str]) -> str:
        letter = match.group(1)
        source = LETTERS[order[LETTERS.index(letter)]]
        return match.group(0).replace(match.group(2), bodies[source], 1) if match.group(2) else match.group(0)

    prompt = _ANSWER_BODY.sub(swap, item.prompt)
    answers = tuple(item.answers[i] for i in order)
    correct = LETTERS[order.index(LETTERS.index(item.correct))]
    return replace(item, prompt=prompt, answers=answers, correct=correct)  # type: ignore[arg-type]
