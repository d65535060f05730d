"""The models a run can judge with: one narrow interface, three implementations.

``RandomBaseline`` (``--model=baseline:random``) and the audit's cue judges
(``--model=baseline:CUE``, in ``baselines.py``) need no endpoint; ``OpenAIChat`` speaks
to any OpenAI-compatible endpoint through the ``openai`` client, whose own retry
machinery (exponential backoff, ``Retry-After``/``retry-after-ms``) does the retrying.
"""

from __future__ import annotations

import hashlib
import os
import random
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from .errors import EndpointError

BASELINE_PREFIX = "baseline:"


@dataclass(frozen=True)
class Sampling:
    """What the model is asked to do, recorded beside every response."""

    temperature: float = 0.0
    max_tokens: int | None = 1024
    seed: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Completion:
    """One response, or the reason there is none after all retries."""

    text: str | None
    error: str | None = None
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    system_fingerprint: str | None = None


class Model(Protocol):
    """What the runner needs of a model."""

    name: str
    cacheable: bool

    async def complete(self, prompt: str) -> Completion: ...

    async def close(self) -> None: ...


class RandomBaseline:
    """Picks A-D uniformly, seeded per prompt, so every process and run agrees."""

    cacheable = False

    def __init__(self, name: str, seed: int | None) -> None:
        self.name = name
        self.seed = 0 if seed is None else seed

    async def complete(self, prompt: str) -> Completion:
        digest = hashlib.sha256(f"{self.seed}\0{prompt}".encode()).digest()
        letter = random.Random(digest).choice("ABCD")
        return Completion(text=f"Baseline pick, at random: [[{letter}]]")

    async def close(self) -> None:
        return None


class OpenAIChat:
    """A chat-completions model behind an OpenAI-compatible endpoint."""

    cacheable = True

    def __init__(
        self,
        name: str,
        *,
        base_url: str | None,
        sampling: Sampling,
        max_retries: int,
        timeout: float,
    ) -> None:
        import openai

        self.name = name
        self.sampling = sampling
        # A local server (vLLM, Ollama, llama.cpp) needs no key; the client insists on one.
        self._has_key = bool(os.environ.get("OPENAI_API_KEY"))
        key = os.environ.get("OPENAI_API_KEY") or "no-key-set"
        self._client = openai.AsyncOpenAI(
            api_key=key, base_url=base_url, max_retries=max_retries, timeout=timeout
        )
        self.base_url = str(self._client.base_url)

    async def complete(self, prompt: str) -> Completion:
        import openai

        extra: dict[str, Any] = {}
        if self.sampling.max_tokens is not None:
            extra["max_tokens"] = self.sampling.max_tokens
        if self.sampling.seed is not None:
            extra["seed"] = self.sampling.seed
        try:
            raw = await self._client.chat.completions.with_raw_response.create(
                model=self.name,
                messages=[{"role": "user", "content": prompt}],
                temperature=self.sampling.temperature,
                **extra,
            )
            reply = raw.parse()
        except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
            why = (
                "refused the API key" if self._has_key else "needs an API key and $OPENAI_API_KEY is not set"
            )
            raise EndpointError(
                f"the endpoint {self.base_url} {why} (HTTP {exc.status_code}); "
                "check $OPENAI_API_KEY and --base-url"
            ) from None
        except openai.NotFoundError:
            raise EndpointError(
                f"the endpoint {self.base_url} does not know model {self.name!r} (HTTP 404); "
                "check --model, and --base-url (OpenAI-compatible servers usually end in /v1, "
                "e.g. http://localhost:11434/v1 for Ollama)"
            ) from None
        except openai.APIStatusError as exc:
            return Completion(text=None, error=f"HTTP {exc.status_code} after retries")
        except openai.APITimeoutError:
            return Completion(text=None, error="timed out after retries")
        except openai.APIConnectionError:
            return Completion(text=None, error="connection failed after retries")
        except openai.APIError as exc:  # e.g. a reply that is not a chat completion
            return Completion(text=None, error=f"unusable response ({type(exc).__name__})")
        choice = reply.choices[0] if reply.choices else None
        usage = reply.usage
        return Completion(
            text=(choice.message.content or "") if choice else "",
            retries=raw.retries_taken,
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            system_fingerprint=reply.system_fingerprint,
        )

    async def close(self) -> None:
        await self._client.close()


def make_model(
    name: str,
    *,
    base_url: str | None,
    sampling: Sampling,
    max_retries: int = 4,
    timeout: float = 120.0,
) -> Model:
    if name.startswith(BASELINE_PREFIX):
        kind = name[len(BASELINE_PREFIX) :]
        if kind != "random":
            from .baselines import cue_judge  # imported here: baselines builds on this module

            return cue_judge(name, sampling.seed)
        return RandomBaseline(name, sampling.seed)
    return OpenAIChat(name, base_url=base_url, sampling=sampling, max_retries=max_retries, timeout=timeout)
