"""Option values that cannot work stop the run before any request: one usage line, exit code 4."""

import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from .helpers import run_pytest
from .live_helpers import answering_server


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder nobody may write in; as root (who may write anywhere) a system folder that
    refuses writes even to root."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with tempfile.TemporaryFile(dir=folder):
            writable = True
    except OSError:
        writable = False
    yield Path("/sys") if writable else folder
    folder.chmod(0o755)


def test_bad_values_are_one_usage_line_and_no_request(tmp_path: Path, read_only_folder: Path) -> None:
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("x")
    cache = str(tmp_path / "cache")
    with answering_server() as server:
        # the values users met; the other bounds are unit-tested in test_replies.py
        cases: list[tuple[list[str], dict[str, str], str]] = [
            (["--temperature=nan"], {}, "--temperature=nan: must be a number from 0 to 2"),
            (
                ["--request-timeout=0"],
                {},
                "--request-timeout=0.0: must be a number of seconds greater than 0",
            ),
            (["--concurrency=-1"], {}, "--concurrency=-1: must be a whole number from 1 to 1000"),
            (
                ["--base-url=notaurl"],
                {},
                "--base-url=notaurl: expected an http:// or https:// URL with a host",
            ),
            (["--base-url=http://[::1"], {}, "--base-url=http://[::1: not a valid URL (Invalid IPv6 URL)"),
            ([], {"GIEBENCH_CACHE_DIR": str(a_file)}, f"$GIEBENCH_CACHE_DIR={a_file}: a file, not a folder"),
            (
                [],
                {"GIEBENCH_CACHE_DIR": str(read_only_folder)},
                f"$GIEBENCH_CACHE_DIR={read_only_folder}: cannot be written",
            ),
        ]

        def run(case: tuple[list[str], dict[str, str], str]) -> tuple[int, str, str]:
            extra, env, _ = case
            base_url = (
                [] if any(e.startswith("--base-url") for e in extra) or env else [f"--base-url={server.url}"]
            )
            done = run_pytest(
                ["tests_bench", "--model=judge-1", *base_url, *extra],
                env={"GIEBENCH_CACHE_DIR": cache, **env},
            )
            return done.returncode, done.stdout, done.stderr

        with ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(run, cases))
        for (extra, env, message), (code, stdout, stderr) in zip(cases, results, strict=True):
            lines = [line for line in stderr.splitlines() if line.strip()]
            assert code == 4, (extra, env, stdout[-1000:], stderr[-1000:])
            assert len(lines) == 1 and lines[0].startswith(f"ERROR: {message}"), (extra, env, lines)
        # argparse's own refusal: pytest prints its usage, then the error
        effort = run(([f"--base-url={server.url}", "--reasoning-effort=extreme"], {}, ""))
        assert effort[0] == 4 and "argument --reasoning-effort: invalid choice: 'extreme'" in effort[2]
        assert server.requests() == 0
