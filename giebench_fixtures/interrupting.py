"""Ctrl-C and SIGTERM (what a CI step timeout sends): keep the work, stop the spending.

The first signal stops sending: this process's runner cancels what is in flight and asks
nothing more, and the controller of an xdist run leaves a marker file its workers check
before every attempt, so a signal to the controller alone stops them too. The run then ends
as pytest's interrupted runs do (exit code 2), after the tests already handed out, with every
report written and marked ``"interrupted": true``. A second signal exits at once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from giebench_fixtures.asking.pacing import STOP, stop_marker

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interruption:
    """Which signal stopped the run, if any."""

    def __init__(self) -> None:
        self.signal_name: str | None = None

    def line(self) -> str:
        return (
            f"giebench: interrupted by {self.signal_name}: nothing more was asked; the report holds "
            "what was evaluated (rerun to finish: answers already received come from the cache)"
        )


def install(cache_folder: Path, run_id: str, *, test_loops: Sequence[Any] = ()) -> Interruption:
    """Handle SIGINT and SIGTERM for this process.

    ``test_loops``: on the controller, what ends the test loop gently when its ``shouldstop``
    is set (pytest's session, xdist's DSession); none on a worker, which runs what it was
    handed (judging only, no request) and stops sending. The controller leaves the marker.
    """
    controller = bool(test_loops)
    interruption = Interruption()
    STOP.here = False
    STOP.marker = stop_marker(cache_folder, run_id)

    def handle(signum: int, frame: FrameType | None) -> None:
        if interruption.signal_name is not None:
            os._exit(128 + signum)  # the second signal: at once
        interruption.signal_name = signal.Signals(signum).name
        STOP.request(leave_marker=controller)
        stream = sys.__stderr__ or sys.stderr
        stream.write(f"\n{interruption.line()}; a second signal exits at once\n")
        stream.flush()
        for loop in test_loops:
            loop.shouldstop = interruption.line()

    for number in SIGNALS:
        with contextlib.suppress(ValueError):  # not the main thread: leave it to whoever runs us
            signal.signal(number, handle)
    return interruption


def uninstall(*, controller: bool) -> None:
    """Give the signals back; the controller clears its marker."""
    for number in SIGNALS:
        with contextlib.suppress(ValueError):
            signal.signal(number, signal.default_int_handler if number == signal.SIGINT else signal.SIG_DFL)
    if controller and STOP.marker is not None:
        STOP.marker.unlink(missing_ok=True)
