"""Reading the judge's verdict from its text, exactly as GIEBench's published ``eval.py`` does.

The specification is the published regular expression, applied with ``re.search``; the
verdict is the letter of its first match::

    \\[\\[([A-Z])\\]\\](?!(?:[^\\[]*\\[\\[[A-Z]\\]\\])+[^\\[]*\\[\\[\\1\\]\\])

In words: a token is ``[[X]]`` with X an upper-case letter A-Z. The verdict is the first token
that is *not* followed, through one or more further tokens with no other ``[`` in between, by
its own letter again. Put differently, cut the tokens into runs: two neighbouring tokens are
in the same run when no ``[`` stands between them (a ``]`` or any other character may). The
last token of a run is never followed by its letter within the run, so the verdict always
comes from the first run: its first token whose letter does not appear again two or more
tokens later *in that run*. No token at all: no verdict (counted wrong).

Two readings, one example
-------------------------
giebench before ``verdict_rule`` was recorded in reports read "the first token whose letter
does not appear again two or more tokens later", over all tokens of the text. The two
readings differ when a stray ``[`` stands between tokens: a judge echoing
``[The Start of Assistant B's Answer]``, a markdown link, a lower-case ``[[b]]``::

    [[A]] fits, though [The Start of Assistant B's Answer] argues [[B]]; still [[A]].

The published expression gives **A**: the ``[`` of the echoed marker ends the first run,
which holds ``[[A]]`` alone. The old reading gives **B**: it sees ``A B A``, passes over the
first A because A comes back two tokens later, and stops at B. On random strings of tokens
and brackets the readings disagree often (about one in ten of the texts
``tests/test_verdicts.py`` generates). Reports say which rule read
their verdicts (``verdict_rule``); recordings made under the old reading replay with every
changed verdict listed.
"""

from __future__ import annotations

import re

from giebench_fixtures.asking.replies import NO_VERDICT_FINISH

# The id written into reports as "verdict_rule": reports read by different rules do not compare.
VERDICT_RULE = "giebench-eval.py-regex"
# What a report made before giebench recorded its rule was read with.
UNRECORDED_RULE = "first-unrepeated-token (before verdict_rule was recorded)"

_TOKEN = re.compile(r"\[\[([A-Z])\]\]")


def first_run(text: str) -> list[str]:
    """The letters of the first run of tokens: consecutive ``[[X]]`` with no other ``[`` between."""
    letters: list[str] = []
    end = -1
    for match in _TOKEN.finditer(text):
        if end >= 0 and "[" in text[end : match.start()]:
            break
        letters.append(match.group(1))
        end = match.end()
    return letters


def read_verdict(text: str | None) -> str | None:
    """The verdict letter in a judge response, or None when it gives none."""
    if not text:
        return None
    letters = first_run(text)
    for i, letter in enumerate(letters):
        if letter not in letters[i + 2 :]:
            return letter
    return None


def answer_verdict(text: str | None, finish_reason: str | None) -> str | None:
    """The verdict of an answer: none when the provider cut it off (``length``) or filtered it
    (``content_filter``), since the text is not the model's whole answer; such answers count
    as wrong, as every answer without a verdict does under the published rule."""
    if finish_reason in NO_VERDICT_FINISH:
        return None
    return read_verdict(text)
