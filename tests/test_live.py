"""Live runs against a real OpenAI-compatible server on 127.0.0.1, through the openai client."""

import json
import os
import signal
import subprocess
import time
from pathlib import Path

from giebench_fixtures.data.loading import load_source

from .helpers import ROOT, pytest_argv, run_cli, run_pytest
from .live_helpers import answering_server, faulty_first_attempt, letter_of, live_gate, small_data


def test_faults_are_retried_and_every_item_is_evaluated_under_xdist(tmp_path: Path) -> None:
    data = small_data(tmp_path / "data")
    env = {"GIEBENCH_CACHE_DIR": str(tmp_path / "cache"), "OPENAI_API_KEY": "sk-test-secret"}
    with answering_server(
        fault=lambda p, attempt: faulty_first_attempt(p) if attempt == 1 else None
    ) as server:
        run = run_pytest(
            [
                "tests_bench",
                "--model=judge-1",
                f"--base-url={server.url}",
                f"--data={data}",
                "-n",
                "2",
                f"--giebench-report={tmp_path / 'report.json'}",
            ],
            env=env,
        )
    report = json.loads((tmp_path / "report.json").read_text())
    prompts = {i.prompt for v in load_source(data).items.values() for i in v.values()}
    injected = sum(1 for p in prompts if faulty_first_attempt(p))
    assert 5 <= injected <= 20, "the fault plan should hit about a quarter of 45 prompts"
    # each distinct prompt answered exactly once; one extra request per injected fault
    assert server.prompts_served() == {p: 1 for p in prompts}
    assert server.requests() == len(prompts) + injected
    assert all(r["evaluated"] for r in report["results"]) and len(report["results"]) == 45
    # verdicts equal what the server answered
    items = {(i.key, str(i.variant)): i for v in load_source(data).items.values() for i in v.values()}
    for row in report["results"]:
        assert row["verdict"] == letter_of(items[(row["id"], row["variant"])].prompt)
    # the client may also retry a kept-alive connection the server had closed: at least one
    # retry per fault, each counted in the requests
    retries = report["accounting"]["retries"]
    assert retries >= injected
    assert report["accounting"]["requests"] == len(prompts) + retries
    assert "sk-test-secret" not in (tmp_path / "report.json").read_text()
    assert "sk-test-secret" not in run.stdout + run.stderr


def test_items_failing_after_retries_are_not_evaluated_and_fail_the_gate(tmp_path: Path) -> None:
    data = small_data(tmp_path / "data")
    with answering_server(
        fault=lambda p, attempt: "503" if "Gryphon" in p and "cot" not in p else None
    ) as server:
        run, report = live_gate(server, data, tmp_path, "--max-retries=1", "-n", "2", "-k", "Gender")
    assert report is not None
    missing = [r for r in report["results"] if not r["evaluated"]]
    assert missing and all(r["identity"] == "Gryphon" for r in missing)
    assert "item(s) not evaluated" in run.stdout
    assert report["gate"]["passed"] is False


def test_a_wrong_key_ends_the_run_at_once_with_one_clear_line(tmp_path: Path) -> None:
    data = small_data(tmp_path / "data")
    with answering_server(api_key="the-right-key") as server:
        run = run_pytest(
            ["tests_bench", "--model=judge-1", f"--base-url={server.url}", f"--data={data}", "-n", "2"],
            env={"GIEBENCH_CACHE_DIR": str(tmp_path / "cache"), "OPENAI_API_KEY": "wrong-key"},
        )
    assert run.returncode != 0
    # "at once": a handful of requests (each worker's first), not one per prompt (45 here)
    assert 1 <= len(server.log) <= 6, len(server.log)
    assert "refused the API key (HTTP 401); check $OPENAI_API_KEY" in run.stdout
    assert "Interrupted: giebench:" in run.stdout or "Interrupted: giebench:" in run.stderr
    assert "wrong-key" not in run.stdout + run.stderr


