"""--shuffle-answers: the same items with their answers re-ordered, to expose position bias."""

import json
from collections import Counter
from pathlib import Path

from giebench_fixtures.data.items import LETTERS, Variant, parse_prompt, shuffle_answers
from giebench_fixtures.data.loading import load_source
from tests.loopback import LoopbackServer

from .helpers import ROOT, run_pytest, sample_items, write_source


def test_shuffled_items_keep_their_right_answer_and_everything_else() -> None:
    original = load_source(ROOT / "data" / "sample")
    shuffled = shuffle_answers(original, seed=11)
    moved = 0
    for variant in Variant:
        for key, before in original.items[variant].items():
            after = shuffled.items[variant][key]
            right_before = before.answers[LETTERS.index(before.correct)]
            assert after.answers[LETTERS.index(after.correct)] == right_before
            assert sorted(after.answers) == sorted(before.answers)
            assert parse_prompt(after.prompt) == (before.question, after.answers)
            # same permutation in every variant, so Raw->ID stays paired
            assert after.correct == shuffled.items[Variant.RAW][key].correct
            head = before.prompt.split("[The Start of Assistant A's Answer]")[0]
            assert after.prompt.startswith(head)
            moved += after.correct != before.correct
    assert moved > len(original.keys)  # most items changed letter, in all three variants
    assert shuffle_answers(original, seed=11).items == shuffled.items  # seeded: repeatable
    assert shuffled.describe()["answers_shuffled_with_seed"] == 11


def test_a_judge_that_always_says_a_is_exposed(tmp_path: Path) -> None:
    reports = {}
    data = write_source(tmp_path / "data", sample_items({"Gender", "Age", "Economy", "Skin"}))
    with LoopbackServer(answer=lambda prompt: "[[A]]") as server:
        for name, extra in (("plain", []), ("shuffled", ["--shuffle-answers=5"])):
            run_pytest(
                [
                    "tests_bench",
                    "--model=always-a",
                    f"--base-url={server.url}",
                    f"--data={data}",
                    "--variants=raw",
                    f"--giebench-report={tmp_path / name}.json",
                    *extra,
                ],
                env={"GIEBENCH_CACHE_DIR": str(tmp_path / "cache")},
            )
            reports[name] = json.loads((tmp_path / f"{name}.json").read_text())
    for report in reports.values():
        letters = report["summary"]["raw"]["letters"]
        assert letters["verdicts"] == {"A": len(report["results"])}
        # its accuracy is just the share of items whose right answer sits at A
        assert report["summary"]["raw"]["overall"]["correct"] == letters["correct"].get("A", 0)
    assert reports["shuffled"]["dataset"]["answers_shuffled_with_seed"] == 5
    plain_right = Counter(r["correct"] for r in reports["plain"]["results"])
    shuffled_right = Counter(r["correct"] for r in reports["shuffled"]["results"])
    assert plain_right != shuffled_right
