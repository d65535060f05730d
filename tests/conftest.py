"""Fixtures shared by giebench's own tests."""

import shutil
import uuid
from collections.abc import Iterator

import pytest

from .helpers import ROOT

SNAPSHOTS = ROOT / "tests_bench" / "__snapshots__"


@pytest.fixture
def model() -> Iterator[str]:
    """A model name of its own, so its recordings never mix with anyone's; removed after."""
    name = f"test-model-{uuid.uuid4().hex[:8]}"
    yield name
    for folder in SNAPSHOTS.glob(f"{name}*"):  # and its @circular, @shuffle-N folders
        shutil.rmtree(folder, ignore_errors=True)
    if SNAPSHOTS.exists() and not any(SNAPSHOTS.iterdir()):
        SNAPSHOTS.rmdir()


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """giebench's own tests run on every core unless told otherwise (`-n N`, `-n 0`, `-p no:xdist`).

    Here rather than in pyproject's addopts, which would also spread a user's `pytest tests_bench`
    over workers: pytest calls this hook only for conftests of the paths it starts from, so only
    runs of tests/ (plain `pytest`, through testpaths) get it."""
    if hasattr(config, "workerinput") or config.option.collectonly:  # a worker, or nothing to run
        return
    if getattr(config.option, "numprocesses", 0) is None:
        config.option.numprocesses = "auto"
    # modules whose costly module-scoped fixture (whole gate runs) should run once, not once per
    # worker, mark themselves xdist_group; every other test is spread one by one
    if getattr(config.option, "dist", None) == "no":
        config.option.dist = "loadgroup"
