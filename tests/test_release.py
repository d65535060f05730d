"""Pulling the official release: verified, atomic, and clear when it cannot be done.

Every test downloads from a real HTTP server on 127.0.0.1 that serves invented files
in the repository layout (``<served>/data/Raw-Prompt.json`` ...); their git blob ids
are pinned in a ``Release`` exactly as the real ids are.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from giebench_fixtures.data import release
from giebench_fixtures.data.items import VARIANTS
from giebench_fixtures.data.loading import load_source
from giebench_fixtures.errors import ReleaseError

from .helpers import ROOT, invented_items, run_cli, write_source

TEST_COMMIT = "0123456789abcdef0123456789abcdef01234567"
FIRST_ITEMS = invented_items({"Gender": ["Gryphon", "Sphinx"], "Faith": ["Druid"]})
SECOND_ITEMS = invented_items({"Age": ["Elder Dragons"], "Party": ["Whig"]})
NAMES = [v.filename for v in VARIANTS]
MANUAL_HELP = "giebench data pull --from"


@dataclass
class Mirror:
    """A loopback server publishing release files under ``root/data/``."""

    root: Path
    port: int = 0
    ids: dict[str, str] = field(default_factory=dict)
    truncated: set[str] = field(default_factory=set)  # file names sent cut off half way
    requests: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def url(self, name: str) -> str:
        return f"{self.base_url}data/{name}"

    def publish(self, items: list[dict[str, Any]]) -> dict[str, str]:
        """Serve these items in the official layout; return their pinned blob ids."""
        folder = write_source(self.root / "data", items)
        self.ids = {f"data/{name}": release.git_blob_id((folder / name).read_bytes()) for name in NAMES}
        return self.ids

    def release(self, commit: str = TEST_COMMIT) -> release.Release:
        return release.Release(commit=commit, base_url=self.base_url, files=dict(self.ids))


def _handler_for(mirror: Mirror) -> type[SimpleHTTPRequestHandler]:
    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(mirror.root), **kwargs)

        def do_GET(self) -> None:
            mirror.requests.append(self.path)
            name = self.path.rsplit("/", 1)[-1]
            if name not in mirror.truncated:
                super().do_GET()
                return
            body = (mirror.root / "data" / name).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body) + 1000))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[Mirror]:
    served = Mirror(root=tmp_path / "served")
    served.publish(FIRST_ITEMS)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(served))
    served.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _leftovers(folder: Path) -> list[str]:
    """Temporary files a failed install could leave behind."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part")) if folder.exists() else []


def _contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _published_contents(mirror: Mirror) -> dict[str, bytes]:
    return {name: (mirror.root / "data" / name).read_bytes() for name in NAMES}


def _cli_env(cache: Path, mirror_url: str) -> dict[str, str]:
    return {**os.environ, "GIEBENCH_CACHE_DIR": str(cache), "GIEBENCH_RELEASE_URL": mirror_url}


# --- downloading ---------------------------------------------------------------------


def test_pull_installs_the_pinned_files_byte_for_byte(mirror: Mirror, tmp_path: Path) -> None:
    target = tmp_path / "installed"
    assert release.pull(mirror.release(), target=target) == target
    assert _contents(target) == _published_contents(mirror)
    assert sorted(mirror.requests) == sorted(f"/data/{name}" for name in NAMES)
    dataset = load_source(target, source="official")
    assert len(dataset.keys) == len(FIRST_ITEMS)
    assert dataset.identities("Gender") == ["Gryphon", "Sphinx"]


def test_pull_refuses_a_changed_file_and_installs_nothing(mirror: Mirror, tmp_path: Path) -> None:
    pinned = mirror.release()
    changed = mirror.root / "data" / "ID-Prompt.json"
    changed.write_bytes(changed.read_bytes().replace(b"Gryphon", b"Griffin", 1))
    target = tmp_path / "installed"
    target.mkdir()
    with pytest.raises(ReleaseError) as caught:
        release.pull(pinned, target=target)
    message = str(caught.value)
    assert "checksum mismatch" in message
    assert mirror.url("ID-Prompt.json") in message
    assert pinned.files["data/ID-Prompt.json"] in message
    assert MANUAL_HELP in message
    # not the changed file, and not half a release either
    assert not (target / "ID-Prompt.json").exists()
    assert list(target.iterdir()) == []


def test_interrupted_download_keeps_the_earlier_install_intact(mirror: Mirror, tmp_path: Path) -> None:
    target = tmp_path / "installed"
    release.pull(mirror.release(), target=target)
    earlier = _contents(target)
    mirror.publish(SECOND_ITEMS)  # a newer release appears on the mirror
    calls: list[str] = []

    def cut_on_second_file(url: str) -> bytes:
        calls.append(url)
        if len(calls) == 2:
            raise ConnectionResetError(104, "Connection reset by peer")
        with urllib.request.urlopen(url, timeout=10) as response:
            data: bytes = response.read()
            return data

    with pytest.raises(ReleaseError) as caught:
        release.pull(mirror.release(), target=target, fetch=cut_on_second_file)
    assert "could not download" in str(caught.value)
    assert mirror.url("ID-Prompt.json") in str(caught.value)
    assert MANUAL_HELP in str(caught.value)
    assert _contents(target) == earlier
    assert _leftovers(target) == []
    assert load_source(target).identities("Gender") == ["Gryphon", "Sphinx"]


