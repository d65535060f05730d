"""Asking the model for the prompts a run still needs, shared fairly between xdist workers.

Every prompt is fetched by exactly one process (a hash partition of the cache keys); the
others read its answers, or its failures, from the shared response cache. A process that
finds a fatal endpoint error writes it under the key ``*`` so that every worker stops.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from giebench_fixtures.asking.cache import RESPONSES_FILE, ResponseCache, cache_key
from giebench_fixtures.asking.completion import Completion, Model, Sampling
from giebench_fixtures.asking.models import OpenAIChat
from giebench_fixtures.asking.pacing import STOP
from giebench_fixtures.asking.runner import INTERRUPTED, Accounting, Progress, request_all
from giebench_fixtures.data.items import Item, Variant
from giebench_fixtures.data.repository import cache_dir
from giebench_fixtures.errors import EndpointError


@dataclass
class Asker:
    """This process's way to the model: through the cache, its own share, then the others'."""

    model: Model
    sampling: Sampling
    concurrency: int = 32
    timeout: float = 120.0
    max_retries: int = 4
    worker_index: int = 0
    worker_count: int = 1
    label: str = "giebench"
    run_id: str = ""  # shared by every process of one run (xdist's testrunuid)
    namespace: str = ""  # keeps one kind of run's cached answers apart from another's
    accounting: Accounting = field(default_factory=Accounting)
    notes: list[str] = field(default_factory=list)  # what changed or was not reused, one line each

    def __post_init__(self) -> None:
        if isinstance(self.model, OpenAIChat):
            self.model.announce = self._say

    def _say(self, line: str) -> None:
        """Tell the user now (once per run: every worker finds the same) and keep it for the report."""
        if line not in self.notes:
            self.notes.append(line)
        if self.worker_index == 0:
            stream = sys.__stderr__ or sys.stderr
            stream.write(f"{self.label}: {line}\n")
            stream.flush()

    def ask(self, items: list[Item]) -> dict[tuple[str, Variant], Completion]:
        """A completion for every item (an error completion where none could be had).

        Raises EndpointError when the endpoint refuses the whole run.
        """
        if not items:
            return {}
        # Items of one swap set share their Raw prompt: asked once, the answer serves them all.
        keyed = [(self.key(i), i) for i in items]
        keys = dict(keyed)
        if not self.model.cacheable:
            answers, _ = asyncio.run(self._request({k: i.prompt for k, i in keys.items()}, None))
        else:
            cache = ResponseCache(cache_dir() / RESPONSES_FILE, run_id=self.run_id)
            try:
                answers = self._ask_through(cache, keys)
            finally:
                cache.close()
        return {(item.key, item.variant): answers[key] for key, item in keyed}

    def forget_failures(self, run_id: str | None = None) -> None:
        """At the end of the run (every process done): its failure notes leave the cache."""
        path = cache_dir() / RESPONSES_FILE
        if self.model.cacheable and path.exists():
            cache = ResponseCache(path, run_id=run_id or self.run_id)
            try:
                cache.forget_run()
            finally:
                cache.close()

    def key(self, item: Item) -> str:
        return cache_key(self.model.name + self.namespace, self.sampling, item.prompt, self.model.endpoint)

    def mine(self, key: str) -> bool:
        """Whether this process owns a prompt: under xdist each is fetched by one worker."""
        return int(key[:8], 16) % self.worker_count == self.worker_index

    def _ask_through(self, cache: ResponseCache, keys: Mapping[str, Item]) -> dict[str, Completion]:
        """Cached answers, this process's share from the model, the rest from other workers."""
        found = cache.get_many(keys)
        self.accounting.from_cache += sum(self.mine(k) for k in found)
        self._note_other_endpoints(cache, [i.prompt for k, i in keys.items() if k not in found])
        mine = {k: i.prompt for k, i in keys.items() if k not in found and self.mine(k)}
        try:
            fresh, spent = asyncio.run(self._request(mine, cache))
        except EndpointError as exc:
            cache.put_failure("*", str(exc))  # other workers stop waiting and report it too
            raise
        self.accounting.add(spent)
        found.update(fresh)
        found.update(self._wait_for_others(cache, set(keys) - set(found)))
        return found

    def _note_other_endpoints(self, cache: ResponseCache, prompts: list[str]) -> None:
        """Answers of this model name from another endpoint are never reused: say so."""
        endpoint = self.model.endpoint
        if endpoint is None or not prompts:
            return
        for other, count in cache.answered_elsewhere(self.model.name, prompts, endpoint).items():
            self._say(
                f"the response cache holds answers of {self.model.name} to {count} of these prompts from "
                f"{other}; they are not reused for {endpoint} (answers are kept per endpoint)"
            )

    async def _request(
        self, prompts: dict[str, str], cache: ResponseCache | None
    ) -> tuple[dict[str, Completion], Accounting]:
        progress = (
            Progress(total=len(prompts), label=f"{self.label} {self.model.name}")
            if self.model.cacheable and prompts
            else None
        )
        try:
            return await request_all(
                self.model,
                prompts,
                concurrency=self.concurrency,
                cache=cache,
                progress=progress,
                timeout=self.timeout,
            )
        finally:
            await self.model.close()

    def _wait_for_others(self, cache: ResponseCache, missing: set[str]) -> dict[str, Completion]:
        """Responses other workers are fetching appear in the shared cache, or their failures do.

        A worker that makes no progress for longer than one request could take with all its
        retries is given up on: its prompts are reported as not evaluated.
        """
        found: dict[str, Completion] = {}
        patience = self.timeout * (self.max_retries + 3) + 60  # retries, backoff, a parameter switch
        last_progress = time.monotonic()
        while missing:
            if STOP.requested():
                found.update((k, Completion(text=None, error=INTERRUPTED)) for k in missing)
                break
            got = cache.get_many(missing)
            failed = cache.failures(missing)
            if "*" in failed:
                raise EndpointError(failed.pop("*")[0])
            got.update((k, Completion(text=None, error=e, refused=r)) for k, (e, r) in failed.items())
            if got:
                found.update(got)
                missing -= set(got)
                last_progress = time.monotonic()
            elif time.monotonic() - last_progress > patience:
                error = "not answered: the worker fetching it stopped making progress"
                found.update((k, Completion(text=None, error=error)) for k in missing)
                break
            else:
                time.sleep(0.05)
        return found
