import json
import shutil
from pathlib import Path

import pytest

from giebench_fixtures.data.items import Variant
from giebench_fixtures.data.loading import load_source
from giebench_fixtures.errors import DataError

from .helpers import ROOT, invented_items, write_source

REFERENCE_EDGE_CASE = ROOT.parent / "shared" / "reference" / "Edge_case.json"


def test_sample_covers_every_dimension_and_identity() -> None:
    dataset = load_source(ROOT / "data" / "sample", source="sample")
    assert len(dataset.dimensions()) == 11
    assert sum(len(dataset.identities(d)) for d in dataset.dimensions()) == 97
    assert len(dataset.keys) >= 5 * 97
    assert all(len(dataset.identities(d)) >= 1 for d in dataset.dimensions())
    assert dataset.describe()["source"] == "sample"
    assert "not the GIEBench release" in dataset.describe()["note"]


def test_invented_identities_are_read_from_the_data(tmp_path: Path) -> None:
    items = invented_items({"Gender": ["Gryphon", "Sphinx"], "Faith": ["Pastafarian"]})
    dataset = load_source(write_source(tmp_path, items))
    assert dataset.identities("Gender") == ["Gryphon", "Sphinx"]
    assert dataset.identities("Faith") == ["Pastafarian"]
    item = dataset.items[Variant.COT]["gender-gryphon-0"]
    assert item.question.startswith("Question 0 for Gryphon")
    assert item.answers[2] == "Answer C to gender-gryphon-0, written plainly."


def test_identity_for_raw_items_comes_from_the_id_file(tmp_path: Path) -> None:
    dataset = load_source(write_source(tmp_path, invented_items({"Age": ["Very Old Folks"]})))
    raw = dataset.items[Variant.RAW]["age-very_old_folks-0"]
    assert "belongs to" not in raw.prompt
    # the ID prompt says 'very old folks group' in lower case; one spelling is kept
    assert raw.identity == "Very Old Folks"


def test_dimension_aliases_keep_the_raw_spelling(tmp_path: Path) -> None:
    items = invented_items({"Orientation": ["Homosexuality"]})
    for it in items:
        it["category"] = "Orentation"
    dataset = load_source(write_source(tmp_path, items))
    item = dataset.items[Variant.ID][items[0]["key"]]
    assert (item.dimension, item.dimension_raw) == ("Orientation", "Orentation")


def test_new_spellings_are_configured_not_coded(tmp_path: Path) -> None:
    items = invented_items({"Party": ["Whig"]})
    for it in items:
        it["category"] = "Political Affiliation"
    write_source(tmp_path, items)
    with pytest.raises(DataError, match="unknown dimension 'Political Affiliation'"):
        load_source(tmp_path)
    (tmp_path / "dimensions.toml").write_text('[aliases]\n"Political Affiliation" = "Party"\n')
    assert load_source(tmp_path).identities("Party") == ["Whig"]


def _break(folder: Path, variant: Variant, key: str, change: dict | None) -> None:
    path = folder / variant.filename
    data = json.loads(path.read_text())
    if change is None:
        del data[key]
    else:
        data[key].update(change)
        for k, v in change.items():
            if v is None:
                del data[key][k]
    path.write_text(json.dumps(data))


def test_every_problem_is_reported_at_once_with_file_and_key(tmp_path: Path) -> None:
    write_source(tmp_path, invented_items({"Gender": ["Female", "Male"]}))
    _break(tmp_path, Variant.RAW, "gender-female-0", {"correct": "E"})
    _break(tmp_path, Variant.ID, "gender-female-1", {"category": "Gendre"})
    _break(tmp_path, Variant.COT, "gender-male-0", {"prompt": ""})
    _break(tmp_path, Variant.COT, "gender-male-1", {"correct": None})
    _break(tmp_path, Variant.ID, "gender-male-2", {"prompt": "Pick one: [[A]] or [[B]]"})
    _break(tmp_path, Variant.RAW, "gender-female-2", None)
    with pytest.raises(DataError) as caught:
        load_source(tmp_path)
    message = str(caught.value)
    assert "7 problem(s)" in message  # the broken ID prompt also leaves its Raw item without identity
    assert "Raw-Prompt.json item 'gender-female-0': 'correct' is 'E'" in message
    assert (
        "ID-Prompt.json item 'gender-female-1': unknown dimension 'Gendre'; "
        "did you mean Gender? known: Country" in message
    )
    assert "COT-Prompt.json item 'gender-male-0': the prompt is empty" in message
    assert "COT-Prompt.json item 'gender-male-1': missing field(s) correct" in message
    assert "ID-Prompt.json item 'gender-male-2': the question and four answers were not found" in message
    assert (
        "Raw-Prompt.json: 1 key(s) present in another variant file are missing here: gender-female-2"
        in message
    )


