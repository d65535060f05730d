"""The audit's cues as judges: ``--model=baseline:CUE`` runs the gate with no endpoint.

A cue judge reads the question and the four answers back from the prompt text, exactly as
the loader parses them, and answers ``[[X]]`` for its cue's pick. It never reads the
identity, so it shows what the gate does to a judge that takes a shortcut.
"""

from __future__ import annotations

import hashlib
import random

from giebench_fixtures.asking.completion import BASELINE_PREFIX, Completion
from giebench_fixtures.data.cues import CUES, Cue, cue_named
from giebench_fixtures.data.items import parse_prompt
from giebench_fixtures.errors import EndpointError


class CueJudge:
    """Answers with its cue's pick; ties are broken by a choice seeded on the item's question and
    answers (not the prompt), so the Raw, ID and COT prompts of one item get the same letter."""

    cacheable = False
    endpoint: str | None = None  # answers with no endpoint

    def __init__(self, name: str, cue: Cue, seed: int | None) -> None:
        self.name = name
        self.cue = cue
        self.seed = 0 if seed is None else seed

    async def complete(self, prompt: str) -> Completion:
        return Completion(text=self.answer(prompt))

    def answer(self, prompt: str) -> str:
        parsed = parse_prompt(prompt)
        if parsed is None:
            return f"Baseline {self.cue.name}: no question and four answers found in the prompt."
        question, answers = parsed
        picked = sorted(self.cue.pick(question, answers))
        item = "\0".join([str(self.seed), question, *answers])
        letter = random.Random(hashlib.sha256(item.encode()).digest()).choice(picked)
        tie = f", one of {len(picked)} tied" if len(picked) > 1 else ""
        return f"Baseline pick by the {self.cue.name} cue ({self.cue.picks}{tie}): [[{letter}]]"

    async def close(self) -> None:
        return None


def available() -> list[str]:
    """Every baseline model name, baseline:random first."""
    return [f"{BASELINE_PREFIX}random", *(f"{BASELINE_PREFIX}{cue.name}" for cue in CUES)]


def cue_judge(name: str, seed: int | None) -> CueJudge:
    """The judge for ``baseline:CUE``; an unknown name lists the available ones."""
    cue = cue_named(name.removeprefix(BASELINE_PREFIX))
    if cue is None:
        raise EndpointError(f"--model {name!r}: unknown baseline; available: {', '.join(available())}")
    return CueJudge(name, cue, seed)
