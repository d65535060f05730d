"""The bundled sample: counterbalanced question sets rendered into the official layout.

``data/sample/source.json`` is giebench's own original writing (not GIEBench items). It holds
*sets*: one question and four answers, each answer the documented standpoint of a different
identity, with its evidence. A set yields one item per identity, keyed to that identity's
answer, and all of a set's items share one Raw prompt, so no reader of the Raw prompt (a
cue, a classifier or a person) can do better than 1/4 on a complete set.

Letters are assigned here, at rendering, never written in the source: each set's answers are
put in the order that keeps the right letters of every dimension and identity closest to
even, so neither the writing order nor a dimension's mix of sets shows in the letters.
``giebench data render-sample`` writes ``Raw-Prompt.json``, ``ID-Prompt.json`` and
``COT-Prompt.json``; ``--check`` verifies they are in sync.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from giebench_fixtures.data.items import LETTERS
from giebench_fixtures.data.template import render_layout
from giebench_fixtures.errors import DataError

SOURCE_NAME = "source.json"
ORIGIN = "giebench sample (original writing, not the GIEBench release)"
_ORDERS = tuple(itertools.permutations(range(len(LETTERS))))


def render(source: Path) -> dict[str, str]:
    """File name -> JSON text of the three prompt files rendered from a source file."""
    spec: dict[str, Any] = json.loads(source.read_text(encoding="utf-8"))
    layout = render_layout(expand_sets(spec.get("sets", []), source), with_identity=True, origin=ORIGIN)
    return {
        name: json.dumps(entries, indent=2, ensure_ascii=False) + "\n" for name, entries in layout.items()
    }


def write(source: Path) -> list[Path]:
    written = []
    for name, text in render(source).items():
        path = source.parent / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def out_of_sync(source: Path) -> list[str]:
    """Names of prompt files that differ from what the source renders to."""
    return [
        name
        for name, text in render(source).items()
        if not (source.parent / name).exists() or (source.parent / name).read_text(encoding="utf-8") != text
    ]


def expand_sets(sets: Sequence[Mapping[str, Any]], source: Path) -> list[dict[str, Any]]:
    """Item specs (``key, dimension, identity, question, answers, correct``): one per answer
    of every set, with the set's answers in the order ``answer_orders`` gives it."""
    _check_sets(sets, source)
    items = []
    for spec, order in zip(sets, answer_orders(sets), strict=True):
        shown = [spec["answers"][i] for i in order]
        for slot, answer in enumerate(shown):
            items.append(
                {
                    "key": f"{spec['set']}-{slug(answer['identity'])}",
                    "dimension": answer["dimension"],
                    "identity": answer["identity"],
                    "question": spec["question"],
                    "answers": [a["text"] for a in shown],
                    "correct": LETTERS[slot],
                }
            )
    return items


def answer_orders(sets: Sequence[Mapping[str, Any]]) -> list[tuple[int, ...]]:
    """For each set, the order its answers are shown in (slot i shows answer order[i]).

    Greedy and deterministic: set by set, the order that keeps the right letters of each
    dimension (and, second, each identity) nearest to even so far; ties go to the order a
    hash of the set's id prefers, so the writing order never decides a letter.
    """
    by_dimension: dict[str, Counter[int]] = defaultdict(Counter)
    by_identity: dict[str, Counter[int]] = defaultdict(Counter)
    chosen = []
    for spec in sets:
        answers = spec["answers"]
        best = min(_ORDERS, key=lambda order: _cost(spec["set"], answers, order, by_dimension, by_identity))
        for slot, index in enumerate(best):
            by_dimension[answers[index]["dimension"]][slot] += 1
            by_identity[answers[index]["identity"]][slot] += 1
        chosen.append(best)
    return chosen


def _cost(
    name: str,
    answers: Sequence[Mapping[str, Any]],
    order: tuple[int, ...],
    by_dimension: Mapping[str, Counter[int]],
    by_identity: Mapping[str, Counter[int]],
) -> tuple[int, int, str]:
    """How uneven the letters would be with this order: dimensions first, then identities."""
    dims: dict[str, Counter[int]] = {}
    ids: dict[str, Counter[int]] = {}
    for slot, index in enumerate(order):
        answer = answers[index]
        dims.setdefault(answer["dimension"], Counter(by_dimension.get(answer["dimension"])))[slot] += 1
        ids.setdefault(answer["identity"], Counter(by_identity.get(answer["identity"])))[slot] += 1
    tie = hashlib.sha256(f"{name}:{order}".encode()).hexdigest()
    return _spread(dims.values()), _spread(ids.values()), tie


def _spread(counters: Any) -> int:
    """How far letter counts are from even: the sum of (max - min) over the counters."""
    return sum(
        max(c[s] for s in range(len(LETTERS))) - min(c[s] for s in range(len(LETTERS))) for c in counters
    )


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _check_sets(sets: Sequence[Mapping[str, Any]], source: Path) -> None:
    problems = []
    seen_sets: set[str] = set()
    for n, spec in enumerate(sets):
        name = spec.get("set") if isinstance(spec, Mapping) else None
        where = f"{source}: set {name!r}" if name else f"{source}: set #{n + 1}"
        if not isinstance(spec, Mapping) or not isinstance(name, str) or not name:
            problems.append(f"{where}: needs a 'set' id, a 'question' and four 'answers'")
            continue
        if name in seen_sets:
            problems.append(f"{where}: the set id is used twice")
        seen_sets.add(name)
        answers = spec.get("answers")
        if not isinstance(spec.get("question"), str) or not isinstance(answers, list) or len(answers) != 4:
            problems.append(f"{where}: needs a 'question' and exactly four 'answers'")
            continue
        for answer in answers:
            missing = [f for f in ("identity", "dimension", "text", "evidence") if not answer.get(f)]
            if missing:
                problems.append(f"{where}: an answer lacks {', '.join(missing)}")
        identities = [a.get("identity") for a in answers]
        if len(set(identities)) != len(identities):
            problems.append(f"{where}: an identity has two answers; each answer is a different identity's")
        if len({a.get("text") for a in answers}) != len(answers):
            problems.append(f"{where}: two answers have the same text")
    if problems:
        raise DataError(problems)
