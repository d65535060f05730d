"""``giebench data stats`` and ``render-sample``, and the quality of the bundled sample."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

from giebench_fixtures.data import sample
from giebench_fixtures.data.items import DIMENSIONS, LETTERS, VARIANTS

from .helpers import ROOT, invented_items, run_cli, write_source

SAMPLE = ROOT / "data" / "sample"
SOURCE = SAMPLE / sample.SOURCE_NAME
PROMPT_FILES = [v.filename for v in VARIANTS]


def _run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, timeout=60)


def _sample_spec() -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(SOURCE.read_text(encoding="utf-8"))
    return spec


# --- giebench data stats / render-sample ----------------------------------------------


def test_stats_of_the_sample_shows_items_dimensions_identities_and_letters() -> None:
    result = _run_cli("data", "stats", "sample")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    totals = re.search(r"^(\d+) items, 11 dimensions, 97 identities$", result.stdout, re.M)
    assert totals is not None, result.stdout
    assert int(totals.group(1)) >= 5 * 97
    for dimension in DIMENSIONS:
        assert any(re.match(rf"{dimension}\s+\d+\s+\S", line) for line in lines), dimension
    for variant in VARIANTS:
        shares = next(line for line in lines if line.startswith(f"correct letters, {variant:<3}:"))
        for letter in LETTERS:
            assert re.search(rf"\b{letter} \d+ \(\d+%\)", shares), shares
    assert "validation: OK" in lines
    assert "not the GIEBench release" in result.stdout


def test_stats_of_a_malformed_folder_names_the_file_and_item(tmp_path: Path) -> None:
    folder = write_source(tmp_path / "broken", invented_items({"Gender": ["Gryphon"]}))
    raw = folder / "Raw-Prompt.json"
    entries = json.loads(raw.read_text(encoding="utf-8"))
    entries["gender-gryphon-1"]["correct"] = "E"
    raw.write_text(json.dumps(entries), encoding="utf-8")
    result = _run_cli("data", "stats", str(folder))
    assert result.returncode == 1
    assert result.stderr.startswith("giebench: ")
    assert f"{raw} item 'gender-gryphon-1'" in result.stderr
    assert "'correct' is 'E'" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_render_sample_check_passes_on_the_repository() -> None:
    result = _run_cli("data", "render-sample", "--check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "in sync" in result.stdout


def test_out_of_sync_reports_prompt_files_a_changed_source_no_longer_matches(tmp_path: Path) -> None:
    for name in [sample.SOURCE_NAME, *PROMPT_FILES]:
        shutil.copy(SAMPLE / name, tmp_path / name)
    copy = tmp_path / sample.SOURCE_NAME
    assert sample.out_of_sync(copy) == []
    spec = _sample_spec()
    spec["sets"][0]["question"] += " Asked again, differently?"
    copy.write_text(json.dumps(spec, indent=1), encoding="utf-8")
    assert sorted(sample.out_of_sync(copy)) == sorted(PROMPT_FILES)
    (tmp_path / "COT-Prompt.json").unlink()
    sample.write(copy)
    assert sample.out_of_sync(copy) == []


# --- quality of the bundled sample ----------------------------------------------------


def test_every_sample_set_has_four_answers_from_four_identities_with_evidence() -> None:
    bad = [
        spec["set"]
        for spec in _sample_spec()["sets"]
        if len(spec["answers"]) != 4
        or len({a["identity"] for a in spec["answers"]}) != 4
        or not all(a["evidence"].strip() for a in spec["answers"])
    ]
    assert bad == []


def test_every_sample_answer_has_40_to_80_words() -> None:
    bad = [
        f"{spec['set']} {answer['identity']}: {len(answer['text'].split())} words"
        for spec in _sample_spec()["sets"]
        for answer in spec["answers"]
        if not 40 <= len(answer["text"].split()) <= 80
    ]
    assert bad == []


def test_sample_questions_and_set_ids_are_unique() -> None:
    sets = _sample_spec()["sets"]
    questions = Counter(spec["question"].strip().casefold() for spec in sets)
    ids = Counter(spec["set"] for spec in sets)
    assert [q for q, n in questions.items() if n > 1] == []
    assert [k for k, n in ids.items() if n > 1] == []


def test_sample_says_it_is_not_the_giebench_release() -> None:
    about = _sample_spec()["about"]
    assert "not the giebench release" in about.casefold()
