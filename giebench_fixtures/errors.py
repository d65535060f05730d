"""The few errors giebench raises for a user's mistake, each with a message to act on.

GiebenchError              base: printed as one clear message, never a traceback
 ├── DataError             a data source is missing, malformed or inconsistent
 ├── ThresholdsError       thresholds.toml has an unknown key, a wrong type or a bad value
 ├── EndpointError         the model endpoint refuses us (bad key, unknown model)
 ├── RecordingError        a recording no longer matches the data
 ├── ReleaseError          the official release could not be downloaded or verified
 └── OptionError           an option value that cannot work (pytest's usage error, exit 4)
"""

from __future__ import annotations

from collections.abc import Iterable


class GiebenchError(Exception):
    """A problem the user can fix; its message says what and how."""


class DataError(GiebenchError):
    """One or more problems in a data source, collected into one message."""

    shown = 40  # a systematic problem in a 999-item release should not print 3,000 lines

    def __init__(self, problems: Iterable[str], *, source: str = "") -> None:
        self.problems = list(problems)
        if len(self.problems) == 1:  # one problem is one line: it names its file itself
            super().__init__(self.problems[0])
            return
        head = f"{len(self.problems)} problem(s) in data source {source}" if source else ""
        lines = [f"  - {p}" for p in self.problems[: self.shown]]
        if len(self.problems) > self.shown:
            lines.append(f"  ... and {len(self.problems) - self.shown} more")
        body = "\n".join(lines)
        super().__init__(f"{head}:\n{body}" if head else body)


class ThresholdsError(GiebenchError):
    """thresholds.toml cannot be used as written."""


class EndpointError(GiebenchError):
    """The endpoint refused the run in a way retrying cannot fix."""


class RecordingError(GiebenchError):
    """A recorded response no longer matches the data it was recorded on."""


class ReleaseError(GiebenchError):
    """The official GIEBench files could not be fetched or verified."""


class OptionError(GiebenchError):
    """An option value that cannot work; found before any request is made."""