def test_an_unknown_model_is_named(tmp_path: Path) -> None:
    data = small_data(tmp_path / "data")
    with answering_server(models={"judge-1"}) as server:
        run = run_pytest(
            ["tests_bench", "--model=judge-2", f"--base-url={server.url}", f"--data={data}"],
            env={"GIEBENCH_CACHE_DIR": str(tmp_path / "cache")},
        )
    assert "does not know model 'judge-2' (HTTP 404)" in run.stdout


def test_a_killed_run_resumes_without_repeating_requests(tmp_path: Path) -> None:
    data = small_data(tmp_path / "data")
    env = {**os.environ, "GIEBENCH_CACHE_DIR": str(tmp_path / "cache")}
    with answering_server(latency=0.2) as server:
        args = pytest_argv(
            "tests_bench", "--model=judge-1", f"--base-url={server.url}", f"--data={data}", "--concurrency=2"
        )
        first = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 60
        while len(server.prompts_served()) < 10 and time.monotonic() < deadline:
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait()
        done_before = set(server.prompts_served())
        assert 10 <= len(done_before) < 45
        second = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert "GIEBench gate" in second.stdout
    served = server.prompts_served()
    assert len(served) == 45
    # the second run asked only for what the first had not completed (in flight at the kill
    # at most: --concurrency=2)
    repeated = [p for p, n in served.items() if n > 1]
    assert len(repeated) <= 2


def test_slow_responses_time_out_and_are_retried(tmp_path: Path) -> None:
    data = small_data(tmp_path / "data")
    with answering_server(
        fault=lambda p, attempt: "slow" if "Druid" in p and attempt == 1 else None, slow_seconds=3.0
    ) as server:
        run, report = live_gate(server, data, tmp_path, "--request-timeout=0.5", "-k", "Druid")
    assert report is not None
    druid = [r for r in report["results"] if r["identity"] == "Druid"]
    assert len(druid) == 9 and all(r["evaluated"] for r in druid), run.stdout[-2000:]
    assert report["accounting"]["retries"] >= 9


def test_a_corrupt_cache_is_named_with_how_to_fix_it(tmp_path: Path) -> None:
    data = small_data(tmp_path / "data")
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "responses.sqlite3").write_bytes(b"this is not a database" * 100)
    with answering_server() as server:
        run = run_pytest(
            ["tests_bench", "--model=judge-1", f"--base-url={server.url}", f"--data={data}", "-k", "Druid"],
            env={"GIEBENCH_CACHE_DIR": str(tmp_path / "cache")},
        )
    assert "responses.sqlite3 cannot be used" in run.stdout
    assert "giebench cache clear" in run.stdout
    assert server.requests() == 0


def test_a_missing_key_is_named_as_missing(tmp_path: Path) -> None:
    data = small_data(tmp_path / "data")
    env = {"GIEBENCH_CACHE_DIR": str(tmp_path / "cache"), "OPENAI_API_KEY": ""}
    with answering_server(api_key="needed") as server:
        run = run_pytest(
            ["tests_bench", "--model=judge-1", f"--base-url={server.url}", f"--data={data}", "-k", "Druid"],
            env=env,
        )
    assert "needs an API key and $OPENAI_API_KEY is not set (HTTP 401)" in run.stdout


def test_the_cache_can_be_found_and_cleared(tmp_path: Path) -> None:
    data = small_data(tmp_path / "data")
    env = {"GIEBENCH_CACHE_DIR": str(tmp_path / "cache")}
    args = ["tests_bench", "--model=judge-1", f"--data={data}", "-k", "Druid"]
    with answering_server() as server:
        run_pytest([*args, f"--base-url={server.url}"], env=env)
        info = run_cli("cache", "info", env={**os.environ, **env})
        assert f"{tmp_path / 'cache' / 'responses.sqlite3'} (9 responses" in info.stdout
        run_pytest([*args, f"--base-url={server.url}"], env=env)
        assert server.requests() == 9  # the second run came from the cache
        assert run_cli("cache", "clear", env={**os.environ, **env}).returncode == 0
        run_pytest([*args, f"--base-url={server.url}"], env=env)
        assert server.requests() == 18
