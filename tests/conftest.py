"""Fixtures shared by giebench's own tests."""

import shutil
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling

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


# Modules whose costly module-scoped fixture (whole gate runs) should run once, not once per
# worker: each runs whole on one worker; every other test is spread one by one. (xdist's own
# `--dist loadgroup` cannot do this under pytest 9, whose node ids it can no longer suffix.)
SHARED_FIXTURE_MODULES = frozenset(
    {"tests/test_leaderboard.py", "tests/test_outcomes.py", "tests/test_reports.py"}
)


class _CostlyModulesWhole(LoadScopeScheduling):
    def _split_scope(self, nodeid: str) -> str:
        module = nodeid.split("::", 1)[0]
        return module if module in SHARED_FIXTURE_MODULES else nodeid


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> LoadScopeScheduling | None:
    if any(a == "--dist" or a.startswith("--dist=") for a in config.invocation_params.args):
        return None  # the user chose
    return _CostlyModulesWhole(config, log)
