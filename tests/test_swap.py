"""The identity-swap measure and counterbalanced sets: rules by hand, then whole runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from giebench_fixtures.data.items import LETTERS, Item, Variant, identity_in_prompt, parse_prompt, swap_sets
from giebench_fixtures.data.sample import answer_orders, expand_sets
from giebench_fixtures.errors import DataError
from giebench_fixtures.judging.metrics import Outcome
from giebench_fixtures.judging.swap import measure, swap_report
from tests.loopback import LoopbackServer, letter_answerer

from .helpers import write_source
from .live_helpers import live_gate

IDENTITIES = ["Gryphon", "Sphinx", "Druid", "Oracle"]


def invented_sets(
    count: int, identities: list[str] = IDENTITIES, dimension: str = "Faith"
) -> list[dict[str, Any]]:
    """Sets in source.json's format: one question, four answers, each another identity's."""
    return [
        {
            "set": f"faith-{n:02d}",
            "question": f"Question {n}: what should be done about thing {n}?",
            "answers": [
                {
                    "identity": name,
                    "dimension": dimension,
                    "text": f"Answer of kind {k} on thing {n}.",
                    "evidence": "e",
                }
                for k, name in enumerate(identities)
            ],
        }
        for n in range(count)
    ]


def _item(key: str, identity: str, correct: str, question: str = "q", dimension: str = "Faith") -> Item:
    return Item(key, Variant.ID, dimension, identity, "prompt", correct, question, ("w", "x", "y", "z"))


def _outcome(item: Item, verdict: str | None, **kw: Any) -> Outcome:
    return Outcome(item.key, "id", item.dimension, item.identity, item.correct, verdict, None, **kw)


def test_a_set_yields_one_item_per_answer_each_keyed_once() -> None:
    items = expand_sets(invented_sets(1), Path("source.json"))
    assert [i["key"] for i in items] == [
        f"faith-00-{name.lower()}"
        for name in sorted(IDENTITIES, key=lambda n: [i["identity"] for i in items].index(n))
    ]
    assert {i["question"] for i in items} == {"Question 0: what should be done about thing 0?"}
    assert len({tuple(i["answers"]) for i in items}) == 1  # one Raw prompt for the whole set
    assert sorted(i["correct"] for i in items) == list(LETTERS)
    for item in items:  # each identity is keyed to its own answer
        kind = IDENTITIES.index(item["identity"])
        assert item["answers"][LETTERS.index(item["correct"])] == f"Answer of kind {kind} on thing 0."


def test_letters_are_balanced_whatever_the_writing_order() -> None:
    # Every set written with Gryphon's answer first: rendering must not leave Gryphon on A.
    orders = answer_orders(invented_sets(8))
    gryphon_slots = [order.index(0) for order in orders]
    assert sorted(gryphon_slots) == [0, 0, 1, 1, 2, 2, 3, 3]


def test_a_broken_set_is_one_error_naming_the_file_and_set() -> None:
    sets = invented_sets(2)
    sets[1]["answers"][2]["identity"] = "Gryphon"
    del sets[0]["answers"][0]["evidence"]
    with pytest.raises(DataError) as caught:
        expand_sets(sets, Path("data/x/source.json"))
    assert caught.value.problems == [
        "data/x/source.json: set 'faith-00': an answer lacks evidence",
        "data/x/source.json: set 'faith-01': an identity has two answers; "
        "each answer is a different identity's",
    ]


def test_swap_sets_need_the_same_question_and_answers_and_different_keys() -> None:
    a, b = _item("a", "Gryphon", "A"), _item("b", "Sphinx", "B")
    same_key = _item("c", "Druid", "A")
    other_question = _item("d", "Oracle", "C", question="another")
    assert swap_sets([a, b, other_question]) == [[a, b]]
    assert swap_sets([a, same_key]) == []  # one answer keyed twice: a copy, not a swap


def test_a_constant_answer_is_identity_blind_and_never_right_for_every_identity() -> None:
    items = [_item(k, n, letter) for k, n, letter in zip("abcd", IDENTITIES, LETTERS, strict=True)]
    constant = {i.key: _outcome(i, "A") for i in items}
    tally = measure({i.key: i for i in items}, constant)
    assert tally["overall"].as_dict() == {"sets": 1, "swap_accuracy": 0.0, "identity_blind_rate": 1.0}
    perfect = {i.key: _outcome(i, i.correct) for i in items}
    assert measure({i.key: i for i in items}, perfect)["Faith"].as_dict() == {
        "sets": 1,
        "swap_accuracy": 1.0,
        "identity_blind_rate": 0.0,
    }


def test_a_set_with_an_item_not_evaluated_is_not_counted() -> None:
    items = [_item(k, n, letter) for k, n, letter in zip("abcd", IDENTITIES, LETTERS, strict=True)]
    outcomes = {i.key: _outcome(i, "A") for i in items}
    outcomes["b"] = _outcome(items[1], None, error="HTTP 500")
    assert measure({i.key: i for i in items}, outcomes) == {}


def test_circular_answers_count_as_the_same_only_when_all_rotations_agree() -> None:
    items = [_item(k, n, letter) for k, n, letter in zip("ab", IDENTITIES[:2], "AB", strict=True)]
    steady = {i.key: _outcome(i, "A", rotations=("A", "A", "A", "A")) for i in items}
    assert measure({i.key: i for i in items}, steady)["overall"].blind == 1
    wavering = {i.key: _outcome(i, "A", rotations=("A", "B", "A", "A")) for i in items}
    assert measure({i.key: i for i in items}, wavering)["overall"].blind == 0


def test_a_set_counts_for_every_dimension_it_has_an_item_of() -> None:
    items = [_item("a", "Female", "A", dimension="Gender"), _item("b", "Druid", "B")]
    report = swap_report({"id": {i.key: i for i in items}}, [_outcome(i, "A") for i in items])
    assert set(report["id"]) == {"overall", "Gender", "Faith"}


def _sets_folder(tmp_path: Path, count: int = 3) -> Path:
    return write_source(
        tmp_path / "sets", expand_sets(invented_sets(count), Path("source.json")), with_identity_field=True
    )


def test_random_baseline_is_identity_blind_on_raw(tmp_path: Path) -> None:
    from .helpers import run_pytest

    report = tmp_path / "report.json"
    run = run_pytest(
        [
            "tests_bench",
            "--model=baseline:random",
            f"--data={_sets_folder(tmp_path)}",
            f"--giebench-report={report}",
        ],
        env={"GIEBENCH_CACHE_DIR": str(tmp_path / "cache")},
    )
    assert report.exists(), run.stdout[-2000:]
    swap = json.loads(report.read_text())["swap"]
    assert swap["raw"]["overall"] == {"sets": 3, "swap_accuracy": 0.0, "identity_blind_rate": 1.0}
    assert "identity swap" in run.stdout


def test_a_judge_that_follows_the_stated_identity_swaps_perfectly(tmp_path: Path) -> None:
    data = _sets_folder(tmp_path)
    keys = json.loads((data / "ID-Prompt.json").read_text())
    letter_for = {}
    for entry in keys.values():
        question, _answers = parse_prompt(entry["prompt"]) or ("", ())
        letter_for[(entry["identity"], question)] = entry["correct"]

    def follows_identity(prompt: str) -> str:
        identity = identity_in_prompt(prompt)
        question = (parse_prompt(prompt) or ("", ()))[0]
        return letter_for.get((identity, question), "A") if identity else "A"

    with LoopbackServer(answer=letter_answerer(follows_identity)) as server:
        run, report = live_gate(server, data, tmp_path)
    assert report is not None, run.stdout[-2000:]
    assert report["swap"]["id"]["overall"] == {"sets": 3, "swap_accuracy": 1.0, "identity_blind_rate": 0.0}
    assert report["swap"]["raw"]["overall"] == {"sets": 3, "swap_accuracy": 0.0, "identity_blind_rate": 1.0}


def test_items_sharing_a_prompt_are_one_choice_for_the_position_check() -> None:
    from giebench_fixtures.judging.gate import measure_position, plan_position
    from giebench_fixtures.judging.thresholds import Bars

    planned = plan_position("Faith / raw / letters", 2, [0.25] * 4, Bars(min_items=1))
    # two swap sets of four items; the judge saw each Raw prompt once and answered A, then B
    outcomes = [
        Outcome(f"s{s}-{k}", "raw", "Faith", k, letter, "AB"[s], None)
        for s in range(2)
        for k, letter in zip("wxyz", LETTERS, strict=True)
    ]
    prompts = {o.key: f"prompt of set {o.key[1]}" for o in outcomes}
    measured = measure_position(planned, outcomes, prompts)
    assert measured.message.startswith(
        "letters chosen A 1 B 1 C 0 D 0 vs right A 0.5 B 0.5 C 0.5 D 0.5 (2 verdicts)"
    )
    alone = measure_position(planned, outcomes)  # counted item by item, one set looks like 4 A's
    assert alone.message.startswith("letters chosen A 4 B 4 C 0 D 0 vs right A 2 B 2 C 2 D 2 (8 verdicts)")
    assert alone.p_value < measured.p_value


def test_plan_says_what_the_swap_measure_rests_on(tmp_path: Path) -> None:
    from giebench_fixtures.cli import main

    data = _sets_folder(tmp_path)
    plain = write_source(
        tmp_path / "plain",
        [{**i, "question": f"{i['question']} {i['key']}"} for i in expand_sets(invented_sets(3), Path("s"))],
    )
    import contextlib
    import io

    for folder, expected in [
        (data, "identity swap: 3 sets of items sharing one Raw prompt, keyed to different answers"),
        (plain, "identity swap: no items share a Raw prompt, so the run reports no swap measure"),
    ]:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main(["plan", str(folder)]) == 0
        assert expected in out.getvalue().splitlines()
