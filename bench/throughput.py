"""Throughput of giebench's request runner against a local OpenAI-compatible server.

    python bench/throughput.py [--prompts 2997] [--latency 0.2] [--out bench/results/throughput.json]

Generates ``--prompts`` judge prompts in the official GIEBench layout (invented items x
the three variants, rendered with ``giebench_fixtures.data.template.render_layout``), loads
them with ``giebench_fixtures.data.loading.load_source``, starts one ``LoopbackServer`` with a
fixed ``--latency`` per request, and for each concurrency level runs
``giebench_fixtures.asking.runner.request_all`` through ``OpenAIChat`` (the real ``openai``
client, real HTTP on 127.0.0.1) into a fresh SQLite ``ResponseCache``.

For each level it reports wall time, the ideal wall time (prompts x latency /
concurrency) and their ratio ideal/actual (1.0 = perfect), requests per second, the
speed-up over concurrency 1 (the sequential loop of the published script), process CPU
per request (split into the event-loop thread, i.e. the client, and everything else,
i.e. the in-process server's threads and SQLite), the running peak RSS and the cache
file size.

Concurrency 1 on 2,997 prompts at 0.2 s would take ten minutes, so it is measured on
the first ``--sequential-subset`` prompts (default 100) and its wall time is scaled to the
full prompt count; the table says so.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import multiprocessing
import os
import platform
import pstats
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # runnable as `python bench/throughput.py` from a checkout
    sys.path.insert(0, str(ROOT))

from giebench_fixtures.asking.cache import ResponseCache, cache_key  # noqa: E402
from giebench_fixtures.asking.models import OpenAIChat, Sampling  # noqa: E402
from giebench_fixtures.asking.runner import Accounting, request_all  # noqa: E402
from giebench_fixtures.data.items import DIMENSIONS, LETTERS, VARIANTS, iter_items, load_source  # noqa: E402
from giebench_fixtures.data.template import render_layout  # noqa: E402
from tests.loopback import LoopbackServer  # noqa: E402

MODEL = "bench-model"
IDENTITIES_PER_DIMENSION = 3  # 11 dimensions x 3 identities = 33 identities


# ---------------------------------------------------------------- data


def invented_items(count: int) -> list[dict[str, Any]]:
    """``count`` made-up items spread over the eleven dimensions (like tests.helpers)."""
    items = []
    for n in range(count):
        dimension = DIMENSIONS[n % len(DIMENSIONS)]
        identity = f"{dimension}folk{(n // len(DIMENSIONS)) % IDENTITIES_PER_DIMENSION}"
        key = f"{dimension.lower()}-{identity.lower()}-{n}"
        items.append(
            {
                "key": key,
                "dimension": dimension,
                "identity": identity,
                "question": f"Question {n} for {identity}: should the {identity} people do thing {key}?",
                "answers": [f"Answer {a} to {key}, written plainly." for a in LETTERS],
                "correct": LETTERS[n % 4],
            }
        )
    return items


def write_source(folder: Path, items: list[dict[str, Any]]) -> Path:
    """The three prompt files of the official layout."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, entries in render_layout(items).items():
        (folder / name).write_text(json.dumps(entries, indent=1), encoding="utf-8")
    return folder


def build_prompts(total: int, folder: Path, sampling: Sampling) -> dict[str, str]:
    """cache key -> prompt for ``total`` prompts, loaded back through load_source."""
    n_items = -(-total // len(VARIANTS))
    dataset = load_source(write_source(folder, invented_items(n_items)), source="bench")
    if dataset.warnings:
        raise SystemExit(f"unexpected data warnings: {dataset.warnings[:3]}")
    prompts: dict[str, str] = {}
    for item in iter_items(dataset, VARIANTS):
        prompts[cache_key(MODEL, sampling, item.prompt)] = item.prompt
        if len(prompts) == total:
            break
    return prompts


# ---------------------------------------------------------------- the server


class ServerProcess:
    """The LoopbackServer in a child process (the default): its threads do not share the
    client's interpreter lock, as a real endpoint would not."""

    def __init__(self, latency: float) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipe, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, latency), daemon=True)
        self._process.start()
        self.url: str = self._pipe.recv()

    def requests(self) -> int:
        self._pipe.send("requests")
        return int(self._pipe.recv())

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pipe.send("stop")
        self._process.join(timeout=10)


def _serve(pipe: Any, latency: float) -> None:
    with LoopbackServer(latency=latency) as server:
        pipe.send(server.url)
        while (command := pipe.recv()) != "stop":
            if command == "requests":
                pipe.send(server.requests())


