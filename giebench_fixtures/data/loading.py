"""Reading a GIEBench data source: three prompt files in the official layout.

A source is a folder with ``Raw-Prompt.json``, ``ID-Prompt.json`` and
``COT-Prompt.json``; each is one JSON object, item key -> ``{"prompt", "correct",
"category", ...}``. Every problem found is collected and raised as one ``DataError``
naming the file and the item key, so a user fixes them all in one pass.
"""

from __future__ import annotations

import codecs
import difflib
import json
import tomllib
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from giebench_fixtures.data.items import (
    DIMENSION_ALIASES,
    DIMENSIONS,
    IDENTITY_ALIASES,
    LETTERS,
    VARIANTS,
    Dataset,
    Item,
    Variant,
    identity_in_prompt,
    parse_prompt,
)
from giebench_fixtures.errors import DataError

DIMENSIONS_FILE = "dimensions.toml"


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
    seen: dict[tuple[str, tuple[str, ...], str], str] = {}
    warnings = []
    # Items sharing a question and answers but keyed to different answers are a swap set
    # (judging/swap.py), asked for several identities on purpose; the same key too is a copy.
    for key, item in sorted(items[Variant.RAW].items()):
        answers = tuple(a.casefold() for a in item.answers)
        key_text = answers[LETTERS.index(item.correct)] if item.correct in LETTERS else item.correct
        fingerprint = (item.question.casefold(), answers, key_text)
        if fingerprint in seen:
            warnings.append(
                f"{folder / Variant.RAW.filename}: items {seen[fingerprint]!r} and {key!r} "
                "have the same question, answers and key"
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
