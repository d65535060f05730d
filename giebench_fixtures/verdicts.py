"""Reading the judge's verdict from its text, by the rule GIEBench published.

Among the tokens ``[[X]]`` (X an upper-case letter), the verdict is the first one whose
letter does not appear again two or more tokens later. No token: no verdict.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"\[\[([A-Z])\]\]")


def read_verdict(text: str | None) -> str | None:
    """The verdict letter in a judge response, or None when it gives none."""
    if not text:
        return None
    letters: list[str] = _TOKEN.findall(text)
    for i, letter in enumerate(letters):
        if letter not in letters[i + 2 :]:
            return letter
    return None