def test_missing_file_and_malformed_json_are_located(tmp_path: Path) -> None:
    write_source(tmp_path, invented_items({"Skin": ["Teal"]}))
    (tmp_path / "COT-Prompt.json").unlink()
    text = (tmp_path / "ID-Prompt.json").read_text()
    (tmp_path / "ID-Prompt.json").write_text(text.replace('"correct"', "correct", 1))
    with pytest.raises(DataError) as caught:
        load_source(tmp_path)
    message = str(caught.value)
    assert "COT-Prompt.json: file is missing" in message
    assert "ID-Prompt.json line 4, column" in message
    assert "not valid JSON" in message


def test_the_published_edge_case_file_is_reported_not_crashed_on(tmp_path: Path) -> None:
    """The real Edge_case.json of the GIEBench repository is not valid JSON; a file with the
    same defect (an object opened where a key belongs) must give a located error."""
    write_source(tmp_path, invented_items({"Country": ["Atlantis"]}))
    broken = (
        '{\n  "Country": {\n    "user": "q"\n  },\n  "Education":{\n    {\n      "user": "q"\n    }\n  }\n}\n'
    )
    (tmp_path / "Raw-Prompt.json").write_text(broken)
    with pytest.raises(DataError, match=r"Raw-Prompt.json line 6, column 5: not valid JSON"):
        load_source(tmp_path)
    if REFERENCE_EDGE_CASE.exists():
        shutil.copy(REFERENCE_EDGE_CASE, tmp_path / "Raw-Prompt.json")
        with pytest.raises(DataError, match=r"Raw-Prompt.json line 10, column 5: not valid JSON"):
            load_source(tmp_path)


def test_duplicates_are_a_warning_not_an_error(tmp_path: Path) -> None:
    items = invented_items({"Economy": ["Low Income"]}, per_identity=3)
    items[1]["question"], items[1]["answers"] = items[0]["question"], items[0]["answers"]
    items[1]["correct"] = items[0]["correct"]
    dataset = load_source(write_source(tmp_path, items))
    assert [w for w in dataset.warnings if "same question" in w] == [
        f"{tmp_path / 'Raw-Prompt.json'}: items {items[0]['key']!r} and {items[1]['key']!r} "
        "have the same question, answers and key"
    ]


def test_a_swap_set_is_not_a_duplicate(tmp_path: Path) -> None:
    items = invented_items({"Economy": ["Low Income", "High Income"]}, per_identity=1)
    items[1]["question"], items[1]["answers"] = items[0]["question"], items[0]["answers"]
    items[1]["correct"] = "B" if items[0]["correct"] == "A" else "A"
    dataset = load_source(write_source(tmp_path, items))
    assert not [w for w in dataset.warnings if "same question" in w]


def test_curly_quotes_and_case_in_the_identity_sentence(tmp_path: Path) -> None:
    write_source(tmp_path, invented_items({"Country": ["Atlantis"]}))
    for variant in (Variant.ID, Variant.COT):
        path = tmp_path / variant.filename
        path.write_text(
            path.read_text().replace("belongs to the atlantis group", "BELONGS TO THE “Atlantis” group")
        )
    assert load_source(tmp_path).identities("Country") == ["Atlantis"]


def test_a_systematic_problem_is_summarised_not_printed_thousands_of_times(tmp_path: Path) -> None:
    items = invented_items({"Country": [f"Land{i}" for i in range(30)]})
    for it in items:
        it["category"] = "Nation-state"
    with pytest.raises(DataError) as caught:
        load_source(write_source(tmp_path, items))
    message = str(caught.value)
    assert message.startswith("270 problem(s)")
    assert "... and 230 more" in message
    assert len(message.splitlines()) < 50
