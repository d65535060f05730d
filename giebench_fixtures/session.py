"""One gate run in one process: data, bars, model, responses, and the checks tests ask for.

The plugin builds a ``GateRun`` per process. Before the tests run it calls ``prepare``
with the scopes the selected tests need; every response then comes from a recording,
the response cache, or (for this process's share of the prompts) the model.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from . import gate
from .cache import RESPONSES_FILE, ResponseCache, cache_dir, cache_key
from .data import DIMENSIONS, Dataset, Item, Variant, load_source, shuffle_answers
from .errors import EndpointError, GiebenchError
from .gate import Verdict
from .metrics import Outcome
from .models import Completion, Model, Sampling, make_model
from .recording import build_recording, drift, read_recording, replay, stale_error
from .release import resolve_source
from .report import build_report
from .runner import Accounting, Progress, request_all
from .thresholds import Bars, Thresholds, load_thresholds, unmatched_identities
from .verdicts import read_verdict

Scope = tuple[str, str, Variant]  # dimension, identity, variant


@dataclass
class RunOptions:
    """How this process runs the gate (from the command line and xdist)."""

    model: str
    variants: list[Variant]
    sampling: Sampling = field(default_factory=Sampling)
    concurrency: int = 32
    live: bool = False
    update: bool = False
    max_retries: int = 4
    timeout: float = 120.0
    worker_index: int = 0
    worker_count: int = 1
    worker_label: str = "giebench"
    run_id: str = ""  # shared by every process of one run (xdist's testrunuid)


@dataclass
class GateRun:
    """Everything one process knows about the run."""

    dataset: Dataset
    thresholds: Thresholds
    model: Model
    options: RunOptions
    recordings: dict[Scope, Path] = field(default_factory=dict)
    responses: dict[tuple[str, Variant], Completion] = field(default_factory=dict)
    replayed: dict[Scope, dict[str, Any]] = field(default_factory=dict)
    accounting: Accounting = field(default_factory=Accounting)
    used: dict[tuple[str, str], Outcome] = field(default_factory=dict)

    # --- before the tests --------------------------------------------------------

    def prepare(self, scopes: Iterable[Scope], rerecord: str) -> None:
        """Gather every response the selected tests need; raise GiebenchError on a fatal problem."""
        wanted = sorted(set(scopes))
        stale: dict[str, list[str]] = {}
        to_ask: list[Item] = []
        for scope in wanted:
            items = self.dataset.select(scope[0], scope[1], scope[2])
            path = self.recordings.get(scope)
            recording = read_recording(path) if path and not self.options.live else None
            if path is not None and recording is not None:
                by_key, problems = replay(recording, items)
                if problems:
                    stale[str(path)] = problems
                    continue
                self.replayed[scope] = recording
                self.accounting.replayed += sum(self._mine(self._key(i)) for i in items)
                for item in items:
                    self.responses[(item.key, item.variant)] = Completion(text=by_key[item.key])
            else:
                to_ask.extend(items)
        if stale:
            raise stale_error(stale, rerecord)
        self._ask(to_ask)

    def _ask(self, items: list[Item]) -> None:
        if not items:
            return
        keys = {self._key(i): i for i in items}
        if not self.model.cacheable:
            answers, _ = asyncio.run(self._request({k: i.prompt for k, i in keys.items()}, None))
        else:
            cache = ResponseCache(cache_dir() / RESPONSES_FILE, run_id=self.options.run_id)
            try:
                answers = self._ask_through(cache, keys)
            finally:
                cache.close()
        for key, item in keys.items():
            self.responses[(item.key, item.variant)] = answers[key]

    def _ask_through(self, cache: ResponseCache, keys: dict[str, Item]) -> dict[str, Completion]:
        """Cached answers, this process's share from the model, the rest from other workers."""
        found = cache.get_many(keys)
        self.accounting.from_cache += sum(self._mine(k) for k in found)
        mine = {k: i.prompt for k, i in keys.items() if k not in found and self._mine(k)}
        try:
            fresh, spent = asyncio.run(self._request(mine, cache))
        except EndpointError as exc:
            cache.put_failure("*", str(exc))  # other workers stop waiting and report it too
            raise
        self.accounting.add(spent)
        found.update(fresh)
        found.update(self._wait_for_others(cache, set(keys) - set(found)))
        return found

    async def _request(
        self, prompts: dict[str, str], cache: ResponseCache | None
    ) -> tuple[dict[str, Completion], Accounting]:
        progress = (
            Progress(total=len(prompts), label=f"{self.options.worker_label} {self.model.name}")
            if self.model.cacheable and prompts
            else None
        )
        try:
            return await request_all(
                self.model,
                prompts,
                concurrency=self.options.concurrency,
                cache=cache,
                progress=progress,
            )
        finally:
            await self.model.close()

    def _wait_for_others(self, cache: ResponseCache, missing: set[str]) -> dict[str, Completion]:
        """Responses other workers are fetching appear in the shared cache, or their failures do.

        A worker that makes no progress for longer than one request could take with all its
        retries is given up on: its prompts are reported as not evaluated.
        """
        found: dict[str, Completion] = {}
        patience = self.options.timeout * (self.options.max_retries + 1) + 60
        last_progress = time.monotonic()
        while missing:
            got = cache.get_many(missing)
            failed = cache.failures(missing)
            if "*" in failed:
                raise EndpointError(failed.pop("*"))
            got.update((k, Completion(text=None, error=e)) for k, e in failed.items())
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

    def _mine(self, key: str) -> bool:
        """Whether this process owns a prompt: under xdist each is fetched by one worker."""
        return int(key[:8], 16) % self.options.worker_count == self.options.worker_index

    def _key(self, item: Item) -> str:
        return cache_key(self.model.name, self.options.sampling, item.prompt)

    # --- during the tests ----------------------------------------------------------

    def outcomes(self, dimension: str, identity: str | None, variant: Variant) -> list[Outcome]:
        result = []
        for item in self.dataset.select(dimension, identity, variant):
            completion = self.responses.get((item.key, item.variant))
            if completion is None:
                completion = Completion(text=None, error="not fetched")
            outcome = Outcome(
                key=item.key,
                variant=str(item.variant),
                dimension=item.dimension,
                identity=item.identity,
                correct=item.correct,
                verdict=read_verdict(completion.text),
                response=completion.text,
                error=completion.error,
            )
            self.used[(item.key, str(item.variant))] = outcome
            result.append(outcome)
        return result

    def _family(self, bars: Bars, checks: int) -> Bars:
        """Bars for one of ``checks`` checks of a kind; with multiple_checks = "bonferroni"
        the confidence is raised so that all of them together false-alarm at most 1 - confidence."""
        if bars.multiple_checks != "bonferroni" or checks <= 1:
            return bars
        return replace(bars, confidence=1 - (1 - bars.confidence) / checks)

    def check_accuracy(self, dimension: str, identity: str | None, variant: Variant) -> Verdict:
        scope = f"{dimension} / {identity or 'all identities'} / {variant}"
        bars = self.thresholds.bars(dimension, identity, str(variant))
        dims = self.dataset.dimensions()
        family = sum(len(self.dataset.identities(d)) for d in dims) if identity else len(dims)
        bars = self._family(bars, family * len(self.options.variants))
        return gate.check_accuracy(scope, self.outcomes(dimension, identity, variant), bars)

    def check_gap(self, dimension: str, variant: Variant) -> Verdict:
        by_identity: dict[str, list[Outcome]] = defaultdict(list)
        for o in self.outcomes(dimension, None, variant):
            by_identity[o.identity].append(o)
        bars = self.thresholds.bars(dimension, None, str(variant))
        bars = self._family(bars, len(self.dataset.dimensions()) * len(self.options.variants))
        return gate.check_gap(f"{dimension} / {variant}", by_identity, bars)

    def check_change(self, dimension: str, other: Variant) -> Verdict:
        bars = self.thresholds.bars(dimension, None, str(other))
        pairs = sum(v in self.options.variants for v in (Variant.ID, Variant.COT))
        bars = self._family(bars, len(self.dataset.dimensions()) * pairs)
        minimum = bars.min_empathy if other is Variant.ID else bars.min_understanding
        name = "empathy" if other is Variant.ID else "understanding"
        verdict, _ = gate.check_change(
            f"{dimension} / raw->{other} ({name})",
            self.outcomes(dimension, None, Variant.RAW),
            self.outcomes(dimension, None, other),
            minimum,
            bars,
        )
        return verdict

    def unanswered(self, dimension: str, identity: str, variant: Variant) -> int:
        """Items of a scope with no response after all retries."""
        return sum(
            1
            for item in self.dataset.select(dimension, identity, variant)
            if (c := self.responses.get((item.key, item.variant))) is None or c.error is not None
        )

    def recording(self, dimension: str, identity: str, variant: Variant) -> tuple[dict[str, Any], list[str]]:
        """The snapshot payload for a test, and any verdicts that drifted from the recording."""
        scope = (dimension, identity, variant)
        items = self.dataset.select(dimension, identity, variant)
        texts = {i.key: self.responses.get((i.key, i.variant), Completion(None)).text for i in items}
        fingerprints = sorted(
            {
                c.system_fingerprint
                for i in items
                if (c := self.responses.get((i.key, i.variant))) and c.system_fingerprint
            }
        )
        meta = {
            "sampling": self.options.sampling.as_dict(),
            "system_fingerprints": fingerprints,
            "client": client_version(),
            "recorded_on": date.today().isoformat(),
        }
        label = f"{dimension}/{identity}/{variant}"
        payload = build_recording(self.model.name, label, items, texts, meta)
        if scope in self.replayed:
            payload["meta"] = self.replayed[scope].get("meta", payload["meta"])
            return payload, []
        path = self.recordings.get(scope)
        previous = read_recording(path) if path else None
        if previous is None:
            return payload, []
        changed = drift(label, previous, payload)
        if not changed:
            return previous, []
        return payload, changed

    # --- after the tests ---------------------------------------------------------------

    def report(
        self,
        *,
        worker_outcomes: Iterable[Outcome],
        worker_accounting: Accounting,
        failures: Iterable[str],
    ) -> dict[str, Any] | None:
        """The run's JSON report, from this process's outcomes and those workers handed over."""
        outcomes = {(o.key, o.variant): o for o in worker_outcomes}
        outcomes.update(self.used)
        if not outcomes:
            return None
        total = Accounting()
        total.add(worker_accounting)
        total.add(self.accounting)
        return build_report(
            model=describe_model(self.model, self.options.sampling),
            dataset=self.dataset.describe(),
            outcomes=list(outcomes.values()),
            failures=sorted(failures),
            accounting=total.as_dict(),
            responses_from=self._responses_from(total),
            thresholds=self.accuracy_bars(),
            warnings=self.warnings(),
        )

    def warnings(self) -> list[str]:
        """What a user should know about the inputs that did not stop the run."""
        identities = {dim: self.dataset.identities(dim) for dim in self.dataset.dimensions()}
        return self.dataset.warnings + unmatched_identities(self.thresholds, identities)

    def _responses_from(self, total: Accounting) -> str:
        if not self.model.cacheable:
            return f"{self.model.name} (no endpoint)"
        sources = {
            "recordings": total.replayed,
            "the response cache": total.from_cache,
            "the model": total.requests - total.retries,
        }
        return ", ".join(f"{name} ({n})" for name, n in sources.items() if n) or "the model"

    def accuracy_bars(self) -> dict[str, dict[str, dict[str, float]]]:
        """min_accuracy per variant, dimension and identity, for charts and comparisons."""
        return {
            str(v): {
                dim: {
                    ident: self.thresholds.bars(dim, ident, str(v)).min_accuracy
                    for ident in self.dataset.identities(dim)
                }
                for dim in self.dataset.dimensions()
            }
            for v in self.options.variants
        }


