"""Ctrl-C and SIGTERM keep the work and stop the spending, under xdist too."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

from .helpers import ROOT, pytest_argv
from .live_helpers import answering_server, small_data


def _start(server_url: str, data: Path, tmp_path: Path, *extra: str) -> subprocess.Popen[str]:
    out = tmp_path / "out"
    return subprocess.Popen(
        pytest_argv(
            "tests_bench",
            "--model=judge-1",
            f"--base-url={server_url}",
            f"--data={data}",
            "--concurrency=1",
            f"--giebench-report={out / 'report.json'}",
            f"--giebench-markdown={out / 'report.md'}",
            f"--junitxml={out / 'junit.xml'}",
            *extra,
        ),
        cwd=ROOT,
        env={**os.environ, "GIEBENCH_CACHE_DIR": str(tmp_path / "cache")},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_sigint_to_the_controller_stops_every_worker_and_writes_every_report(tmp_path: Path) -> None:
    data = small_data(tmp_path / "data")
    with answering_server(latency=1.5) as server:
        run = _start(server.url, data, tmp_path, "-n", "2")
        deadline = time.monotonic() + 120
        # Signal while both workers have a request held that arrived within the last second:
        # their next ones would start when these are answered, over 0.5 s after the signal.
        while time.monotonic() < deadline:
            held = server.in_flight()
            if len(held) == 2 and server.requests() >= 2 and time.time() - held[0] < 1.0:
                break
            time.sleep(0.01)
        signalled = time.time()
        run.send_signal(signal.SIGINT)
        stdout, stderr = run.communicate(timeout=90)
        time.sleep(0.5)
        late = [r for r in server.served() if r.received >= signalled]
        answered = sum(1 for r in server.served() if r.status == 200 and r.complete)
    assert late == [], f"{len(late)} requests after the signal"
    assert run.returncode == 2, stdout[-3000:] + stderr[-3000:]
    assert "interrupted by SIGINT" in stdout
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["interrupted"] is True and report["gate"]["passed"] is False
    evaluated = sum(1 for r in report["results"] if r["verdict"] is not None)
    assert 1 <= evaluated <= answered < 45
    assert len(report["results"]) == 45  # every item asked about, evaluated or not
    assert "interrupted by SIGINT" in (tmp_path / "out" / "report.md").read_text()
    assert 'name="giebench_interrupted" value="true"' in (tmp_path / "out" / "junit.xml").read_text()


def test_a_second_signal_exits_at_once(tmp_path: Path) -> None:
    data = small_data(tmp_path / "data")
    with answering_server(latency=30) as server:
        run = _start(server.url, data, tmp_path)
        deadline = time.monotonic() + 60
        while not server.in_flight() and time.monotonic() < deadline:
            time.sleep(0.01)
        run.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        run.send_signal(signal.SIGTERM)
        run.communicate(timeout=20)  # long before the 30 s reply
    # our handler's exit, or (if the run was already past its handler, in pytest's teardown) the
    # default one: either way the second signal ended the run, not the 30 s reply
    assert run.returncode in (128 + signal.SIGTERM, -signal.SIGTERM)