# ---------------------------------------------------------------- measuring


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


async def timed_run(
    url: str, prompts: dict[str, str], concurrency: int, cache: ResponseCache | None, sampling: Sampling
) -> dict[str, Any]:
    model = OpenAIChat(MODEL, base_url=url, sampling=sampling, max_retries=0, timeout=30)
    try:
        wall0, cpu0, thread0 = time.perf_counter(), time.process_time(), time.thread_time()
        results, accounting = await request_all(
            model, prompts, concurrency=concurrency, cache=cache, progress=None
        )
        wall = time.perf_counter() - wall0
        cpu = time.process_time() - cpu0
        client_cpu = time.thread_time() - thread0  # the event-loop thread: client + cache writes
    finally:
        await model.close()
    bad = [c.error for c in results.values() if c.error is not None]
    return {
        "wall": wall,
        "cpu": cpu,
        "loop_thread_cpu": client_cpu,
        "accounting": accounting,
        "errors": bad[:5],
    }


def measure(
    server: LoopbackServer | ServerProcess,
    prompts: dict[str, str],
    concurrency: int,
    latency: float,
    cache_path: Path,
    sampling: Sampling,
    *,
    scaled_to: int | None = None,
) -> dict[str, Any]:
    cache = ResponseCache(cache_path)
    served_before = server.requests()
    try:
        run = asyncio.run(timed_run(server.url, prompts, concurrency, cache, sampling))
        cached = cache.count()
    finally:
        cache.close()
    accounting: Accounting = run["accounting"]
    n = len(prompts)
    ideal = n * latency / concurrency
    wall = run["wall"]
    row: dict[str, Any] = {
        "concurrency": concurrency,
        "prompts": n,
        "served": server.requests() - served_before,
        "failed": accounting.failed,
        "errors": run["errors"],
        "wall_s": round(wall, 3),
        "ideal_s": round(ideal, 3),
        "ideal_over_actual": round(ideal / wall, 4),
        "requests_per_s": round(n / wall, 2),
        "cpu_s": round(run["cpu"], 3),
        "cpu_ms_per_request": round(1000 * run["cpu"] / n, 3),
        "loop_thread_cpu_ms_per_request": round(1000 * run["loop_thread_cpu"] / n, 3),
        "other_threads_cpu_ms_per_request": round(1000 * (run["cpu"] - run["loop_thread_cpu"]) / n, 3),
        "cpu_utilisation": round(run["cpu"] / wall, 3),  # of one core; 2.0 = both cores busy
        "peak_rss_mib_so_far": round(peak_rss_mib(), 1),
        "cache_rows": cached,
        "cache_bytes": _size(cache_path),
    }
    if scaled_to is not None and scaled_to != n:
        row["measured_on_subset"] = True
        row["scaled_to_prompts"] = scaled_to
        row["scaled_wall_s"] = round(wall * scaled_to / n, 3)
    return row


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


def profile_run(
    server: LoopbackServer | ServerProcess,
    prompts: dict[str, str],
    concurrency: int,
    folder: Path,
    sampling: Sampling,
) -> str:
    """cProfile of the event-loop thread for one run: where the client's CPU goes."""
    cache = ResponseCache(folder / f"profile-c{concurrency}.sqlite3")
    profiler = cProfile.Profile()
    try:
        profiler.enable()
        asyncio.run(timed_run(server.url, prompts, concurrency, cache, sampling))
        profiler.disable()
    finally:
        cache.close()
    out = folder / "profile.txt"
    with out.open("w") as stream:
        stats = pstats.Stats(profiler, stream=stream).strip_dirs()
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(40)
    return out.read_text()


# ---------------------------------------------------------------- report


