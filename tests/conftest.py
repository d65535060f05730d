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
