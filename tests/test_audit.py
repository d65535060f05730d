"""``giebench data audit``: answer-only shortcut baselines, and the cues as judges.

Each cue is checked on a tiny hand-written item whose pick a reader can see; the statistic and
the verdict on cases small enough to work out by hand; then the command and the judges as a
user runs them.
"""

from __future__ import annotations

import json
import subprocess
from collections import defaultdict
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from giebench_fixtures.asking.baselines import CueJudge, available
from giebench_fixtures.asking.completion import Sampling
from giebench_fixtures.asking.models import make_model
from giebench_fixtures.data import audit, cues
from giebench_fixtures.data.items import Variant
from giebench_fixtures.data.loading import load_source
from giebench_fixtures.data.template import render_prompt
from giebench_fixtures.errors import DataError, EndpointError
from giebench_fixtures.judging.verdicts import read_verdict

from .helpers import invented_items, run_cli, run_pytest, sample_items, write_source

BIKES = "Should towns build more bike lanes?"

# cue name, the four answers, the letters the cue picks (ties: all of them)
PICKS: list[tuple[str, list[str], str]] = [
    # 42 chars / 3 words; 26 chars / 8 words; 9 chars / 2 words; 6 chars / 1 word
    (
        "longest",
        ["Unquestionably, overwhelmingly beneficial.", "It is a good idea to do so.", "Not here.", "Maybe."],
        "A",
    ),
    (
        "longest-words",
        ["Unquestionably, overwhelmingly beneficial.", "It is a good idea to do so.", "Not here.", "Maybe."],
        "B",
    ),
    (
        "shortest",
        ["Unquestionably, overwhelmingly beneficial.", "It is a good idea to do so.", "Not here.", "Maybe."],
        "D",
    ),
    (
        "shortest-words",
        ["Unquestionably, overwhelmingly beneficial.", "It is a good idea to do so.", "Not here.", "Maybe."],
        "D",
    ),
    ("longest", ["Same.", "Same.", "Other", "Four"], "ABC"),
    # 42, 26, 9, 6 characters: the second-longest is B; A leads B by 3 words only, so
    # length-lead takes the second-longest too; with a lead of 10+ words it takes the longest
    (
        "second-longest",
        ["Unquestionably, overwhelmingly beneficial.", "It is a good idea to do so.", "Not here.", "Maybe."],
        "B",
    ),
    (
        "length-lead",
        ["Unquestionably, overwhelmingly beneficial.", "It is a good idea to do so.", "Not here.", "Maybe."],
        "B",
    ),
    ("length-lead", ["one two three four five six seven eight nine ten eleven twelve", "a b", "c", "d"], "A"),
    ("semicolon", ["Yes; often.", "No.", "Maybe.", "Rarely."], "A"),
    ("semicolon", ["Yes.", "No.", "Maybe.", "Rarely."], "ABCD"),
    ("dash", ["Yes.", "No — never.", "Maybe – sometimes.", "Rarely."], "BC"),
    # "No one" is not a bare No; "Yesterday" is not a Yes
    (
        "opener",
        [
            "Yes. They save lives.",
            "No one wants them.",
            "Perhaps, in some places.",
            "Yesterday they opened one.",
        ],
        "A",
    ),
    ("opener", ["Yes, in most towns.", "No - too costly.", "Perhaps.", "Cars come first."], "AB"),
    ("opener", ["Maybe.", "Perhaps.", "Rarely.", "Often."], "ABCD"),
    (
        "opener-other",
        ["Yes. They save lives.", "No one wants them.", "Perhaps, in some places.", "Cars come first."],
        "BCD",
    ),
    (
        "opener-longest",
        ["Yes.", "No, they cost too much.", "Maybe later, when money allows it.", "Never."],
        "B",
    ),
    (
        "framed",
        [
            "Critics argue they slow traffic.",
            "They make streets safer.",
            "Many drivers believe they waste space.",
            "They cost little.",
        ],
        "AC",
    ),
    (
        "unframed",
        [
            "Critics argue they slow traffic.",
            "They make streets safer.",
            "Many drivers believe they waste space.",
            "They cost little.",
        ],
        "BD",
    ),
    # the question's content words: town, build, bike, lane
    ("overlap", ["Towns should build bike lanes.", "Cycling is healthy.", "Lanes help.", "Build them."], "A"),
    (
        "least-overlap",
        ["Towns should build bike lanes.", "Cycling is healthy.", "Lanes help.", "Build them."],
        "B",
    ),
    (
        "odd-one-out",
        [
            "Bike lanes make streets safer for children.",
            "Bike lanes make streets safer for everyone.",
            "Bike lanes make streets safer for cyclists.",
            "Taxes should fund hospitals instead.",
        ],
        "D",
    ),
    (
        "most-typical",
        [
            "Bike lanes make streets safer for children.",
            "Bike lanes make streets safer for everyone.",
            "Bike lanes make streets safer for cyclists.",
            "Taxes should fund hospitals instead.",
        ],
        "ABC",
    ),
    # two hedges (perhaps, it depends), none, one (may), none
    ("hedged", ["Perhaps, and it depends on the town.", "Yes.", "It may help.", "No."], "A"),
    ("unhedged", ["Perhaps, and it depends on the town.", "Yes.", "It may help.", "No."], "BD"),
    (
        "short-lead",
        [
            "Yes. They help a great deal.",
            "They help a great deal. Yes.",
            "They do help, in every town.",
            "Sometimes they help.",
        ],
        "A",
    ),
    ("most-sentences", ["One. Two. Three.", "One. Two.", "One, two.", "One two three four five."], "A"),
    # studies, found, 40 / none / research / none
    (
        "evidence",
        ["Studies found 40% fewer crashes.", "They look nice.", "Research is thin.", "They are cheap."],
        "A",
    ),
    (
        "fewest-shoulds",
        [
            "Towns should and must build them.",
            "They should.",
            "They help cyclists.",
            "Councils ought to try.",
        ],
        "C",
    ),
    # Amsterdam and Copenhagen inside the sentence; a sentence's first word does not count
    (
        "proper-names",
        [
            "In Amsterdam and Copenhagen they work.",
            "They work in many cities.",
            "Paris tried them.",
            "Nobody knows.",
        ],
        "A",
    ),
    ("negations", ["They do not help and never will.", "They help.", "They don't help much.", "Fine."], "A"),
    # Kenyan derives from an identity name; women is a group word
    (
        "names-group",
        ["Kenyan farmers need roads.", "Roads need money.", "Women cycle less.", "Money is short."],
        "AC",
    ),
    ("names-group", ["Roads need money.", "Money is short.", "Cycling is fun.", "Lanes are cheap."], "ABCD"),
]