def markdown(rows: list[dict[str, Any]], latency: float, server: str) -> str:
    base = rows[0] if rows and rows[0]["concurrency"] == 1 else None
    lines = [
        "| concurrency | prompts | failed | wall (s) | ideal (s) | ideal/actual | req/s | speed-up vs 1 "
        "| CPU ms/req (loop + other) | peak RSS MiB | cache |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        prompts = f"{r['prompts']}"
        wall = f"{r['wall_s']:.2f}"
        if r.get("measured_on_subset"):
            prompts += f" (subset of {r['scaled_to_prompts']})"
            wall += f" (→ {r['scaled_wall_s']:.0f} scaled)"
        speedup = f"{r['requests_per_s'] / base['requests_per_s']:.1f}x" if base else "-"
        cache = f"{r['cache_rows']} rows, {r['cache_bytes'] / 1024:.0f} KiB"
        lines.append(
            f"| {r['concurrency']} | {prompts} | {r['failed']} | {wall} | {r['ideal_s']:.2f} "
            f"| {r['ideal_over_actual']:.3f} "
            f"| {r['requests_per_s']:.1f} | {speedup} | {r['cpu_ms_per_request']:.2f} "
            f"({r['loop_thread_cpu_ms_per_request']:.2f} + {r['other_threads_cpu_ms_per_request']:.2f}) "
            f"| {r['peak_rss_mib_so_far']:.0f} | {cache} |"
        )
    lines.append("")
    lines.append(
        f"Loopback server {server}, latency {latency} s per request; "
        "ideal = prompts x latency / concurrency. CPU is this process's CPU time per request "
        "(client, SQLite cache and, when in-process, the server's threads), split into the "
        "event-loop thread and all other threads. Peak RSS is this process's running peak "
        "(ru_maxrss) after each level."
    )
    if base and base.get("measured_on_subset"):
        lines.append(
            f"Concurrency 1 (the published script's sequential loop) was measured on the first "
            f"{base['prompts']} prompts and its wall time scaled to {base['scaled_to_prompts']}."
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prompts", type=int, default=2997)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "throughput.json")
    parser.add_argument("--concurrency", default="1,8,32,64", help="comma list of levels")
    parser.add_argument(
        "--sequential-subset",
        type=int,
        default=100,
        help="prompts for concurrency 1, scaled to --prompts (0 = all of them)",
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="C",
        help="after the table, cProfile one run at concurrency C on --profile-prompts prompts",
    )
    parser.add_argument("--profile-prompts", type=int, default=640)
    parser.add_argument(
        "--in-process-server",
        action="store_true",
        help="run the loopback server in this process (its threads then compete with the client)",
    )
    args = parser.parse_args(argv)
    levels = [int(c) for c in args.concurrency.split(",") if c.strip()]
    sampling = Sampling()

    rss_start = peak_rss_mib()
    with tempfile.TemporaryDirectory(prefix="giebench-bench-") as tmp_name:
        tmp = Path(tmp_name)
        started = time.perf_counter()
        prompts = build_prompts(args.prompts, tmp / "source", sampling)
        build_s = time.perf_counter() - started
        print(f"{len(prompts)} prompts generated and loaded in {build_s:.2f} s", file=sys.stderr)
        rows = []
        server: LoopbackServer | ServerProcess
        if args.in_process_server:
            server = LoopbackServer(latency=args.latency)
        else:
            server = ServerProcess(args.latency)
        with server:
            # Warm-up: imports (openai, pydantic models), first connection; not measured.
            warm = dict(list(prompts.items())[:8])
            asyncio.run(timed_run(server.url, warm, 8, None, sampling))
            rss_warm = peak_rss_mib()
            for c in levels:
                subset = prompts
                if c == 1 and args.sequential_subset and args.sequential_subset < len(prompts):
                    subset = dict(list(prompts.items())[: args.sequential_subset])
                row = measure(
                    server, subset, c, args.latency, tmp / f"c{c}.sqlite3", sampling, scaled_to=len(prompts)
                )
                rows.append(row)
                print(
                    f"concurrency {c:>3}: {row['prompts']} prompts in {row['wall_s']:.2f} s, "
                    f"ideal/actual {row['ideal_over_actual']:.3f}, {row['requests_per_s']:.1f} req/s",
                    file=sys.stderr,
                )
            profile = (
                profile_run(
                    server, dict(list(prompts.items())[: args.profile_prompts]), args.profile, tmp, sampling
                )
                if args.profile
                else None
            )
        total_s = time.perf_counter() - started

    base = rows[0] if rows and rows[0]["concurrency"] == 1 else None
    for row in rows:
        row["speedup_vs_1"] = round(row["requests_per_s"] / base["requests_per_s"], 2) if base else None
    server_note = "in-process" if args.in_process_server else "child process"
    table = markdown(rows, args.latency, server_note)
    print(table)
    if profile:
        print("\n" + profile)
    result = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "settings": {
            "prompts": len(prompts),
            "latency_s": args.latency,
            "sequential_subset": args.sequential_subset,
            "model": MODEL,
            "max_retries": 0,
            "timeout_s": 30,
            "server": server_note,
        },
        "peak_rss_mib": {"start": round(rss_start, 1), "after_warmup": round(rss_warm, 1)},
        "total_seconds": round(total_s, 1),
        "rows": rows,
        "table": table,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