def test_download_cut_off_by_the_server_is_a_clear_error(mirror: Mirror, tmp_path: Path) -> None:
    target = tmp_path / "installed"
    release.pull(mirror.release(), target=target)
    earlier = _contents(target)
    mirror.publish(SECOND_ITEMS)
    mirror.truncated.add("ID-Prompt.json")
    with pytest.raises(ReleaseError, match="could not download"):
        release.pull(mirror.release(), target=target)
    assert _contents(target) == earlier
    assert _leftovers(target) == []


def test_offline_pull_says_it_could_not_download_and_how_to_do_it_by_hand(tmp_path: Path) -> None:
    base_url = f"http://127.0.0.1:{_closed_port()}/"
    pinned = release.Release(TEST_COMMIT, base_url, {"data/Raw-Prompt.json": "0" * 40})
    target = tmp_path / "installed"
    with pytest.raises(ReleaseError) as caught:
        release.pull(pinned, target=target)
    message = str(caught.value)
    assert "could not download" in message
    assert f"{base_url}data/Raw-Prompt.json" in message
    assert MANUAL_HELP in message
    assert str(target) in message
    assert _leftovers(target) == []


# --- installing files downloaded by hand (--from) -----------------------------------


def test_pull_from_a_folder_verifies_and_installs(mirror: Mirror, tmp_path: Path) -> None:
    downloaded = mirror.root / "data"
    target = tmp_path / "installed"
    release.pull(mirror.release(), target=target, source_folder=downloaded)
    assert _contents(target) == _published_contents(mirror)
    assert mirror.requests == []  # nothing was downloaded
    assert len(load_source(target).keys) == len(FIRST_ITEMS)


def test_pull_from_a_folder_names_the_local_file_that_does_not_match(mirror: Mirror, tmp_path: Path) -> None:
    downloaded = shutil.copytree(mirror.root / "data", tmp_path / "downloads")
    wrong = downloaded / "COT-Prompt.json"
    wrong.write_bytes(wrong.read_bytes() + b"\n")
    target = tmp_path / "installed"
    with pytest.raises(ReleaseError) as caught:
        release.pull(mirror.release(), target=target, source_folder=downloaded)
    message = str(caught.value)
    assert f"{wrong}: checksum mismatch" in message
    assert MANUAL_HELP in message
    assert not target.exists() or list(target.iterdir()) == []


def test_pull_from_a_folder_missing_a_file_names_it(mirror: Mirror, tmp_path: Path) -> None:
    downloaded = shutil.copytree(mirror.root / "data", tmp_path / "downloads")
    missing = downloaded / "Raw-Prompt.json"
    missing.unlink()
    with pytest.raises(ReleaseError, match=re.escape(f"{missing}: missing")):
        release.pull(mirror.release(), target=tmp_path / "installed", source_folder=downloaded)


# --- the command ----------------------------------------------------------------------


def test_cli_data_pull_reports_a_checksum_mismatch_without_a_traceback(
    mirror: Mirror, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    result = run_cli("data", "pull", env=_cli_env(cache, mirror.base_url))
    # the command pins the real GIEBench ids, which the invented files cannot match
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("giebench: ")
    assert "checksum mismatch" in result.stderr
    assert mirror.url("Raw-Prompt.json") in result.stderr
    assert MANUAL_HELP in result.stderr
    assert "Traceback" not in result.stderr
    assert "/data/Raw-Prompt.json" in mirror.requests
    assert not list(cache.rglob("*.json"))


def test_cli_data_pull_reports_a_cut_off_download_without_a_traceback(mirror: Mirror, tmp_path: Path) -> None:
    mirror.truncated.add("Raw-Prompt.json")
    result = run_cli("data", "pull", env=_cli_env(tmp_path / "cache", mirror.base_url))
    assert result.returncode == 1
    assert result.stderr.startswith("giebench: could not download")
    assert "Traceback" not in result.stderr


# --- choosing the data source ---------------------------------------------------------


def test_data_official_before_pulling_says_to_run_data_pull(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIEBENCH_CACHE_DIR", str(tmp_path / "empty-cache"))
    with pytest.raises(ReleaseError, match="run: giebench data pull"):
        release.resolve_source("official", ROOT)
    assert release.resolve_source(None, ROOT) == ("sample", ROOT / "data" / "sample")


def test_pulled_release_becomes_the_default_source(
    mirror: Mirror, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIEBENCH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("GIEBENCH_RELEASE_URL", raising=False)
    official_folder = release.official_release().folder()
    assert official_folder.is_relative_to(tmp_path / "cache")
    installed = release.pull(mirror.release(commit=release.OFFICIAL.commit))
    assert installed == official_folder
    assert release.resolve_source(None, ROOT) == ("official", official_folder)
    assert release.resolve_source("official", ROOT) == ("official", official_folder)