def _cue(name: str) -> cues.Cue:
    cue = cues.cue_named(name)
    assert cue is not None, name
    return cue


@pytest.mark.parametrize(("name", "answers", "expected"), PICKS, ids=[f"{p[0]}-{p[2]}" for p in PICKS])
def test_each_cue_picks_what_a_reader_sees(name: str, answers: list[str], expected: str) -> None:
    assert _cue(name).pick(BIKES, answers) == frozenset(expected)


def test_every_cue_has_a_hand_checked_case() -> None:
    assert {c.name for c in cues.CUES} == {p[0] for p in PICKS}


def test_identity_names_are_found_in_their_usual_forms_without_matching_common_words() -> None:
    assert {"kenyan", "kenyans"} <= cues.name_forms("Kenya")
    assert "chinese" in cues.name_forms("China")
    assert "italian" in cues.name_forms("Italy")
    assert {"buddhist", "buddhists"} <= cues.name_forms("Buddhism")
    assert "christian" in cues.name_forms("Christianity")
    assert "introvert" in cues.name_forms("Introversion")
    assert "real estate agents" in cues.name_forms("Real_estate_agent")
    assert "cheese" not in cues.name_forms("Chef")
    pattern = cues.group_pattern(["Young People", "Chef"])
    assert pattern.search("policies for young-people matter")
    assert not pattern.search("a cheese board and a young person")


