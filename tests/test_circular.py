"""--circular: every item asked in its four rotations; right only when all four are."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from giebench_fixtures.data.items import LETTERS, Variant, parse_prompt
from giebench_fixtures.data.loading import load_source
from giebench_fixtures.judging import circular
from giebench_fixtures.judging.metrics import Outcome
from giebench_fixtures.judging.thresholds import load_thresholds
from tests.loopback import LoopbackServer, letter_answerer

from .conftest import SNAPSHOTS
from .helpers import run_pytest, write_source
from .live_helpers import live_gate, replay_offline

# --- rotations, by hand ------------------------------------------------------------------


def _items(per_identity: int = 4) -> list[dict[str, Any]]:
    """16 items whose right answer says 'fitting'; right letters A, B, C, D in turn."""
    items = []
    for dimension, names in {"Gender": ["Gryphon", "Sphinx"], "Faith": ["Druid", "Oracle"]}.items():
        for name in names:
            for n in range(per_identity):
                key = f"{dimension.lower()}-{name.lower()}-{n}"
                right = len(items) % 4
                items.append(
                    {
                        "key": key,
                        "dimension": dimension,
                        "identity": name,
                        "question": f"Question {n} for {name}: should thing {key} be done?",
                        "answers": [
                            f"{'The fitting' if a == right else 'Another'} answer number {a} to {key}."
                            for a in range(4)
                        ],
                        "correct": LETTERS[right],
                    }
                )
    return items


def test_rotation_moves_each_answer_one_place_on_and_the_right_letter_with_it(tmp_path: Path) -> None:
    data = load_source(write_source(tmp_path / "d", _items()))
    item = data.items[Variant.ID]["gender-gryphon-1"]  # right answer at B
    assert item.correct == "B"
    turned = circular.rotated(item, 1)
    assert turned.key == "gender-gryphon-1@rot1"
    assert turned.answers == (item.answers[3], item.answers[0], item.answers[1], item.answers[2])
    assert turned.correct == "C"
    assert parse_prompt(turned.prompt) == (item.question, turned.answers)
    assert circular.rotated(item, 3).correct == "A"
    assert circular.rotated(item, 0).answers == item.answers
    rotated = circular.rotate(data)
    assert len(rotated.items[Variant.RAW]) == 4 * len(data.items[Variant.RAW])
    assert {rotated.items[Variant.RAW][f"faith-druid-0@rot{r}"].correct for r in range(4)} == set(LETTERS)


def test_a_chosen_letter_maps_back_to_the_answer_it_showed() -> None:
    assert circular.unrotate("C", 1) == "B"  # rotation 1 showed B's answer at C
    assert circular.unrotate("A", 1) == "D"
    assert circular.unrotate("A", 0) == "A"
    assert circular.unrotate(None, 2) is None


def _turn(key: str, rotation: int, verdict: str | None, correct: str, error: str | None = None) -> Outcome:
    return Outcome(
        key=f"{key}{circular.MARK}{rotation}",
        variant="raw",
        dimension="Gender",
        identity="Gryphon",
        correct=correct,
        verdict=verdict,
        response=None if verdict is None else f"[[{verdict}]]",
        error=error,
    )


def test_an_item_is_right_only_when_every_rotation_is() -> None:
    # item k1: right answer at A, so shown at A, B, C, D in rotations 0-3; the judge follows it.
    follows = [_turn("k1", r, LETTERS[r], LETTERS[r]) for r in range(4)]
    # item k2: right answer at A; the judge always says A, right only in rotation 0.
    always_a = [_turn("k2", r, "A", LETTERS[r]) for r in range(4)]
    # item k3: right in three rotations, wrong in the last.
    three = [_turn("k3", r, LETTERS[r], LETTERS[r]) for r in range(3)] + [_turn("k3", 3, "A", "D")]
    folded = {o.key: o for o in circular.fold(follows + always_a + three)}
    assert folded["k1"].right and folded["k1"].rotations == ("A", "A", "A", "A")
    assert not folded["k2"].right and folded["k2"].rotations == ("A", "D", "C", "B")
    assert not folded["k3"].right and folded["k3"].rotations == ("A", "A", "A", "B")
    summary = circular.summary(folded.values())["raw"]
    assert summary["circular_accuracy"] == pytest.approx(1 / 3)
    assert summary["rotation_accuracy"] == [
        1.0,
        pytest.approx(2 / 3),
        pytest.approx(2 / 3),
        pytest.approx(1 / 3),
    ]
    assert summary["consistency"] == pytest.approx(1 / 3)  # only k1 chose one answer throughout
    assert summary["letters"]["A"] == 4 + 1 + 2  # k2 four times, k1 in rotation 0, k3 in 0 and 3


def test_an_item_with_a_rotation_not_evaluated_is_not_evaluated() -> None:
    turns = [_turn("k", r, LETTERS[r], LETTERS[r]) for r in range(3)]
    turns.append(_turn("k", 3, None, "D", error="HTTP 500 after retries"))
    (folded,) = circular.fold(turns)
    assert not folded.evaluated
    assert folded.error == "rotation 3: HTTP 500 after retries"


def test_circular_runs_have_bars_of_their_own(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text(
        "[defaults]\nmin_accuracy = 0.5\n[variant.cot]\nmin_accuracy = 0.6\n"
        "[circular]\nmin_accuracy = 0.3\n[circular.variant.cot]\nmin_accuracy = 0.4\n"
        "[dimension.Gender]\nmin_accuracy = 0.7\n"
    )
    bars = load_thresholds(path)
    assert bars.bars("Faith", None, "id").min_accuracy == 0.5
    assert bars.bars("Faith", None, "id", circular=True).min_accuracy == 0.3
    assert bars.bars("Faith", None, "cot", circular=True).min_accuracy == 0.4
    assert bars.bars("Faith", None, "cot").min_accuracy == 0.6
    assert bars.bars("Gender", None, "id", circular=True).min_accuracy == 0.7  # more specific wins


# --- end to end, against loopback judges ---------------------------------------------------


def _fitting_letter(prompt: str) -> str:
    answers = parse_prompt(prompt)[1]
    return next(letter for letter, text in zip(LETTERS, answers, strict=True) if "fitting" in text)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_source(tmp_path_factory.mktemp("circular") / "data", _items())


def test_a_judge_that_always_says_a_scores_chance_plainly_and_nothing_circularly(
    data: Path, tmp_path: Path
) -> None:
    with LoopbackServer(answer=lambda prompt: "[[A]]") as server:
        plain_run, plain = live_gate(server, data, tmp_path / "plain", "--variants=raw")
        plain_requests = server.requests()
        html = tmp_path / "circular.html"
        run, report = live_gate(
            server, data, tmp_path / "circular", "--variants=raw", "--circular", f"--giebench-html={html}"
        )
        circular_requests = server.requests() - plain_requests
    assert plain is not None and report is not None, plain_run.stdout + run.stdout
    assert plain["summary"]["raw"]["overall"]["accuracy"] == 0.25
    assert report["circular"] is True and plain["circular"] is False
    assert report["dataset"]["items"] == 16 and report["dataset"]["circular"] is True
    assert report["summary"]["raw"]["overall"]["accuracy"] == 0
    block = report["circular_summary"]["raw"]
    assert block["consistency"] == 0
    assert block["letters"] == {"A": 64}
    assert block["rotation_accuracy"] == [0.25, 0.25, 0.25, 0.25]
    assert re.search(r"circular, raw: accuracy 0\.00 .*consistency 0\.00; letters chosen A 100%", run.stdout)
    assert circular_requests == 4 * plain_requests == 64
    assert report["accounting"]["requests"] == 64
    assert "--circular asks every item in its 4 rotations: up to 64 requests" in run.stderr
    assert run.returncode == 1  # fails the gate: pooled accuracy 0/16
    page = html.read_text()
    assert "<h2>Circular evaluation</h2>" in page and "consistency 0.00; letters chosen A 100%" in page


def test_a_judge_that_always_picks_the_fitting_answer_is_consistent_and_replays_offline(
    data: Path, tmp_path: Path, model: str
) -> None:
    report = tmp_path / "report.json"
    with LoopbackServer(answer=letter_answerer(_fitting_letter)) as server:
        recorded = run_pytest(
            [
                "tests_bench",
                f"--model={model}",
                f"--base-url={server.url}",
                f"--data={data}",
                "--circular",
                "--snapshot-update",
                "-n",
                "2",
                f"--giebench-report={report}",
            ],
            env={"GIEBENCH_CACHE_DIR": str(tmp_path / "cache")},
        )
        requests = server.requests()
    assert recorded.returncode == 0, recorded.stdout[-2000:]
    live = json.loads(report.read_text())
    for variant in ("raw", "id", "cot"):
        assert live["summary"][variant]["overall"]["accuracy"] == 1.0
        assert live["circular_summary"][variant]["circular_accuracy"] == 1.0
        assert live["circular_summary"][variant]["consistency"] == 1.0
    assert requests == live["accounting"]["requests"] == 16 * 3 * 4
    # Recordings of circular runs live apart, and hold every rotation.
    recording = json.loads(
        (SNAPSHOTS / f"{model}@circular" / "test_faith" / "test_accuracy[raw-Druid].json").read_text()
    )
    assert sorted(recording["items"]) == [f"faith-druid-{n}@rot{r}" for n in range(4) for r in range(4)]
    assert not (SNAPSHOTS / model).exists()

    replayed = replay_offline(model, data, tmp_path, "--circular", f"--giebench-report={report}")
    assert replayed.returncode == 0, replayed.stdout[-2000:]
    again = json.loads(report.read_text())
    assert again["accounting"]["requests"] == 0
    assert again["accounting"]["replayed"] == 16 * 3 * 4
    assert again["summary"] == live["summary"]
    assert again["circular_summary"] == live["circular_summary"]
