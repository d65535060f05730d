"""The loader refuses what JSON parsers let through silently, each with one line naming the file:
a key given twice, bytes that are not UTF-8, nesting too deep to parse; and a source with no
item is an error, not "validation: OK". Seen as a user sees it: ``giebench data stats FOLDER``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from giebench_fixtures.data.items import VARIANTS

from .helpers import ROOT, invented_items, write_source


def _stats(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "giebench_fixtures.cli", "data", "stats", str(folder)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("giebench: ")
    return lines[0]


def test_a_key_given_twice_is_an_error_naming_the_file_and_key(tmp_path: Path) -> None:
    folder = write_source(tmp_path / "twice", invented_items({"Gender": ["Gryphon"]}, per_identity=2))
    raw = folder / "Raw-Prompt.json"
    entries = json.loads(raw.read_text(encoding="utf-8"))
    first = json.dumps(entries["gender-gryphon-0"])
    # the same item key twice at the top, and 'correct' twice inside another item
    text = raw.read_text(encoding="utf-8").rstrip()[:-1] + f', "gender-gryphon-0": {first}}}'
    text = text.replace('"correct": "B"', '"correct": "B", "correct": "C"', 1)
    raw.write_text(text, encoding="utf-8")

    result = _stats(folder)

    assert result.returncode == 1
    assert f"{raw}: key 'gender-gryphon-0' appears more than once at the top level" in result.stderr
    assert f"{raw}: key 'correct' appears more than once in item 'gender-gryphon-1'" in result.stderr
    assert "JSON keeps only the last one" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_file_that_is_not_utf8_names_the_file_and_the_byte_offset(tmp_path: Path) -> None:
    folder = write_source(tmp_path / "latin1", invented_items({"Gender": ["Gryphon"]}, per_identity=1))
    cot = folder / "COT-Prompt.json"
    text = cot.read_text(encoding="utf-8")
    cot.write_bytes(text.replace("written plainly", "written caf\u00e9-style").encode("latin-1"))
    offset = text.index("written plainly") + len("written caf")

    line = _one_line_error(_stats(folder))

    assert line == (
        f"giebench: {cot}: not UTF-8 text (byte 0xe9 at byte offset {offset}); save the file as UTF-8"
    )


def test_deeply_nested_json_is_an_error_naming_the_file_not_a_recursion_error(tmp_path: Path) -> None:
    folder = write_source(tmp_path / "deep", invented_items({"Gender": ["Gryphon"]}, per_identity=1))
    id_file = folder / "ID-Prompt.json"
    id_file.write_text('{"x": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")

    line = _one_line_error(_stats(folder))

    assert line == f"giebench: {id_file}: JSON nested too deeply to read (items need only a few levels)"


def test_a_source_with_no_item_is_an_error_not_validation_ok(tmp_path: Path) -> None:
    for variant in VARIANTS:
        (tmp_path / variant.filename).write_text("{}", encoding="utf-8")

    line = _one_line_error(_stats(tmp_path))

    assert line == (
        f"giebench: {tmp_path}: no items in Raw-Prompt.json, ID-Prompt.json, COT-Prompt.json; "
        "a source needs at least one item"
    )
