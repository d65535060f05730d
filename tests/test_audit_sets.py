"""The audit's defences against padding: length-rank and punctuation cues, counterbalance
coverage, and the cross-validated answer-only model."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from giebench_fixtures.data import audit, cues
from giebench_fixtures.data.answer_model import cross_validated
from giebench_fixtures.data.cues import AuditItem

from .helpers import run_cli
from .test_swap import invented_sets

ANSWERS = (
    "Short answer here.",  # 3 words
    "A somewhat longer answer; with a semicolon in it.",  # 9 words
    "The longest answer of the four — it runs on for quite a few more words than the rest do.",
    "Medium length answer, plainly.",
)


def test_length_rank_and_punctuation_cues_by_hand() -> None:
    assert cues.second_longest("q", ANSWERS) == frozenset("B")
    assert cues.length_lead("q", ANSWERS) == frozenset("C")  # C leads B by 10+ words
    close = ("one two three", "one two three four", "one two", "one")
    assert cues.length_lead("q", close) == frozenset("A")  # no lead of 10: the second-longest
    assert cues.semicolon("q", ANSWERS) == frozenset("B")
    assert cues.dash("q", ANSWERS) == frozenset("C")
    assert cues.dash("q", ("a", "b", "c", "d")) == frozenset("ABCD")  # none has one: no pick


def _items_from_sets(count: int) -> list[AuditItem]:
    from giebench_fixtures.data.sample import expand_sets

    return [
        AuditItem(i["key"], i["dimension"], i["question"], tuple(i["answers"]), i["correct"])
        for i in expand_sets(invented_sets(count), Path("source.json"))
    ]


def test_coverage_counts_items_in_complete_sets() -> None:
    items = _items_from_sets(3)
    assert audit.coverage(items) == audit.Coverage(items=12, in_sets=12, in_complete_sets=12, complete_sets=3)
    partial = items[:-1]  # one set lost an item: it still is a set, no longer complete
    assert audit.coverage(partial) == audit.Coverage(
        items=11, in_sets=11, in_complete_sets=8, complete_sets=2
    )


def _padded_items(count: int) -> list[AuditItem]:
    """Keys written longer than the wrong answers: what an answer-only model should find."""
    items = []
    for n in range(count):
        correct = "ABCD"[n % 4]
        answers = tuple(
            f"Answer {n}{letter} "
            + ("with many more words to make it the longest by far " if letter == correct else "")
            + "ends here."
            for letter in "ABCD"
        )
        items.append(AuditItem(f"k{n}", "Faith", f"Question {n}?", answers, correct))  # type: ignore[arg-type]
    return items


def test_the_answer_only_model_finds_a_padded_key_and_its_control_does_not() -> None:
    result = cross_validated(_padded_items(200))
    assert result is not None
    assert result.accuracy > 0.9
    assert 0.1 < result.control < 0.4


def test_no_answer_only_model_beats_a_quarter_on_complete_sets() -> None:
    result = cross_validated(_items_from_sets(40))
    assert result is not None
    assert result.accuracy == 0.25  # one pick per set, right for exactly one of its four items


def _audit_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("data", "audit", *args, timeout=120)


def test_audit_of_a_sets_file_passes_max_cue_with_full_coverage(tmp_path: Path) -> None:
    source = tmp_path / "source.json"
    source.write_text(json.dumps({"sets": invented_sets(30)}))
    run = _audit_cli(str(source), "--max-cue", "0.30")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "counterbalance: 120 of 120 items (100%) in 30 complete sets" in run.stdout
    assert "cross-validation grouped by Raw prompt): 0.25;" in run.stdout
    assert "every cue and the answer-only model at or below it" in run.stdout


def test_audit_fails_max_cue_on_padded_keys_and_names_the_model(tmp_path: Path) -> None:
    items = [
        {
            "key": i.key,
            "dimension": i.dimension,
            "identity": "Druid",
            "question": i.question,
            "answers": list(i.answers),
            "correct": i.correct,
        }
        for i in _padded_items(120)
    ]
    source = tmp_path / "items.json"
    source.write_text(json.dumps({"items": items}))
    run = _audit_cli(str(source), "--max-cue", "0.30")
    assert run.returncode == 1
    assert "answer-only model" in run.stdout.splitlines()[-1]
    assert "counterbalance: 0 of 120 items (0%)" in run.stdout