# --- the statistic: exact, with shared credit ---------------------------------------------------


def test_a_credit_is_one_over_the_number_of_tied_picks() -> None:
    assert audit.credit_twelfths(frozenset("A"), "A") == 12
    assert audit.credit_twelfths(frozenset("AB"), "A") == 6
    assert audit.credit_twelfths(frozenset("ABC"), "D") == 0
    assert audit.credit_twelfths(frozenset("ABCD"), "C") == 3


def test_with_no_ties_the_p_value_is_the_binomial_tail() -> None:
    # 2 of 4 right at chance 1/4: P(X >= 2) = 1 - (81 + 108) / 256 = 67/256
    above, below = audit.tail_p_values([1, 1, 1, 1], 24)
    assert above == pytest.approx(67 / 256)
    assert below == pytest.approx((81 + 108 + 54) / 256)


def test_tied_picks_have_their_own_exact_null_distribution() -> None:
    # two items, each a tie of two: credit 0, 1/2, 1 with probability 1/4, 1/2, 1/4
    pmf = audit.null_distribution([2, 2])
    assert pmf[0] == pytest.approx(0.25)
    assert pmf[6] == pytest.approx(0.5)
    assert pmf[12] == pytest.approx(0.25)
    assert audit.tail_p_values([2, 2], 6) == pytest.approx((0.75, 0.75))
    # a four-way tie always earns exactly 1/4: no evidence either way
    assert audit.tail_p_values([4, 4, 4], 9) == pytest.approx((1.0, 1.0))


def _result(twelfths: int, items: int, p_above: float, p_below: float = 1.0) -> audit.CueResult:
    return audit.CueResult(cues.CUES[0], items, twelfths, p_above, p_below)


def test_a_shortcut_beats_chance_beyond_luck_over_all_cues() -> None:
    # 22 cues: the bar is 0.05 / 22 = 0.00227
    assert audit.verdict(_result(71 * 12, 100, 0.002), 22) == "shortcut: solves 0.71 of items, chance 0.25"
    assert audit.verdict(_result(30 * 12, 100, 0.003), 22) == "no shortcut"
    assert audit.verdict(_result(5 * 12, 100, 0.9, p_below=0.0001), 22) == (
        "no shortcut (below chance: 0.05; the fitting answer avoids it)"
    )


def test_the_max_cue_bar_is_exact_at_its_edge() -> None:
    at_bar, above = _result(36, 10, 1.0), _result(37, 10, 1.0)  # 0.30 and 0.3083
    assert audit.cues_above([at_bar, above], Fraction("0.30")) == [above]


def test_accuracy_overall_and_per_dimension_share_credit() -> None:
    items = [
        cues.AuditItem("g1", "Gender", "Q?", ("Yes.", "Maybe.", "Perhaps.", "Later."), "A"),  # picks A: 1
        cues.AuditItem("g2", "Gender", "Q?", ("Maybe.", "Perhaps.", "Later.", "Never."), "B"),  # all: 1/4
        cues.AuditItem("a1", "Age", "Q?", ("No.", "Maybe.", "Yes.", "Later."), "C"),  # A or C: 1/2
    ]
    [result] = audit.audit(items, [_cue("opener")])
    assert result.accuracy == pytest.approx((1 + 0.25 + 0.5) / 3)
    assert result.dimension_accuracy("Gender") == pytest.approx(1.25 / 2)
    assert result.dimension_accuracy("Age") == pytest.approx(0.5)
    assert result.dimension_accuracy("Faith") is None


