"""The gate's tests: their parameters, and what they call (the ``gate`` fixture): each check is
noted on the test for the report, and a test fails, skips or passes with its one-line explanation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from giebench_fixtures.data.items import Dataset, Variant
from giebench_fixtures.data.repository import unasked_by_any_module
from giebench_fixtures.judging.gate import CheckKind, Verdict
from giebench_fixtures.judging.judge import CheckSpec, why_nothing_judged
from giebench_fixtures.recording.snapshots import RecordingExtension, identity_test_id
from giebench_fixtures.session import GateRun, Scope


class GateChecks:
    """What a gate test calls: each check is recorded on the test for the report."""

    def __init__(self, run: GateRun, node: pytest.Item) -> None:
        self.run = run
        self.node = node

    def _note(self, verdict: Verdict) -> Verdict:
        self.node.user_properties.append(("giebench_check", verdict.message))
        self.node.user_properties.append(("giebench_verdict", verdict.as_dict()))
        return verdict

    def accuracy(self, dimension: str, identity: str | None, variant: str) -> Verdict:
        return self._note(self.run.check_accuracy(dimension, identity, Variant(variant)))

    def gap(self, dimension: str, variant: str) -> Verdict:
        return self._note(self.run.check_gap(dimension, Variant(variant)))

    def change(self, dimension: str, compared: str) -> Verdict:
        return self._note(self.run.check_change(dimension, Variant(compared)))

    def position(self, dimension: str, variant: str) -> Verdict:
        return self._note(self.run.check_position(dimension, Variant(variant)))

    def require(self, verdict: Verdict) -> None:
        """Fail the test with the check's own one-line explanation; a check that could not be
        judged is a skip with its reason, so it is never counted as passed."""
        if not verdict.judged:
            # Reported at the test's own line (as a skip mark is), not at this one.
            raise pytest.skip.Exception(verdict.message, _use_item_location=True)
        if not verdict.passed:
            pytest.fail(verdict.message, pytrace=False)

    def matches_recording(self, snapshot: Any, dimension: str, identity: str, variant: str) -> None:
        """Replay or live: the responses equal the recording; with --snapshot-update, record them.

        A scope with items the endpoint never answered is neither compared nor recorded: a
        half recording would replay as wrong answers. Its accuracy check reports the gap.
        """
        if self.run.unanswered(dimension, identity, Variant(variant)):
            return
        payload, drifted = self.run.recording(dimension, identity, Variant(variant))
        replayed = (dimension, identity, Variant(variant)) in self.run.recorder.replayed
        updating = self.run.options.update
        if drifted and not updating:
            model = self.run.model.name
            head = (
                f"{len(drifted)} verdict(s) in the recording of {model} read differently by this "
                "giebench's verdict rule (the responses are unchanged; accept with --snapshot-update)"
                if replayed
                else f"{len(drifted)} verdict(s) changed from the recording of {model} "
                "(accept with --snapshot-update)"
            )
            message = head + ":\n  " + "\n  ".join(drifted)
            self.node.user_properties.append(("giebench_check", message.replace("\n ", ";")))
            self.run.judge.outcomes(dimension, identity, Variant(variant))  # the report still shows them
            pytest.fail(message, pytrace=False)
        recorded = self.run.recordings.get((dimension, identity, Variant(variant)))
        if updating or (recorded is not None and recorded.exists()):
            recording_snapshot = snapshot.use_extension(RecordingExtension)
            assert payload == recording_snapshot


def gate_params(
    kind: str, dimensions: list[str], variants: list[Variant], dataset: Dataset | None, *, generic: bool
) -> list[Any]:
    """The parameters of one kind of gate test (by identity, by variant, or a Raw->X pair); the
    generic module's carry their dimension first, and their ids start with it: 'Region-id-North'."""
    run_identities = dataset.identities if dataset is not None else (lambda _dim: [])
    pairs = [v for v in (Variant.ID, Variant.COT) if Variant.RAW in variants and v in variants]
    params: list[Any] = []
    for dim in dimensions:
        prefix, values = (f"{dim}-", (dim,)) if generic else ("", ())
        if kind == "identity":
            params += [
                pytest.param(
                    *values, str(v), i, id=prefix + identity_test_id(v, i), marks=getattr(pytest.mark, str(v))
                )
                for v in variants
                for i in run_identities(dim)
            ]
        elif kind == "variant":
            params += [
                pytest.param(*values, str(v), id=f"{prefix}{v}", marks=getattr(pytest.mark, str(v)))
                for v in variants
            ]
        else:
            params += [
                pytest.param(
                    *values,
                    str(v),
                    id=f"{prefix}raw-to-{v}",
                    marks=[pytest.mark.raw, getattr(pytest.mark, str(v))],
                )
                for v in pairs
            ]
    return params


def dimension_of(item: pytest.Item) -> str | None:
    """The DIMENSION a gate module declares (or the generic module's parameter), for items of
    tests_bench modules."""
    declared = getattr(getattr(item, "module", None), "DIMENSION", None)
    if declared is not None:
        return str(declared)
    params = getattr(getattr(item, "callspec", None), "params", {})
    return str(params["dimension"]) if isinstance(params.get("dimension"), str) else None


def scopes_of(item: pytest.Item, run: GateRun) -> list[Scope]:
    """The (dimension, identity, variant) groups of items a gate test reads."""
    dimension = dimension_of(item)
    params = getattr(item, "callspec", None)
    if dimension is None or params is None:
        return []
    p = params.params
    if not all(isinstance(v, str) for v in p.values()):
        return []  # an empty parameter set (e.g. no Raw->ID pair under --variants=raw)
    if "identity" in p:
        return [(dimension, p["identity"], Variant(p["variant"]))]
    variants = [Variant(p["variant"])] if "variant" in p else [Variant.RAW, Variant(p["compared"])]
    return [(dimension, ident, v) for v in variants for ident in run.dataset.identities(dimension)]


CHECK_KINDS: dict[str, CheckKind] = {
    "test_accuracy": "accuracy",
    "test_pooled_accuracy": "accuracy",
    "test_gap": "gap",
    "test_change": "change",
    "test_position": "position",
}


def check_of(item: pytest.Item) -> CheckSpec | None:
    """The gate check a selected test will ask for: the run's family is known before any runs."""
    dimension = dimension_of(item)
    kind = CHECK_KINDS.get(getattr(item, "originalname", ""))
    params = getattr(getattr(item, "callspec", None), "params", {})
    if dimension is None or kind is None or not all(isinstance(v, str) for v in params.values()):
        return None
    variant = params.get("compared") or params.get("variant")
    if variant is None:
        return None
    return CheckSpec(kind, dimension, params.get("identity"), Variant(variant))


def run_level_failures(
    run: GateRun, root: Path, checked_dimensions: set[str], checks: list[dict[str, Any]]
) -> tuple[list[str], str | None]:
    """What fails the run as a whole: dimensions no tests_bench module asks, and a gate that
    judged nothing (it has shown nothing: a failed run, never a pass)."""
    uncovered = [
        # A gate that silently skips part of the data would pass on half of it.
        f"{dimension}: no tests_bench module asks this dimension of the data "
        "(add one with DIMENSION = ..., or restore tests_bench/test_other_dimensions.py)"
        for dimension in unasked_by_any_module(root, run.dataset.dimensions())
    ]
    if any(c["outcome"] != "not judged" for c in checks):
        return uncovered, None
    reported_only = sum(1 for c in checks if c["outcome"] == "not judged")
    return uncovered, why_nothing_judged(run.dataset, checked_dimensions, reported_only)
