"""Reading a giebench JSON report back (for compare and leaderboard): checked, or one line naming the file."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from giebench_fixtures.errors import GiebenchError

REPORT_HINT = "expected a JSON report written by: pytest tests_bench --giebench-report=PATH"
ROW_FIELDS: dict[str, tuple[type, ...]] = {
    "id": (str,),
    "variant": (str,),
    "dimension": (str,),
    "identity": (str,),
    "correct": (str,),
    "verdict": (str, type(None)),
    "evaluated": (bool,),
}


@dataclass(frozen=True)
class LoadedReport:
    """A giebench JSON report read from a file, with its results checked."""

    path: Path
    data: Mapping[str, Any]

    @property
    def model(self) -> str:
        return str(self.data.get("model", "?"))

    @property
    def dataset(self) -> Mapping[str, Any]:
        dataset = self.data.get("dataset")
        return dataset if isinstance(dataset, Mapping) else {}

    @property
    def rows(self) -> list[Mapping[str, Any]]:
        return list(self.data["results"])


def load_report(path: Path | str) -> LoadedReport:
    """Read and check a report; any problem is one GiebenchError naming the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GiebenchError(f"{path}: no such file; {REPORT_HINT}") from None
    except UnicodeDecodeError:
        raise GiebenchError(f"{path} is not a text file; {REPORT_HINT}") from None
    except OSError as exc:
        raise GiebenchError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise GiebenchError(
            f"{path} is not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); {REPORT_HINT}"
        ) from None
    except ValueError as exc:
        raise GiebenchError(f"{path} is not a giebench report: {exc}; {REPORT_HINT}") from None
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise GiebenchError(f"{path} is not a giebench report (it has no 'results' list); {REPORT_HINT}")
    problems = _row_problems(data["results"]) + _report_problems(data)
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise GiebenchError(
            f"{path} is not a giebench report: {'; '.join(problems[:3])}{more}; {REPORT_HINT}"
        )
    return LoadedReport(path, data)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"it holds {name}, which no giebench report writes")


def _report_problems(data: Mapping[str, Any]) -> list[str]:
    """The top-level keys every report has; the summary is recomputed from ``results``, but a
    report without one is not a whole report."""
    problems = []
    if not isinstance(data.get("model"), str):
        problems.append("'model' is missing or not a string")
    if not isinstance(data.get("dataset"), dict):
        problems.append("'dataset' is missing or not an object")
    elif not isinstance(data["dataset"].get("items", 0), int) or isinstance(
        data["dataset"].get("items"), bool
    ):
        problems.append("'dataset.items' is not a whole number")
    if not isinstance(data.get("summary"), dict):
        problems.append("'summary' is missing or not an object")
    return problems


def run_marks(data: Mapping[str, Any]) -> str:
    """How a run asked its items, when not plainly: ' [circular]', ' [answers shuffled, seed 3]'."""
    marks = ""
    dataset = data.get("dataset")
    seed = dataset.get("answers_shuffled_with_seed") if isinstance(dataset, Mapping) else None
    if seed is not None:
        marks += f" [answers shuffled, seed {seed}]"
    if data.get("circular"):
        marks += " [circular]"
    return marks


def row_right(row: Mapping[str, Any]) -> bool:
    """A result row is right when evaluated with the right verdict; a circular row when every
    rotation chose the right answer."""
    rotations = row.get("rotations")
    if isinstance(rotations, list) and rotations:
        return bool(row["evaluated"]) and all(chosen == row["correct"] for chosen in rotations)
    return bool(row["evaluated"]) and row["verdict"] == row["correct"]


def _row_problems(rows: Sequence[Any]) -> list[str]:
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            problems.append(f"results[{index}] is not an object")
            continue
        missing = [k for k in ROW_FIELDS if k not in row]
        wrong = [k for k, types in ROW_FIELDS.items() if k in row and not isinstance(row[k], types)]
        if missing:
            problems.append(f"results[{index}] lacks {', '.join(repr(k) for k in missing)}")
        elif wrong:
            problems.append(f"results[{index}] has a wrong type for {', '.join(repr(k) for k in wrong)}")
        elif (row["id"], row["variant"]) in seen:
            problems.append(f"results[{index}] repeats item {row['id']!r} ({row['variant']})")
        else:
            seen.add((row["id"], row["variant"]))
    return problems