def open_run(
    *,
    model_name: str,
    data: str | None,
    root: Path,
    thresholds: Path,
    base_url: str | None,
    options: RunOptions,
    shuffle_seed: int | None = None,
) -> GateRun:
    """Load and validate everything a run needs; raise GiebenchError on the first bad input."""
    label, folder = resolve_source(data, root)
    dataset = load_source(folder, source=label)
    if shuffle_seed is not None:
        dataset = shuffle_answers(dataset, shuffle_seed)
    bars = load_thresholds(thresholds, dimensions=tuple(dict.fromkeys([*DIMENSIONS, *dataset.dimensions()])))
    model = make_model(
        model_name,
        base_url=base_url,
        sampling=options.sampling,
        max_retries=options.max_retries,
        timeout=options.timeout,
    )
    return GateRun(dataset=dataset, thresholds=bars, model=model, options=options)


def client_version() -> str:
    try:
        return f"openai {version('openai')}"
    except PackageNotFoundError:
        return "openai (unknown version)"


def describe_model(model: Model, sampling: Sampling) -> dict[str, Any]:
    return {
        "name": model.name,
        "sampling": sampling.as_dict(),
        "endpoint": getattr(model, "base_url", None),
    }


__all__ = ["GateRun", "GiebenchError", "RunOptions", "Scope", "describe_model"]
