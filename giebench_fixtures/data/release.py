"""The official GIEBench release: where it comes from, how it is verified, where it lives.

Files are pinned to one commit and verified by their git blob id (the SHA-1 of
``"blob <size>\\0" + content``), so no other checksum is needed. They are written
atomically: a download that fails half way leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from giebench_fixtures.data.items import Variant
from giebench_fixtures.data.repository import cache_dir
from giebench_fixtures.errors import ReleaseError

RELEASE_URL_ENV = "GIEBENCH_RELEASE_URL"


@dataclass(frozen=True)
class Release:
    """A pinned set of files: name -> git blob id, fetched from base_url + path."""

    commit: str
    base_url: str
    files: Mapping[str, str] = field(default_factory=dict)  # path in repo -> blob id

    def folder(self, root: Path | None = None) -> Path:
        return (root or cache_dir()) / "official" / self.commit[:12]


OFFICIAL = Release(
    commit="09199c926233e09b080b441599780a9387c3bce5",
    base_url="https://raw.githubusercontent.com/GIEBench/GIEBench/09199c926233e09b080b441599780a9387c3bce5/",
    files={
        "data/Raw-Prompt.json": "cf323ef4fcb62c03dfcfcd3269dde749a47abe04",
        "data/ID-Prompt.json": "35d06516241d9f0db963b9cca48ce8a3444977e7",
        "data/COT-Prompt.json": "632a1f2db5ff83811dd68aa4c4af88a80ac3fe9f",
    },
)
OFFICIAL_RESULTS = {
    "results/GPT-4-Raw-Prompt.json": "1216da7022a6d52e672e65294ed335241009a88a",
    "results/GPT-4-ID-Prompt.json": "84ff05b916be138af53974c5f06871fc420305f0",
    "results/GPT-4-COT-Prompt.json": "307c38be085bbe797c2d7b0bffb76d86d7f22290",
    "results/Qwen-1.5-110b-Raw-Prompt.json": "cacf5e1c83e54b880dd01ceabf4334b77244d0fb",
    "results/Qwen-1.5-110b-ID-Prompt.json": "f3d8ea5ed24254493006498e59c52dd448dd6741",
    "results/Qwen-1.5-110b-COT-Prompt.json": "2fea1ba42d469e12afd7527f68095489d292672a",
}


def git_blob_id(content: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def official_release() -> Release:
    """The pinned release; $GIEBENCH_RELEASE_URL points downloads at a mirror."""
    mirror = os.environ.get(RELEASE_URL_ENV)
    if mirror:
        return Release(OFFICIAL.commit, mirror.rstrip("/") + "/", OFFICIAL.files)
    return OFFICIAL


def _manual_help(release: Release, target: Path) -> str:
    urls = "\n".join(f"  {release.base_url}{path}" for path in release.files)
    return (
        f"Download these files by hand:\n{urls}\n"
        "(the same files are in the dataset m-a-p/GIEBench on the Hugging Face hub; any copy is\n"
        "accepted if its git blob ids match), put them in one folder, then run:\n"
        "  giebench data pull --from FOLDER\n"
        f"(they are verified by git blob id and installed in {target})"
    )


def pull(
    release: Release,
    *,
    target: Path | None = None,
    source_folder: Path | None = None,
    fetch: Callable[[str], bytes] | None = None,
) -> Path:
    """Download (or take from source_folder), verify and install the release; return its folder."""
    target = target or release.folder()
    fetch = fetch or _http_get
    contents: dict[str, bytes] = {}
    for path, blob_id in release.files.items():
        name = Path(path).name
        if source_folder is not None:
            local = source_folder / name
            if not local.exists():
                raise ReleaseError(f"{local}: missing; expected the release file {name} there")
            content = local.read_bytes()
            origin = str(local)
        else:
            url = release.base_url + path
            try:
                content = fetch(url)
            except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
                raise ReleaseError(
                    f"could not download {url} ({exc}).\n" + _manual_help(release, target)
                ) from None
            origin = url
        actual = git_blob_id(content)
        if actual != blob_id:
            raise ReleaseError(
                f"{origin}: checksum mismatch: git blob id {actual}, expected {blob_id} "
                f"(commit {release.commit[:12]}); the file is not the pinned release.\n"
                + _manual_help(release, target)
            )
        contents[name] = content
    target.mkdir(parents=True, exist_ok=True)
    for name, content in contents.items():
        _write_atomically(target / name, content)
    return target


def _write_atomically(path: Path, content: bytes) -> None:
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _http_get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:
        data: bytes = response.read()
        return data


def is_pulled(folder: Path) -> bool:
    return all((folder / v.filename).exists() for v in Variant)


def resolve_source(spec: str | None, root: Path) -> tuple[str, Path]:
    """Turn --data into (label, folder): 'sample', 'official', or a folder path."""
    official = official_release().folder()
    sample = root / "data" / "sample"
    if spec == "sample" or (spec is None and not is_pulled(official)):
        if not sample.is_dir():
            raise ReleaseError(
                f"--data=sample: no bundled sample at {sample}; run from a giebench checkout "
                "(the sample lives in its data/sample folder), or pass --data=official or a folder"
            )
        return "sample", sample
    if spec is None:
        return "official", official
    if spec == "official":
        if not is_pulled(official):
            raise ReleaseError(
                f"--data=official: the release is not downloaded yet (looked in {official}); "
                "run: giebench data pull"
            )
        return "official", official
    folder = Path(spec).expanduser()
    if not folder.is_dir():
        raise ReleaseError(f"--data={spec}: not 'sample', 'official' or an existing folder")
    return str(folder), folder
