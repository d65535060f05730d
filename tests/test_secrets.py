"""An endpoint that echoes the API key leaves no copy of it anywhere giebench writes."""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path

from giebench_fixtures.asking.cache import ResponseCache
from giebench_fixtures.asking.completion import Completion
from giebench_fixtures.asking.replies import REDACTED, Answer, Fault, classify, secrets_of, server_error
from tests.loopback import LoopbackServer, letter_answerer

from .conftest import SNAPSHOTS
from .helpers import run_pytest
from .live_helpers import small_data


def _kind(prompt: str) -> int:
    return int(hashlib.sha256(prompt.encode()).hexdigest(), 16) % 12


def test_an_echoed_key_is_in_no_output_report_recording_or_cache(model: str, tmp_path: Path) -> None:
    key = f"sk-echo-{uuid.uuid4().hex}"
    faults = {0: "400", 1: "500", 2: "error-200", 3: "text"}
    answer = letter_answerer(lambda p: "ABCD"[_kind(p) % 4])
    server = LoopbackServer(
        answer=lambda p: answer(p) + f" (you sent {key})",
        fault=lambda p, attempt: faults.get(_kind(p)),
        echo_authorization=True,
        retry_after_ms=1,
    )
    out = tmp_path / "out"
    summary = tmp_path / "step-summary.md"
    with server:
        run = run_pytest(
            [
                "tests_bench",
                f"--model={model}",
                f"--base-url={server.url}",
                f"--data={small_data(tmp_path / 'data')}",
                "-k",
                "Gender",
                "--max-retries=1",
                "--snapshot-update",
                f"--giebench-report={out / 'r.json'}",
                f"--giebench-markdown={out / 'r.md'}",
                f"--giebench-html={out / 'r.html'}",
                f"--giebench-csv={out / 'r.csv'}",
                f"--junitxml={out / 'junit.xml'}",
            ],
            env={
                "OPENAI_API_KEY": key,
                "GIEBENCH_CACHE_DIR": str(tmp_path / "cache"),
                "GITHUB_STEP_SUMMARY": str(summary),
            },
        )
    assert {r.authorization for r in server.served()} == {f"Bearer {key}"}
    report = json.loads((out / "r.json").read_text())
    errors = [r.get("error") or "" for r in report["results"]]
    assert any(REDACTED in e for e in errors), errors  # the echoed messages arrived, redacted
    written = [p for p in [*tmp_path.rglob("*"), *SNAPSHOTS.joinpath(model).rglob("*")] if p.is_file()]
    assert {"r.json", "r.md", "r.html", "junit.xml", "step-summary.md", "responses.sqlite3"} <= {
        p.name for p in written
    }
    assert any(p.suffix == ".json" and SNAPSHOTS in p.parents for p in written)  # a recording
    leaks = [str(p) for p in written if key.encode() in p.read_bytes()]
    assert leaks == []
    assert key not in run.stdout + run.stderr
    cache = ResponseCache(tmp_path / "cache" / "responses.sqlite3", run_id="another")
    assert cache.failure_count() == 0  # the run's failure notes ended with it
    cache.close()


def test_redaction_covers_the_key_and_url_credentials() -> None:
    secrets = secrets_of("sk-abc123", "https://bob:s3cr%2Fet@gw.example/v1?api-key=q-9876&x=1")
    assert set(secrets) >= {"sk-abc123", "s3cr%2Fet", "s3cr/et", "q-9876"}
    assert "1" not in secrets  # too short to be a secret
    body = b'{"error": {"message": "bad key sk-abc123 for bob:s3cr/et", "code": "q-9876"}}'
    error = server_error(body, secrets)
    assert error.message == f"bad key {REDACTED} for bob:{REDACTED}" and error.code == REDACTED
    text = classify(b"upstream says sk-abc123 " + b"x" * 400, "text/plain", secrets)
    assert isinstance(text, Fault) and "sk-abc" not in text.reason
    reply = {"choices": [{"message": {"content": "[[A]] sk-abc123"}}], "system_fingerprint": "fp_q-9876"}
    answer = classify(json.dumps(reply).encode(), "application/json", secrets)
    assert isinstance(answer, Answer) and answer.text == f"[[A]] {REDACTED}"
    assert answer.system_fingerprint == f"fp_{REDACTED}"


def test_a_cache_lookup_never_reads_another_runs_failures(tmp_path: Path) -> None:
    path = tmp_path / "responses.sqlite3"
    first, second = ResponseCache(path, run_id="run-1"), ResponseCache(path, run_id="run-2")
    first.put_failure("k", "HTTP 500: boom")
    first.put_failure("*", "the endpoint refused the key")
    assert second.failures(["k"]) == {}
    assert first.failures(["k"]) == {
        "k": ("HTTP 500: boom", False),
        "*": ("the endpoint refused the key", False),
    }
    second.put_failure("k", "HTTP 400: no", refused=True)
    first.forget_run()
    assert first.failures(["k"]) == {}
    assert second.failures(["k"]) == {"k": ("HTTP 400: no", True)}
    assert second.failure_count() == 1
    second.put(
        "a", "m", "prompt", Completion(text="[[A]]", endpoint="http://h/v1")
    )  # answers are shared across runs; failures are not
    assert set(first.get_many(["a"])) == {"a"}
    first.close()
    second.close()
