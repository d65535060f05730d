"""A failed run looks failed everywhere: exit code, JUnit XML, one line naming the file;
structured refusals are answers; a report not written is a failed run."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from giebench_fixtures.asking.replies import MAX_ANSWER_CHARS, Answer, Fault, classify
from giebench_fixtures.recording.snapshots import recording_path
from tests.loopback import LoopbackServer, letter_answerer

from .conftest import SNAPSHOTS
from .helpers import invented_items, run_pytest, write_source
from .live_helpers import NO_ENDPOINT, small_data
from .test_import_results import import_results, right_answer, write_published_results

LENIENT = (
    "[defaults]\nmin_accuracy = 0.0\nmax_gap = 1.0\nmin_empathy = -1.0\nmin_understanding = -1.0\n"
    "min_items = 3\n[variant.cot]\nmin_accuracy = 0.0\n"
)


def _junit(path: Path) -> dict[str, int]:
    suite = ET.parse(path).getroot().find("testsuite")
    assert suite is not None
    return {k: int(suite.attrib[k]) for k in ("failures", "errors")}


def test_junit_counts_an_empty_run_as_failed_and_a_stopped_run_as_an_error(
    model: str, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    for name in ("Raw-Prompt.json", "ID-Prompt.json", "COT-Prompt.json"):
        (empty / name).write_text("{}")
    run = run_pytest(
        ["tests_bench", "--model=baseline:random", f"--data={empty}", f"--junitxml={tmp_path / 'e.xml'}"]
    )
    assert run.returncode == 1
    assert _junit(tmp_path / "e.xml")["failures"] >= 1

    # A malformed recording (an entry that is a string, a list finish_reason) stops the run in one line.
    data = small_data(tmp_path / "data")
    broken = recording_path(SNAPSHOTS, model, "Gender", "Gryphon", "id")
    broken.parent.mkdir(parents=True, exist_ok=True)
    for entry in ("just text", {"prompt_sha256": "x", "response": "[[A]]", "finish_reason": ["stop"]}):
        broken.write_text(json.dumps({"format": 1, "items": {"gender-gryphon-0": entry}}))
        stopped = run_pytest(
            [
                "tests_bench",
                f"--model={model}",
                f"--base-url={NO_ENDPOINT}",
                f"--data={data}",
                "-k",
                "Gender",
                f"--junitxml={tmp_path / 's.xml'}",
            ]
        )
        out = stopped.stdout + stopped.stderr
        assert "INTERNALERROR" not in out and "Traceback" not in out
        assert f"{broken}: item 'gender-gryphon-0'" in out, out[-2000:]
        assert stopped.returncode != 0
        assert _junit(tmp_path / "s.xml")["errors"] >= 1


def test_a_report_that_cannot_be_written_fails_a_passing_run(tmp_path: Path) -> None:
    data = write_source(tmp_path / "data", invented_items({"Gender": ["Female", "Male"]}))
    thresholds = tmp_path / "lenient.toml"
    thresholds.write_text(LENIENT)
    base = ["tests_bench", "--model=baseline:random", f"--data={data}", f"--thresholds={thresholds}"]
    assert run_pytest(base).returncode == 0
    blocked = tmp_path / "a-folder"
    blocked.mkdir()
    run = run_pytest([*base, f"--giebench-report={blocked}"])
    assert f"could not write {blocked}" in run.stdout
    assert run.returncode == 1


def test_a_base_url_with_a_query_string_is_a_usage_error() -> None:
    run = run_pytest(["tests_bench", "--model=m", "--base-url=http://127.0.0.1:9/v1?api-version=2024-06-01"])
    assert run.returncode == 4
    assert "query string" in run.stderr and "2024-06-01" not in run.stderr


def test_a_structured_refusal_is_an_answer_counted_cached_and_never_retried(tmp_path: Path) -> None:
    data = write_source(tmp_path / "data", invented_items({"Gender": ["Female", "Male"]}))
    refused = lambda p: "refusal" if "Female" in p.split("[User Question]")[1][:80] else None  # noqa: E731
    server = LoopbackServer(answer=letter_answerer(lambda p: "A"), fault=lambda p, a: refused(p))
    args = ["tests_bench", "--model=judge-1", f"--base-url={server.url}", f"--data={data}"]
    env = {"GIEBENCH_CACHE_DIR": str(tmp_path / "cache")}
    with server:
        run = run_pytest([*args, f"--giebench-report={tmp_path / 'r.json'}"], env=env)
        first = server.requests()
        again = run_pytest(args, env=env)
        second = server.requests() - first
    report = json.loads((tmp_path / "r.json").read_text())
    rows = [r for r in report["results"] if r["identity"] == "Female"]
    assert len(rows) == 9 and first == 18  # one request per prompt: refusals are not retried
    assert all(r["finish_reason"] == "refusal" and r["verdict"] is None and r["evaluated"] for r in rows)
    assert all("can't help" in r["response"] for r in rows)
    assert "rerun" not in run.stdout
    assert second == 0 and again.returncode == run.returncode  # cached, not asked again


def test_a_null_content_stop_reply_is_retried_not_counted_wrong(tmp_path: Path) -> None:
    data = write_source(tmp_path / "data", invented_items({"Gender": ["Female", "Male"]}))
    server = LoopbackServer(
        answer=letter_answerer(lambda p: "A"),
        fault=lambda p, attempt: "null-content" if attempt == 1 else None,
    )
    with server:
        run_pytest(
            [
                "tests_bench",
                "--model=judge-1",
                f"--base-url={server.url}",
                f"--data={data}",
                f"--giebench-report={tmp_path / 'r.json'}",
            ],
            env={"GIEBENCH_CACHE_DIR": str(tmp_path / "cache")},
        )
        assert server.requests() == 36  # every prompt asked twice
    report = json.loads((tmp_path / "r.json").read_text())
    assert {r["verdict"] for r in report["results"]} == {"A"}


def test_an_oversized_answer_is_a_fault_and_a_refusal_an_answer() -> None:
    big = {"choices": [{"message": {"content": "x" * (MAX_ANSWER_CHARS + 1)}, "finish_reason": "stop"}]}
    fault = classify(json.dumps(big).encode(), "application/json")
    assert isinstance(fault, Fault) and "over the 1,000,000" in fault.reason
    fits = {"choices": [{"message": {"content": "x" * MAX_ANSWER_CHARS}, "finish_reason": "stop"}]}
    assert isinstance(classify(json.dumps(fits).encode()), Answer)
    refusal = {"choices": [{"message": {"content": None, "refusal": "No."}, "finish_reason": "stop"}]}
    assert classify(json.dumps(refusal).encode()) == Answer(text="No.", finish_reason="refusal")
    empty_refusal = {"choices": [{"message": {"content": None, "refusal": " "}, "finish_reason": "stop"}]}
    assert isinstance(classify(json.dumps(empty_refusal).encode()), Fault)


def test_import_errors_name_the_users_file(tmp_path: Path) -> None:
    data = small_data(tmp_path / "data")
    results = tmp_path / "results"
    write_published_results(data, results, "M", right_answer)
    raw = results / "M-Raw-Prompt.json"
    items = json.loads(raw.read_text())
    del next(iter(items.values()))["correct"]
    raw.write_text(json.dumps(items))
    cli = import_results(results, "imported-model")
    assert cli.returncode == 1
    assert str(raw) in cli.stderr, cli.stderr
    assert "/tmp" not in cli.stderr.replace(str(tmp_path), "")
