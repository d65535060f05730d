"""The verdict is what GIEBench's published eval.py reads, for every text."""

import json
import random
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from giebench_fixtures.data.items import VARIANTS
from giebench_fixtures.data.loading import load_source
from giebench_fixtures.judging.verdicts import read_verdict
from giebench_fixtures.recording.snapshots import build_recording, recording_path, recording_text

from .conftest import SNAPSHOTS
from .live_helpers import replay_offline, small_data

# The specification, verbatim from the published eval.py: the letter of the first match.
PUBLISHED = re.compile(r"\[\[([A-Z])\]\](?!(?:[^\[]*\[\[[A-Z]\]\])+[^\[]*\[\[\1\]\])")


def published_verdict(text: str) -> str | None:
    match = PUBLISHED.search(text)
    return match.group(1) if match else None


def old_reading(text: str) -> str | None:
    """giebench's reading before it followed the expression: the first token whose letter does
    not come back two or more tokens later, over all tokens of the text."""
    letters: list[str] = re.findall(r"\[\[([A-Z])\]\]", text)
    return next((x for i, x in enumerate(letters) if x not in letters[i + 2 :]), None)


def echoing(verdict: str, other: str) -> str:
    """A judge's text that echoes a prompt marker between its tokens."""
    marker = f"[The Start of Assistant {other}'s Answer]"
    return f"[[{verdict}]] fits, though {marker} argues [[{other}]]; still [[{verdict}]]."


ISSUE_EXAMPLE = echoing("A", "B")

LETTERS = "ABCDZabcd"  # upper-case tokens count, lower-case ones are stray brackets
PIECES = (
    *(f"[[{x}]]" for x in LETTERS),  # tokens, in either case
    *(f"[[[{x}]]]" for x in LETTERS),  # nested
    *("[", "]", "[[", "]]", "[[A]", "[A]]", "[[B", "[B]", "[[AB]]", "[ [C] ]"),  # stray and partial
    "[The Start of Assistant B's Answer]",  # an echoed marker
    "[link](http://x)",
    *(" ", "\n", "Assistant", "fits", "best.", "verdict:", "A", "B"),  # ordinary words
)
# Each character of a generated string stands for one piece: hypothesis draws strings fast.
ALPHABET = "".join(chr(0x100 + i) for i in range(len(PIECES)))
texts = st.text(alphabet=ALPHABET, max_size=14).map(lambda s: "".join(PIECES[ord(c) - 0x100] for c in s))


@settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_verdict_is_the_first_match_of_the_published_expression(text: str) -> None:
    assert read_verdict(text) == published_verdict(text)


def test_the_generated_texts_reach_where_the_two_readings_differ() -> None:
    rng = random.Random(10)
    sample = ["".join(rng.choice(PIECES) for _ in range(rng.randrange(15))) for _ in range(10_000)]
    differ = sum(old_reading(t) != published_verdict(t) for t in sample)
    assert differ > 500  # about one text in ten: the property test above is not vacuous


def test_examples_a_reader_can_check() -> None:
    assert read_verdict("Assistant B fits best. [[B]]") == "B"
    assert read_verdict("no verdict here") is None
    assert read_verdict("lower case [[a]] is not a verdict") is None
    assert read_verdict("") is None and read_verdict(None) is None
    # A comes back two tokens later, so the first A is passed over for B.
    assert read_verdict("[[A]] [[B]] [[A]]") == "B"
    # Right after is not "two or more tokens later".
    assert read_verdict("[[C]] [[C]]") == "C"
    # The format line echoed from the prompt, then the verdict: one run, A is not repeated.
    assert read_verdict('"[[A]]" if A is better, "[[B]]" if B, "[[C]]", "[[D]]". Final: [[C]]') == "A"
    # A stray "[" ends the run: the earlier token stands.
    assert read_verdict("[[A]] see [1] [[B]] [[A]]") == "A"
    # "]" alone does not end it.
    assert read_verdict("[[A]] ] [[B]] ] [[A]]") == "B"
    # A nested token is still a token, but its outer "[" ends the run before it.
    assert read_verdict("[[A]] [[[B]]] [[A]]") == "A"


def test_the_issue_example_under_both_readings() -> None:
    assert published_verdict(ISSUE_EXAMPLE) == "A"
    assert read_verdict(ISSUE_EXAMPLE) == "A"
    assert old_reading(ISSUE_EXAMPLE) == "B"


def test_a_recording_made_under_the_old_reading_replays_with_the_changed_verdicts_listed(
    model: str, tmp_path: Path
) -> None:
    data = small_data(tmp_path / "data")
    dataset = load_source(data)
    expected = set()
    for variant in VARIANTS:
        for dimension in dataset.dimensions():
            for identity in dataset.identities(dimension):
                items = dataset.select(dimension, identity, variant)
                responses = {}  # the first item of each recording echoes a marker between its tokens
                for n, item in enumerate(items):
                    other = "D" if item.correct != "D" else "A"
                    responses[item.key] = (
                        echoing(item.correct, other)
                        if n == 0
                        else f"Assistant {item.correct} fits. [[{item.correct}]]"
                    )
                scope = f"{dimension}/{identity}/{variant}"
                payload = build_recording(model, scope, items, responses, {"recorded_on": "2024-06-20"})
                for key, entry in payload["items"].items():  # as giebench read them before
                    entry["verdict"] = old_reading(entry["response"])
                    if entry["verdict"] != read_verdict(entry["response"]):
                        expected.add(
                            f"{scope} item {key}: {entry['verdict']} -> {read_verdict(entry['response'])}"
                        )
                path = recording_path(SNAPSHOTS, model, dimension, identity, str(variant))
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(recording_text(payload), encoding="utf-8")
    assert len(expected) == 15  # one per identity and variant

    replay = replay_offline(model, data, tmp_path)
    assert replay.returncode == 1, replay.stdout[-2000:]
    listed = {line.strip() for line in replay.stdout.splitlines() if re.match(r"\s+\w+/\w+/\w+ item ", line)}
    assert listed == expected
    assert f"1 verdict(s) in the recording of {model} read differently by this giebench's verdict rule" in (
        replay.stdout
    )
    assert "15 failed" in replay.stdout  # the 15 recordings with a changed verdict, nothing else

    accepted = replay_offline(model, data, tmp_path, "--snapshot-update")
    assert accepted.returncode == 0, accepted.stdout[-2000:]
    again = replay_offline(model, data, tmp_path, f"--giebench-report={tmp_path / 'r.json'}")
    assert again.returncode == 0 and "read differently" not in again.stdout
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["summary"]["raw"]["overall"]["accuracy"] == 1.0  # every verdict now as published
