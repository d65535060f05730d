"""An answer-only model: can a classifier that never sees the identity learn where the key is?

Single cues are easy to beat one at a time (pad a wrong answer past the key and "longest"
is at chance while "second-longest" wins). This model weighs all the surface features at
once: a conditional logit over the four answers of an item, fitted on some items and scored
on others (k-fold cross-validation). Folds are grouped by Raw prompt, so the items of one
swap set are never split between fitting and scoring. A shuffled-key control beside it
shows what the same procedure scores when there is nothing to learn.

The fit is a small ridge-penalised Newton iteration in numpy (an optional dependency:
``pip install "giebench[audit]"``): exact, deterministic and milliseconds on a few thousand
items, where a general-purpose library would add far more than it gives.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from giebench_fixtures.data.cues import (
    AuditItem,
    content_words,
    evidence,
    framed,
    hedges,
    negations,
    opens_with_yes_no,
    question_overlap,
    sentences,
    similarity_to_others,
    words,
)
from giebench_fixtures.data.items import LETTERS

FOLDS = 10
RIDGE = 1.0
FEATURES = (
    "log characters",
    "words",
    "length rank",
    "longest",
    "second longest",
    "sentences",
    "semicolons",
    "dashes",
    "commas per word",
    "numbers",
    "hedges",
    "negations",
    "should/must",
    "question overlap",
    "similarity to the others",
    "opens Yes/No",
    "framed",
    "evidence words",
    "distinct words",
)


@dataclass(frozen=True)
class ModelResult:
    """Cross-validated accuracy of the answer-only model and of its shuffled-key control."""

    items: int
    accuracy: float
    control: float
    folds: int


def features(question: str, answers: Sequence[str]) -> list[list[float]]:
    """One row of surface features per answer, centred within the item (only differences
    between the four answers can point at one of them)."""
    chars = [len(a) for a in answers]
    ranks = sorted(set(chars), reverse=True)
    similarity = similarity_to_others(answers)
    evidenced = evidence(question, answers)
    framed_ones = framed(question, answers)
    negated = negations(question, answers)
    rows = []
    for letter, answer, n, sim in zip(LETTERS, answers, chars, similarity, strict=True):
        tokens = words(answer)
        rows.append(
            [
                math.log1p(n),
                float(len(tokens)),
                float(ranks.index(n)),
                float(n == ranks[0]),
                float(len(ranks) > 1 and n == ranks[1]),
                float(len(sentences(answer))),
                float(answer.count(";")),
                float(answer.count("—") + answer.count("–") + answer.count(" - ")),
                answer.count(",") / max(len(tokens), 1),
                float(any(ch.isdigit() for ch in answer)),
                float(hedges(answer)),
                float(letter in negated and len(negated) < 4),
                float(sum(t.lower() in ("should", "must", "ought") for t in tokens)),
                question_overlap(question, answer),
                sim,
                float(opens_with_yes_no(answer)),
                float(letter in framed_ones and len(framed_ones) < 4),
                float(letter in evidenced and len(evidenced) < 4),
                float(len(content_words(answer))),
            ]
        )
    means = [sum(col) / len(rows) for col in zip(*rows, strict=True)]
    return [[v - m for v, m in zip(row, means, strict=True)] for row in rows]


def cross_validated(items: Sequence[AuditItem], *, folds: int = FOLDS, seed: int = 0) -> ModelResult | None:
    """The model's and the control's accuracy over held-out folds; None without numpy."""
    try:
        import numpy as np
    except ImportError:
        return None
    if len(items) < folds * 2:
        return ModelResult(len(items), float("nan"), float("nan"), 0)
    x = np.array([features(i.question, i.answers) for i in items])  # items x 4 x features
    scale = x.reshape(-1, x.shape[2]).std(axis=0)
    x = x / np.where(scale > 0, scale, 1.0)
    y = np.array([LETTERS.index(i.correct) for i in items])
    fold_of = np.array([_fold(i, folds) for i in items])
    shuffled = y.copy()
    random.Random(seed).shuffle(shuffled)  # type: ignore[arg-type]
    return ModelResult(
        items=len(items),
        accuracy=_held_out_accuracy(np, x, y, fold_of, folds),
        control=_held_out_accuracy(np, x, shuffled, fold_of, folds),
        folds=folds,
    )


def _fold(item: AuditItem, folds: int) -> int:
    """Items with the same Raw prompt (question and answers) land in the same fold."""
    prompt = item.question + "\0" + "\0".join(sorted(item.answers))
    return int(hashlib.sha256(prompt.encode("utf-8")).hexdigest(), 16) % folds


def _held_out_accuracy(np: Any, x: Any, y: Any, fold_of: Any, folds: int) -> float:
    credit = 0.0
    for fold in range(folds):
        test = fold_of == fold
        if not test.any() or test.all():
            continue
        weights = _fit(np, x[~test], y[~test])
        scores = x[test] @ weights  # test items x 4
        best = scores.max(axis=1, keepdims=True)
        picked = np.isclose(scores, best)
        credit += float((picked[np.arange(len(y[test])), y[test]] / picked.sum(axis=1)).sum())
    return credit / len(y)


def _fit(np: Any, x: Any, y: Any, iterations: int = 25) -> Any:
    """Ridge-penalised conditional logit by Newton's method (the log-likelihood is concave)."""
    n, _, k = x.shape
    w = np.zeros(k)
    chosen = x[np.arange(n), y]  # n x k
    for _ in range(iterations):
        scores = x @ w
        scores -= scores.max(axis=1, keepdims=True)
        p = np.exp(scores)
        p /= p.sum(axis=1, keepdims=True)  # n x 4
        mean = np.einsum("nj,njk->nk", p, x)
        gradient = (chosen - mean).sum(axis=0) - RIDGE * w
        second = np.einsum("nj,njk,njl->kl", p, x, x) - np.einsum("nk,nl->kl", mean, mean)
        step = np.linalg.solve(second + RIDGE * np.eye(k), gradient)
        w += step
        if np.abs(step).max() < 1e-8:
            break
    return w


def model_line(result: ModelResult | None) -> str:
    if result is None:
        return 'answer-only model: not judged, it needs numpy (pip install "giebench[audit]")'
    if not result.folds:
        return f"answer-only model: not judged, {result.items} items are too few for {FOLDS} folds"
    return (
        f"answer-only model (conditional logit on {len(FEATURES)} surface features, {result.folds}-fold "
        f"cross-validation grouped by Raw prompt): {result.accuracy:.2f}; "
        f"shuffled-key control {result.control:.2f}; chance 0.25"
    )
