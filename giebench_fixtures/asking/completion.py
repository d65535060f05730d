"""What asking deals in: the sampling settings sent, a model's completion, and the model interface.

Kept apart from ``models`` so the baselines and the cache can use these without importing
the openai client's side of things.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Protocol

BASELINE_PREFIX = "baseline:"


@dataclass(frozen=True)
class Sampling:
    """What the model is asked to do, recorded beside every response."""

    temperature: float = 0.0
    max_tokens: int | None = 1024
    seed: int | None = None
    reasoning_effort: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Completion:
    """One response, or the reason there is none after all retries."""

    text: str | None
    error: str | None = None
    retries: int = 0  # attempts the endpoint saw beyond the first
    prompt_tokens: int = 0
    completion_tokens: int = 0
    reasoning_tokens: int = 0
    system_fingerprint: str | None = None
    finish_reason: str | None = None
    endpoint: str | None = None  # who answered (scheme, host, path); None for baselines
    sent: dict[str, Any] | None = None  # the sampling parameters as actually sent
    refused: bool = False  # the endpoint refused this prompt (e.g. HTTP 400): a rerun will not help
    served_model: str | None = None  # the model the endpoint says answered (reply's ``model``)


class Model(Protocol):
    """What the runner needs of a model."""

    name: str
    cacheable: bool
    endpoint: str | None

    async def complete(self, prompt: str) -> Completion: ...

    async def close(self) -> None: ...