def test_item_files_in_source_json_format_are_read_with_their_problems_named(tmp_path: Path) -> None:
    good = {"key": "g-1", "dimension": "Gender", "identity": "Female", "question": "Q?"}
    path = tmp_path / "batch.json"
    path.write_text(
        json.dumps({"items": [{**good, "answers": ["a", "b", "c", "d"], "correct": "B"}]}), encoding="utf-8"
    )
    items, identities = audit.read_item_file(path)
    assert items == [cues.AuditItem("g-1", "Gender", "Q?", ("a", "b", "c", "d"), "B")]
    assert identities == ["Female"]
    path.write_text(
        json.dumps({"items": [{**good, "answers": ["a", "b"], "correct": "E"}]}), encoding="utf-8"
    )
    with pytest.raises(DataError, match=r"batch.json item 'g-1': 'answers' must be a list of four texts"):
        audit.read_item_file(path)


# --- the command ------------------------------------------------------------------------------


def _audit_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("data", "audit", *args, timeout=60)


def _opener_items() -> list[dict[str, Any]]:
    """Eight items where the fitting answer, and only it, opens with a bare Yes or No."""
    items = []
    for n in range(8):
        correct = "ABCD"[n % 4]
        answers = [f"It depends on the case, item {n}." for _ in range(4)]
        answers["ABCD".index(correct)] = f"{'Yes' if n % 2 else 'No'}. Item {n}, plainly."
        key = f"gender-gryphon-{n}"
        items.append(
            {
                "key": key,
                "dimension": "Gender",
                "identity": "Gryphon",
                "question": f"Q {n}?",
                "answers": answers,
            }
            | {"correct": correct}
        )
    return items


def test_audit_prints_the_table_and_verdicts_and_exits_1_above_max_cue(tmp_path: Path) -> None:
    folder = write_source(tmp_path / "opener", _opener_items())

    result = _audit_cli(str(folder), "--max-cue", "0.5")

    assert result.returncode == 1, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == f"audit of {folder}, its Raw prompts"
    assert "8 items, 26 cues that never read the identity; chance 0.25, tied picks share the credit" in lines
    header = next(line for line in lines if line.startswith("cue "))
    assert header.split() == ["cue", "overall", "p-value", "Gender"]
    opener_row = next(line for line in lines if line.startswith("opener "))
    assert opener_row.split() == ["opener", "1.00", "2e-05", "1.00"]  # 0.25 ** 8 = 1.5e-05
    assert "  opener          shortcut: solves 1.00 of items, chance 0.25" in result.stdout
    assert "  longest         no shortcut" in result.stdout
    assert lines[-1] == "--max-cue 0.5: the answer-only model was not judged, so this is no pass"  # 8 items
    above = lines[-2].split(" cue(s) above it: ")
    assert above[0].startswith("--max-cue 0.5: ")
    named = dict(entry.split() for entry in above[1].split(", "))
    assert named["opener"] == "1.00"
    assert "longest" not in named  # the fitting answers are the short ones here


def test_audit_exits_0_when_every_cue_is_at_or_below_max_cue(tmp_path: Path) -> None:
    folder = write_source(
        tmp_path / "plain",
        invented_items({"Gender": ["Gryphon"], "Faith": ["Pastafarian"]}, per_identity=12),
    )

    result = _audit_cli(str(folder), "--max-cue", "0.30")

    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines() if line[:1].isalpha() and "  " in line]
    table = {row[0]: row[1:] for row in rows if row[0] in {c.name for c in cues.CUES}}
    assert len(table) == 26
    assert all(cells == ["0.25", "1.000", "0.25", "0.25"] for cells in table.values()), table
    assert (
        result.stdout.splitlines()[-1] == "--max-cue 0.30: every cue and the answer-only model at or below it"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["sample", "--max-cue", "lots"],
            "giebench: --max-cue 'lots': give an accuracy between 0 and 1, e.g. --max-cue 0.30",
        ),
        (
            ["EMPTY"],
            "giebench: EMPTY: no items in Raw-Prompt.json, ID-Prompt.json, COT-Prompt.json; "
            "a source needs at least one item",
        ),
    ],
    ids=["bad-max-cue", "no-items"],
)
def test_audit_bad_input_is_one_line_and_exit_1(tmp_path: Path, args: list[str], message: str) -> None:
    for variant in Variant:
        (tmp_path / variant.filename).write_text("{}", encoding="utf-8")
    args = [str(tmp_path) if a == "EMPTY" else a for a in args]

    result = _audit_cli(*args)

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [message.replace("EMPTY", str(tmp_path))]


