"""One gate run in one process: data, bars, model, responses, and the checks tests ask for.

The plugin builds a ``GateRun`` per process. Before the tests run it calls ``prepare``
with the scopes the selected tests need; every response then comes from a recording,
the response cache, or (for this process's share of the prompts) the model.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from giebench_fixtures.asking.asker import Asker
from giebench_fixtures.asking.completion import Completion, Model, Sampling
from giebench_fixtures.asking.models import make_model
from giebench_fixtures.asking.replies import served_differs
from giebench_fixtures.asking.runner import Accounting
from giebench_fixtures.data.items import DIMENSIONS, Dataset, Item, Variant, shuffle_answers
from giebench_fixtures.data.loading import load_source
from giebench_fixtures.data.release import resolve_source
from giebench_fixtures.errors import GiebenchError
from giebench_fixtures.judging import circular
from giebench_fixtures.judging.gate import Verdict
from giebench_fixtures.judging.judge import CheckSpec, Judge
from giebench_fixtures.judging.metrics import Outcome
from giebench_fixtures.judging.swap import swap_report
from giebench_fixtures.judging.thresholds import Thresholds, load_thresholds, unmatched_identities
from giebench_fixtures.recording.recorder import Recorder, Scope
from giebench_fixtures.recording.snapshots import stale_error
from giebench_fixtures.reports.report import build_report


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
    circular: bool = False  # ask every item in its four rotations (the dataset holds them)


@dataclass
class RequestFacts:
    """Notes, parameters as sent and answering endpoints: from every process, for the report."""

    notes: list[str] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    answered_by: list[str] = field(default_factory=list)
    served: list[str] = field(default_factory=list)  # the reply's ``model`` field, distinct
    recorded_sampling: list[dict[str, Any]] = field(default_factory=list)  # of replayed recordings

    def merged(self, other: RequestFacts) -> RequestFacts:
        return RequestFacts(
            notes=list(dict.fromkeys([*self.notes, *other.notes])),
            sent=_distinct([*self.sent, *other.sent]),
            answered_by=sorted({*self.answered_by, *other.answered_by}),
            served=sorted({*self.served, *other.served}),
            recorded_sampling=_distinct([*self.recorded_sampling, *other.recorded_sampling]),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "notes": self.notes,
            "sent": self.sent,
            "answered_by": self.answered_by,
            "served": self.served,
            "recorded_sampling": self.recorded_sampling,
        }


def _distinct(values: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    for value in values:
        if value not in seen:
            seen.append(value)
    return seen


@dataclass
class GateRun:
    """One process's run: it prepares the responses, then hands each room its part.

    Asking (``asking.Asker``), judging (``judging.Judge``) and recording
    (``recorder.Recorder``) live in rooms of their own; this class wires them together
    and assembles the report.
    """

    dataset: Dataset
    thresholds: Thresholds
    model: Model
    options: RunOptions
    responses: dict[tuple[str, Variant], Completion] = field(default_factory=dict)
    prepared: set[Scope] = field(default_factory=set)  # the scopes the selected tests read
    asker: Asker = field(init=False)
    judge: Judge = field(init=False)
    recorder: Recorder = field(init=False)

    def __post_init__(self) -> None:
        o = self.options
        self.asker = Asker(
            model=self.model,
            sampling=o.sampling,
            concurrency=o.concurrency,
            timeout=o.timeout,
            max_retries=o.max_retries,
            worker_index=o.worker_index,
            worker_count=o.worker_count,
            label=o.worker_label,
            run_id=o.run_id,
            # Circular runs keep their cached answers apart from plain runs'.
            namespace="@circular" if o.circular else "",
        )
        self.judge = Judge(self.dataset, self.thresholds, o.variants, self.responses, circular=o.circular)
        self.recorder = Recorder(
            self.model.name, self.dataset, o.sampling, live=o.live, endpoint=self.model.endpoint
        )

    @property
    def recordings(self) -> dict[Scope, Path]:
        """Where each test_accuracy test's recording lives (filled in by the plugin)."""
        return self.recorder.paths

    @property
    def used(self) -> dict[tuple[str, str], Outcome]:
        return self.judge.used

    @property
    def accounting(self) -> Accounting:
        return self.asker.accounting

    def notes(self) -> list[str]:
        """What changed during the run or was not reused, one line each (parameter switches,
        answers of another endpoint, recordings of another model name)."""
        return list(dict.fromkeys([*self.asker.notes, *self.recorder.notes]))

    def sent(self) -> list[dict[str, Any]]:
        """The sampling parameters the answers were actually requested with (distinct)."""
        return _distinct(c.sent for c in self.responses.values() if c.error is None and c.sent is not None)

    def answered_by(self) -> list[str]:
        """The endpoints (scheme, host and path) that gave this process's answers."""
        return sorted({c.endpoint for c in self.responses.values() if c.error is None and c.endpoint})

    # --- before the tests --------------------------------------------------------

    def prepare(self, scopes: Iterable[Scope], rerecord: str) -> None:
        """Gather every response the selected tests need; raise GiebenchError on a fatal problem."""
        scopes = set(scopes)
        self.prepared.update(scopes)
        replayed = self.recorder.replay(scopes)
        if replayed.stale:
            raise stale_error(replayed.stale, rerecord)
        self.accounting.replayed += sum(
            self.asker.mine(self.asker.key(self.dataset.items[variant][key]))
            for key, variant in replayed.responses
        )
        self.responses.update(replayed.responses)
        if self.options.circular and replayed.to_ask:
            print(
                f"{self.options.worker_label} {self.model.name}: --circular asks every item in its "
                f"{circular.ROTATIONS} rotations: up to {len(replayed.to_ask)} requests "
                f"({circular.ROTATIONS} x {len(replayed.to_ask) // circular.ROTATIONS})",
                file=sys.__stderr__ or sys.stderr,
                flush=True,
            )
        self.responses.update(self.asker.ask(replayed.to_ask))

    # --- during the tests ----------------------------------------------------------

    def check_accuracy(self, dimension: str, identity: str | None, variant: Variant) -> Verdict:
        return self.judge.accuracy(dimension, identity, variant)

    def check_gap(self, dimension: str, variant: Variant) -> Verdict:
        return self.judge.gap(dimension, variant)

    def check_change(self, dimension: str, other: Variant) -> Verdict:
        return self.judge.change(dimension, other)

    def check_position(self, dimension: str, variant: Variant) -> Verdict:
        return self.judge.position(dimension, variant)

    def settle(self, specs: Iterable[CheckSpec]) -> dict[str, Any]:
        """Decide every check the selected tests will ask for, together (see ``judging.family``)."""
        return self.judge.settle(specs)

    def unanswered(self, dimension: str, identity: str, variant: Variant) -> int:
        """Items of a scope with no response after all retries."""
        return sum(
            1
            for item in self.dataset.select(dimension, identity, variant)
            if (c := self.responses.get((item.key, item.variant))) is None or c.error is not None
        )

    def recording(self, dimension: str, identity: str, variant: Variant) -> tuple[dict[str, Any], list[str]]:
        """The snapshot payload for a test, and any verdicts that drifted from the recording."""
        return self.recorder.payload((dimension, identity, variant), self.responses)

    # --- after the tests ---------------------------------------------------------------

    def finish(self, run_id: str | None = None) -> None:
        """The whole run is over (called once, by the controller): drop its failure notes
        (under xdist, those of the workers' run id)."""
        self.asker.forget_failures(run_id)

    def evaluate_prepared(self) -> None:
        """After an interruption: every item the selected tests read is in the report,
        answered (and judged) or not, whether its test ran or not."""
        for dimension, identity, variant in sorted(self.prepared):
            self.judge.outcomes(dimension, identity, variant)

    def report(
        self,
        *,
        worker_outcomes: Iterable[Outcome],
        worker_accounting: Accounting,
        failures: Iterable[str],
        checks: Sequence[Mapping[str, Any]] = (),
        nothing_judged: str | None = None,
        worker_requests: RequestFacts | None = None,
        fatal: str | None = None,
        interrupted: str | None = None,
        gate_figures: Mapping[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        """The run's JSON report, from this process's outcomes and those workers handed over;
        written even when nothing was judged, or the endpoint stopped the run (``fatal``), to say so."""
        outcomes = {(o.key, o.variant): o for o in worker_outcomes}
        outcomes.update(self.used)
        if not outcomes and not checks and nothing_judged is None and fatal is None and interrupted is None:
            return None
        if fatal is not None:
            failures = [fatal, *(f for f in failures if fatal not in f)]
        if interrupted is not None:
            failures = [interrupted, *failures]
        total = Accounting()
        total.add(worker_accounting)
        total.add(self.accounting)
        facts = self.request_facts().merged(worker_requests or RequestFacts())
        report = build_report(
            model={
                **describe_model(self.model, self.options.sampling),
                "sent": facts.sent[0] if len(facts.sent) == 1 else facts.sent,
                "answered_by": facts.answered_by,
                "served": facts.served,
                **_recorded_sampling(facts.recorded_sampling, self.options.sampling),
            },
            notes=facts.notes,
            dataset=circular.describe(self.dataset.describe())
            if self.options.circular
            else self.dataset.describe(),
            outcomes=list(outcomes.values()),
            failures=sorted(failures),
            accounting=total.as_dict(),
            responses_from=self._responses_from(total),
            thresholds=self.judge.accuracy_bars(),
            warnings=[*self.warnings(), *_served_warnings(self.model.name, facts.served)],
            checks=checks,
            nothing_judged=nothing_judged,
            swap=swap_report(self._unrotated_items(), list(outcomes.values())),
            gate_figures=gate_figures or self.judge.gate_figures,
        )
        asked = {o.dimension for o in outcomes.values()}
        rotations = circular.ROTATIONS if self.options.circular else 1
        report["not_asked"] = [d for d in self.dataset.dimensions() if d not in asked]
        if report["not_asked"] and asked:
            report["warnings"].append(
                "not asked in this run: "
                + ", ".join(
                    f"{d} ({len(self.dataset.select(d, None, Variant.RAW)) // rotations} items)"
                    for d in report["not_asked"]
                )
            )

        if interrupted is not None:
            report["interrupted"] = True
        return report

    def _unrotated_items(self) -> dict[str, dict[str, Item]]:
        """Items by variant and key as the outcomes name them (under --circular, rotation 0)."""
        if not self.options.circular:
            return {str(v): items for v, items in self.dataset.items.items()}
        return {
            str(v): {
                circular.split_key(key)[0]: item
                for key, item in items.items()
                if circular.split_key(key)[1] == 0
            }
            for v, items in self.dataset.items.items()
        }

    def request_facts(self) -> RequestFacts:
        """What this process knows about the requests behind its answers (handed over under xdist)."""
        return RequestFacts(
            notes=self.notes(),
            sent=self.sent(),
            answered_by=self.answered_by(),
            served=sorted({c.served_model for c in self.responses.values() if c.served_model}),
            recorded_sampling=self.recorder.recorded_sampling,
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


def _recorded_sampling(recorded: list[dict[str, Any]], asked: Sampling) -> dict[str, Any]:
    """A replay's answers were made with the recording's settings: the report says those."""
    if not recorded or recorded == [asked.as_dict()]:
        return {}
    return {"sampling": recorded[0] if len(recorded) == 1 else recorded, "sampling_asked": asked.as_dict()}


def _served_warnings(requested: str, served: list[str]) -> list[str]:
    other = [s for s in served if served_differs(requested, s)]
    if not other:
        return []
    return [
        f"--model={requested} was answered by {', '.join(other)} (the replies' model field); "
        "the endpoint may serve one model whatever the name: check --model and --base-url"
    ]


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
    if options.circular:
        # The same data asked another way: its reports keep the data's fingerprint.
        dataset = replace(circular.rotate(dataset), fingerprint_before_shuffle=dataset.fingerprint())
    bars = load_thresholds(thresholds, dimensions=tuple(dict.fromkeys([*DIMENSIONS, *dataset.dimensions()])))
    model = make_model(
        model_name,
        base_url=base_url,
        sampling=options.sampling,
        max_retries=options.max_retries,
        timeout=options.timeout,
    )
    return GateRun(dataset=dataset, thresholds=bars, model=model, options=options)


def describe_model(model: Model, sampling: Sampling) -> dict[str, Any]:
    return {
        "name": model.name,
        "sampling": sampling.as_dict(),
        "endpoint": model.endpoint,  # scheme, host and path: never credentials
    }


__all__ = ["GateRun", "GiebenchError", "RequestFacts", "RunOptions", "Scope", "describe_model"]
