"""A regular (non-editable) install works on the repository the user runs it in, never on
the install location: data/sample, thresholds.toml and recordings come from the checkout."""

import email
import json
import os
import re
import shutil
import site
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

from .helpers import NO_HYPOTHESIS, ROOT

SAMPLE_ITEMS = sum(  # one item per answer of every set
    len(spec["answers"])
    for spec in json.loads((ROOT / "data" / "sample" / "source.json").read_text(encoding="utf-8"))["sets"]
)

COPY_IGNORES = shutil.ignore_patterns(
    ".git",
    "__pycache__",
    "*.egg-info",
    "build",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    "__snapshots__",
)


def _fresh_environment(folder: Path) -> Path:
    """A new virtual environment seeing this one's packages (openai, pytest...) but not giebench."""
    subprocess.run(
        [sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(folder)], check=True
    )
    python = folder / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # this interpreter may itself be a virtual environment: let the new one see its packages too
    (Path(purelib) / "giebench-test-parent.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    return python


def test_a_regular_install_works_from_the_checkout(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    shutil.copytree(ROOT, checkout, ignore=COPY_IGNORES)
    python = _fresh_environment(tmp_path / "venv")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--disable-pip-version-check",
            str(checkout),
        ],
        check=True,
        capture_output=True,
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "GIEBENCH_", "PYTHONPATH"))}
    env["GIEBENCH_CACHE_DIR"] = str(tmp_path / "cache")
    giebench = [str(tmp_path / "venv" / "bin" / "giebench")]

    def run(args: list[str], cwd: Path = checkout) -> subprocess.CompletedProcess[str]:
        return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)

    located = run([str(python), "-P", "-c", "import giebench_fixtures; print(giebench_fixtures.__file__)"])
    assert located.stdout.startswith(str(tmp_path / "venv")), located  # installed, not the checkout

    stats = run([*giebench, "data", "stats", "sample"], cwd=checkout / "tests_bench")  # from a subfolder too
    assert stats.returncode == 0, stats.stderr
    assert f"folder: {checkout / 'data' / 'sample'}" in stats.stdout
    assert f"{SAMPLE_ITEMS} items, 11 dimensions, 97 identities" in stats.stdout

    check = run([*giebench, "data", "render-sample", "--check"])
    assert check.returncode == 0 and "data/sample is in sync with source.json" in check.stdout, check.stderr

    elsewhere = run([*giebench, "data", "stats", "sample"], cwd=tmp_path)
    assert elsewhere.returncode == 1 and "Traceback" not in elsewhere.stderr
    assert elsewhere.stderr.startswith("giebench: --data=sample: no bundled sample at")

    # with --import-mode=importlib the installed plugin runs (the default mode puts the checkout
    # first on sys.path); either way the checkout's data and thresholds are used
    report = tmp_path / "report.json"
    # (the second run on Faith alone: the whole sample once is proof enough, and CI pays per item;
    # Faith has items enough for its pooled checks to catch a model at chance)
    for mode in ([], ["--import-mode=importlib", "-k", "Faith"]):
        gate = run(
            [
                str(python),
                "-P",  # not the current folder first on sys.path: the installed package
                "-m",
                "pytest",
                "-p",
                "no:cacheprovider",
                *NO_HYPOTHESIS,
                "tests_bench",
                "--model=baseline:random",
                f"--giebench-report={report}",
                *mode,
            ]
        )
        assert gate.returncode == 1, (mode, gate.stdout[-2000:], gate.stderr[-2000:])  # chance fails the gate
        assert "gate: FAILED" in gate.stdout
        written = json.loads(report.read_text())
        assert written["dataset"]["source"] == "sample" and written["dataset"]["path"] == str(
            checkout / "data" / "sample"
        )
        if not mode:
            assert len(written["results"]) == 3 * SAMPLE_ITEMS


# What a user's `pip install .` must not bring: the tools of giebench's own development.
TEST_ONLY = {"hypothesis", "ruff", "mypy", "import-linter", "grimp", "wheel", "pytest-benchmark", "mutmut"}
GATE_NEEDS = {"pytest", "pytest-xdist", "syrupy", "openai"}


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_closure(requirements: list[str], extras: frozenset[str] = frozenset()) -> set[str]:
    """Every distribution these requirements pull in, transitively, read from the installed
    distributions' metadata as pip reads it (markers evaluated, extras only where asked)."""
    seen: set[str] = set()
    pending = [(r, extras) for r in requirements]
    while pending:
        text, wanted = pending.pop()
        requirement = Requirement(text)
        marker = requirement.marker
        if marker is not None and not any(marker.evaluate({"extra": e}) for e in (wanted or {""})):
            continue
        name = _normalised(requirement.name)
        if name in seen:
            continue
        seen.add(name)
        pending.extend((r, frozenset(requirement.extras)) for r in metadata.requires(name) or [])
    return seen


def test_a_user_install_brings_what_the_gate_uses_and_no_test_tool(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    shutil.copytree(ROOT, checkout, ignore=COPY_IGNORES)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--disable-pip-version-check",
            "--wheel-dir",
            str(tmp_path / "wheels"),
            str(checkout),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp_path / "wheels").glob("giebench-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        (name,) = (n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        built = email.message_from_bytes(archive.read(name))
    requires = built.get_all("Requires-Dist") or []

    user = _requirement_closure(requires)
    assert user >= GATE_NEEDS
    assert not user & TEST_ONLY, sorted(user & TEST_ONLY)
    developer = _requirement_closure(requires, frozenset({"dev"}))
    assert {"hypothesis", "ruff", "mypy", "import-linter"} <= developer