# --- the cues as judges -----------------------------------------------------------------------


def test_a_cue_judge_answers_its_pick_the_same_way_in_every_variant() -> None:
    answers = ["Perhaps.", "Yes. They save lives.", "Cars come first.", "No, too costly."]
    judge = CueJudge("baseline:opener", _cue("opener"), seed=None)
    verdicts = {v: read_verdict(judge.answer(render_prompt(v, BIKES, answers, "Cyclists"))) for v in Variant}
    assert set(verdicts.values()) in ({"B"}, {"D"})  # a tie of B and D, broken once per item
    longest = CueJudge("baseline:longest", _cue("longest"), seed=None)
    text = longest.answer(render_prompt(Variant.RAW, BIKES, answers, "Cyclists"))
    assert text == "Baseline pick by the longest cue (the longest answer in characters): [[B]]"


def test_make_model_builds_cue_judges_and_lists_them_for_an_unknown_name() -> None:
    model = make_model("baseline:short-lead", base_url=None, sampling=Sampling())
    assert isinstance(model, CueJudge) and model.cue.name == "short-lead"
    assert not model.cacheable
    with pytest.raises(EndpointError) as error:
        make_model("baseline:loudest", base_url=None, sampling=Sampling())
    assert str(error.value) == (
        f"--model 'baseline:loudest': unknown baseline; available: {', '.join(available())}"
    )
    assert available()[:3] == ["baseline:random", "baseline:longest", "baseline:shortest"]


def test_the_gate_runs_a_cue_judge_with_no_endpoint_and_reports_it(tmp_path: Path) -> None:
    report_path = tmp_path / "longest.json"
    env = {"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "OPENAI_API_KEY": ""}
    folder = write_source(tmp_path / "data", sample_items({"Gender", "Age", "Economy"}))

    run = run_pytest(
        ["tests_bench", "--model=baseline:longest", f"--data={folder}", f"--giebench-report={report_path}"],
        env=env,
    )

    assert run.returncode in (0, 1), run.stdout[-3000:] + run.stderr[-3000:]  # the gate's verdict is its own
    assert "GIEBench gate" in run.stdout and "0 requests" in run.stdout
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["model"] == "baseline:longest"
    dataset = load_source(folder)
    assert len(report["results"]) == 3 * len(dataset.keys)
    by_item: dict[str, set[str]] = defaultdict(set)
    for row in report["results"]:
        by_item[row["id"]].add(row["verdict"])
    assert all(len(letters) == 1 for letters in by_item.values())  # Raw, ID and COT agree
    longest = _cue("longest")
    picks = []
    for key, item in dataset.items[Variant.RAW].items():
        picked = longest.pick(item.question, item.answers)
        assert by_item[key] <= picked, key
        picks.append(len(picked))
    assert min(picks) < 4  # the cue told some answers apart on this writing


def test_an_unknown_cue_judge_stops_the_gate_with_the_list() -> None:
    run = run_pytest(["tests_bench", "--model=baseline:loudest"])
    assert run.returncode == 4
    assert "unknown baseline; available: baseline:random, baseline:longest" in run.stderr
    assert "Traceback" not in run.stderr
