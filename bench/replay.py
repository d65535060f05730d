"""Replay at full GIEBench scale: 999 items x 3 variants from recordings, -n 0 and -n 2.

    python bench/replay.py [--items 999] [--out bench/results/replay.json]

Records once against a zero-latency loopback server (``--snapshot-update``), then times
``pytest tests_bench --model=... --data=<generated>`` replaying those recordings with no
endpoint at all, serially and with two xdist workers, and reads each run's peak memory
(largest child process RSS). The recordings are written under
``tests_bench/__snapshots__/bench-replay/`` and removed afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.throughput import invented_items, write_source  # noqa: E402
from tests.loopback import LoopbackServer, letter_answerer  # noqa: E402

MODEL = "bench-replay"


# Runs one command and prints the largest RSS of it and its descendants, in KiB, on stderr:
# a fresh process, so each pytest run's peak is its own.
_PEAK = (
    "import resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "sys.stdout.write(done.stdout)\n"
    "sys.stderr.write(f'{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}\\n')\n"
)


def run(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MiB) of the largest process, and stdout of one pytest run."""
    started = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _PEAK,
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests_bench",
            *args,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    if "GIEBench gate" not in done.stdout:
        raise SystemExit(f"pytest did not run the gate:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return wall, int(done.stderr.strip().splitlines()[-1]) / 1024, done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=999)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "replay.json")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = write_source(Path(tmp) / "data", invented_items(options.items))
        env = {**os.environ, "GIEBENCH_CACHE_DIR": str(Path(tmp) / "cache")}
        common = [f"--model={MODEL}", f"--data={data}"]
        try:
            with LoopbackServer(answer=letter_answerer(lambda p: "ABCD"[len(p) % 4])) as server:
                record_wall, _, _ = run([*common, f"--base-url={server.url}", "--snapshot-update"], env)
                requests = server.requests()
            offline = {**env, "GIEBENCH_CACHE_DIR": str(Path(tmp) / "empty-cache")}
            rows = []
            for workers in ("0", "2"):
                wall, peak, out = run([*common, "--base-url=http://127.0.0.1:9/v1", "-n", workers], offline)
                rows.append(
                    {"workers": int(workers), "seconds": round(wall, 2), "peak_rss_mib": round(peak, 1)}
                )
                assert f"recordings ({3 * options.items})" in out, out[-2000:]
        finally:
            shutil.rmtree(ROOT / "tests_bench" / "__snapshots__" / MODEL, ignore_errors=True)
    result = {
        "prompts": 3 * options.items,
        "record_seconds": round(record_wall, 2),
        "record_requests": requests,
        "replay": rows,
    }
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"recorded {requests} prompts in {record_wall:.1f} s; replay with no endpoint:")
    print("| xdist workers | wall time (s) | peak RSS of one process (MiB) |\n|---|---|---|")
    for row in rows:
        print(f"| {row['workers']} | {row['seconds']} | {row['peak_rss_mib']} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
