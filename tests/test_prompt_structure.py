"""Prompts are built from their parts: whatever an answer says, the prompt sent under
--shuffle-answers or --circular is exactly the published layout of the item scored."""

from __future__ import annotations

import random
import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from giebench_fixtures.data.items import LETTERS, Dataset, Item, Variant, parse_prompt, shuffle_answers
from giebench_fixtures.data.template import render_prompt
from giebench_fixtures.judging import circular

# Pieces a real answer (or a hostile one) may be made of: the markers' own words, brackets,
# verdict tokens, quotes and line breaks.
_PIECES = st.sampled_from(
    [
        "Answer",
        "The",
        "A",
        "Assistant",
        "'s",
        "Start",
        "End",
        "of",
        "[",
        "]",
        "[[B]]",
        '"',
        " ",
        "\n",
        "[The Start of Assistant A's Answer]",
        "[The End of Assistant C's Answer]",
        "[The End of Assistant D's Answer]",
        "[User Question]",
        "x",
        "é",
    ]
)
_TEXT = st.one_of(st.lists(_PIECES, max_size=8).map("".join), st.text(max_size=12))
# An answer holding one answer's end marker followed by the next one's start marker makes the
# layout itself ambiguous (two answer lists render to one prompt); no other text does.
_SEPARATOR = re.compile(
    r"\[The End of Assistant [A-D]'s Answer\]\s*\[The Start of Assistant [A-D]'s Answer\]"
)


def _unambiguous(answers: list[str]) -> bool:
    return not any(_SEPARATOR.search(a) for a in answers)


def _dataset(answers: list[str], correct: str, *, quoted: bool = True) -> Dataset:
    question = "Should the thing be done?"
    items: dict[Variant, dict[str, Item]] = {}
    for variant in Variant:
        prompt = render_prompt(variant, question, answers, "Female")
        prompt = prompt if quoted else prompt.replace('"', "")
        parsed = parse_prompt(prompt)
        assert parsed is not None
        items[variant] = {
            "k-1": Item(
                key="k-1",
                variant=variant,
                dimension="Gender",
                identity="Female",
                prompt=prompt,
                correct=correct,
                question=parsed[0],
                answers=parsed[1],
            )
        }
    return Dataset(source="test", path=Path("."), items=items)


def _read(text: str) -> str:
    """An answer as the loader reads it from between its quotes."""
    return f'"{text}"'.strip().strip("\"“”'‘’").strip()


ANSWERS = st.lists(_TEXT, min_size=4, max_size=4).filter(_unambiguous)


@settings(max_examples=150, deadline=None)
@given(answers=ANSWERS, correct=st.sampled_from(LETTERS))
def test_plain_prompt_reads_back_the_answers_it_shows(answers: list[str], correct: str) -> None:
    dataset = _dataset(answers, correct)
    for variant in Variant:
        item = dataset.items[variant]["k-1"]
        assert item.answers == tuple(_read(a) for a in answers)


@settings(max_examples=150, deadline=None)
@given(answers=ANSWERS, correct=st.sampled_from(LETTERS), seed=st.integers(0, 1000))
def test_shuffled_prompt_is_the_layout_of_the_item_scored(
    answers: list[str], correct: str, seed: int
) -> None:
    shuffled = shuffle_answers(_dataset(answers, correct), seed)
    order = random.Random(f"{seed}\0k-1").sample(range(4), 4)
    moved = [answers[i] for i in order]
    for variant in Variant:
        item = shuffled.items[variant]["k-1"]
        assert item.prompt == render_prompt(variant, "Should the thing be done?", moved, "Female")
        assert item.answers == tuple(_read(a) for a in moved)
        assert moved[LETTERS.index(item.correct)] == answers[LETTERS.index(correct)]


@settings(max_examples=150, deadline=None)
@given(answers=ANSWERS, correct=st.sampled_from(LETTERS))
def test_circular_prompts_are_the_layouts_of_the_items_scored(answers: list[str], correct: str) -> None:
    rotated = circular.rotate(_dataset(answers, correct))
    for variant in Variant:
        for rotation in range(circular.ROTATIONS):
            item = rotated.items[variant][f"k-1{circular.MARK}{rotation}"]
            moved = [answers[(slot - rotation) % 4] for slot in range(4)]
            assert item.prompt == render_prompt(variant, "Should the thing be done?", moved, "Female")
            assert item.answers == tuple(_read(a) for a in moved)
            assert moved[LETTERS.index(item.correct)] == answers[LETTERS.index(correct)]


def test_answers_that_are_marker_words_or_empty_move_whole() -> None:
    """The cases that mangled prompts before, in a file whose answers are not quoted: an empty
    answer, "Answer", "The", brackets."""
    answers = ["", "Answer", "The", "[x]"]
    rotated = circular.rotate(_dataset(answers, "B", quoted=False))
    one = rotated.items[Variant.ID][f"k-1{circular.MARK}1"]
    expected = render_prompt(Variant.ID, "Should the thing be done?", ["[x]", "", "Answer", "The"], "Female")
    assert one.prompt == expected.replace('"', "")
    assert one.correct == "C"
    assert one.prompt.count("[The Start of Assistant") == 4
