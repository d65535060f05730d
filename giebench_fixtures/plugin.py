"""The pytest plugin: options, parametrization, fixtures and hooks; the work is elsewhere.

Registered once, by the repository's root ``conftest.py``.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import pytest

from giebench_fixtures.asking.completion import BASELINE_PREFIX, Sampling
from giebench_fixtures.asking.pacing import STOP
from giebench_fixtures.asking.runner import Accounting
from giebench_fixtures.data.items import Variant, parse_variants
from giebench_fixtures.data.repository import cache_dir, declared_dimensions, find_repository
from giebench_fixtures.errors import GiebenchError
from giebench_fixtures.gate_checks import (
    GateChecks,
    check_of,
    dimension_of,
    gate_params,
    run_level_failures,
    scopes_of,
)
from giebench_fixtures.handover import Handover
from giebench_fixtures.interrupting import Interruption, install, uninstall
from giebench_fixtures.judging.metrics import Outcome
from giebench_fixtures.options import PYTEST_OPTIONS, USAGE, RunValues, check_cache_dir, check_run_values
from giebench_fixtures.recording.snapshots import RecordingExtension, model_dirname
from giebench_fixtures.reports.report import terminal_lines
from giebench_fixtures.reports.writing import REPORT_FORMATS, write_reports
from giebench_fixtures.session import GateRun, RequestFacts, RunOptions, Scope, open_run


def _option(config: pytest.Config, dest: str) -> Any:
    return config.getoption(f"giebench_{dest}")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("giebench", "GIEBench release gate")
    for flag, dest, keywords in PYTEST_OPTIONS:
        group.addoption(flag, dest=f"giebench_{dest}", **keywords)


def pytest_configure(config: pytest.Config) -> None:
    for variant in Variant:
        config.addinivalue_line("markers", f"{variant}: GIEBench checks on the {variant} prompts")
    config.addinivalue_line("markers", "giebench: a GIEBench gate check")
    config.stash[_STATE] = _State()
    config.pluginmanager.register(config.stash[_STATE], "giebench-state")
    # Recordings of other models, variants or identities are legitimately unused in a run:
    # syrupy reports them but never deletes them. Pruning is `giebench recordings prune
    # MODEL`, which names what it removes.
    config.option.warn_unused_snapshots = True
    config.option.no_cleanup = True
    model = _option(config, "model")
    if not model:
        return
    shuffle = _option(config, "shuffle_answers")
    # Shuffled prompts are other prompts: their recordings live apart.
    RecordingExtension.model_dir = (
        model_dirname(model)
        + (f"@shuffle-{shuffle}" if shuffle is not None else "")
        + ("@circular" if _option(config, "circular") else "")
    )
    try:
        config.stash[_STATE].run = _build_run(config, model)
    except (GiebenchError, ValueError) as exc:
        raise pytest.UsageError(str(exc)) from None
    run_id = config.stash[_STATE].run.options.run_id  # type: ignore[union-attr]
    if getattr(config, "workerinput", None) is None and getattr(config.option, "testrunuid", "") is None:
        config.option.testrunuid = run_id  # xdist's workers then share the controller's run id


def pytest_sessionstart(session: pytest.Session) -> None:
    """Signals stop the spending and keep the work (``interrupting``)."""
    state = session.config.stash[_STATE]
    if state.run is None or session.config.getoption("collectonly"):
        return
    loops = [session, session.config.pluginmanager.getplugin("dsession")]
    controller = getattr(session.config, "workerinput", None) is None
    state.interruption = install(
        cache_dir(), state.run.options.run_id, test_loops=[x for x in loops if x] if controller else []
    )


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
    if state is not None and state.interruption is not None:
        uninstall(controller=getattr(config, "workerinput", None) is None)


class _State:
    """The run of this process, and on the controller what the workers handed over."""

    def __init__(self) -> None:
        self.run: GateRun | None = None
        self.outcomes: dict[tuple[str, str], Outcome] = {}
        self.accounting = Accounting()
        self.requests = RequestFacts()
        self.failures: list[str] = []
        self.fatal: str | None = None
        self.checks: list[dict[str, Any]] = []  # every gate check's verdict, in the order reported
        self.nothing_judged: str | None = None
        self.session: pytest.Session | None = None
        self.interruption: Interruption | None = None
        self.gate_figures: dict[str, Any] = {}  # the family and its guarantee (from a worker under xdist)

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.session = session

    @property
    def interrupted(self) -> str | None:
        """The line saying the run was interrupted, if it was."""
        i = self.interruption
        return i.line() if i is not None and i.signal_name is not None else None

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Before the JUnit XML is written: it says the run was interrupted, as a suite property."""
        if self.interrupted is not None:
            from _pytest.junitxml import xml_key

            if (xml := session.config.stash.get(xml_key, None)) is not None:
                xml.add_global_property("giebench_interrupted", "true")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Collect failed gate checks; on the controller too, as reports carry user properties."""
        if report.when != "call" or "tests_bench" not in report.nodeid:
            return
        self.checks.extend(dict(v) for k, v in report.user_properties if k == "giebench_verdict")  # type: ignore[call-overload]
        if not report.failed:
            return
        checks = [str(v) for k, v in report.user_properties if k == "giebench_check"]
        first_line = (report.longreprtext or "failed").strip().splitlines()[-1]
        self.failures.append(checks[-1] if checks else f"{report.nodeid}: {first_line}")


_STATE = pytest.StashKey[_State]()


def repository_root(config: pytest.Config) -> Path:
    """The checkout the run is in (pytest's rootdir, or the folder above it holding the
    repository), never where giebench is installed."""
    return find_repository(config.rootpath) or config.rootpath


def _base_url(config: pytest.Config) -> tuple[str | None, str]:
    given = _option(config, "base_url")
    if given is not None:
        return given, "--base-url"
    return os.environ.get("OPENAI_BASE_URL") or None, "$OPENAI_BASE_URL"


def _check_options(config: pytest.Config, model_name: str) -> None:
    """Every option value that cannot work stops the run here, before any request."""
    base_url, source = _base_url(config)
    check_run_values(
        RunValues(
            temperature=_option(config, "temperature"),
            max_tokens=_option(config, "max_tokens"),
            concurrency=_option(config, "concurrency"),
            max_retries=_option(config, "max_retries"),
            request_timeout=_option(config, "request_timeout"),
            base_url=base_url,
            base_url_source=source,
        )
    )
    if not model_name.startswith(BASELINE_PREFIX):
        check_cache_dir(cache_dir())


def _build_run(config: pytest.Config, model_name: str) -> GateRun:
    _check_options(config, model_name)
    worker = getattr(config, "workerinput", None)
    root = repository_root(config)
    thresholds = _option(config, "thresholds")
    return open_run(
        model_name=model_name,
        data=_option(config, "data"),
        root=root,
        thresholds=Path(thresholds) if thresholds else root / "thresholds.toml",
        base_url=_base_url(config)[0],
        shuffle_seed=_option(config, "shuffle_answers"),
        options=RunOptions(
            model=model_name,
            sampling=Sampling(
                temperature=_option(config, "temperature"),
                max_tokens=_option(config, "max_tokens"),
                seed=_option(config, "seed"),
                reasoning_effort=_option(config, "reasoning_effort"),
            ),
            variants=parse_variants(_option(config, "variants")),
            concurrency=_option(config, "concurrency"),
            live=_option(config, "live"),
            update=bool(config.getoption("update_snapshots", False)),
            max_retries=_option(config, "max_retries"),
            timeout=_option(config, "request_timeout"),
            worker_index=int(worker["workerid"][2:]) if worker else 0,
            worker_count=int(worker["workercount"]) if worker else 1,
            worker_label=f"giebench[{worker['workerid']}]" if worker else "giebench",
            run_id=worker["testrunuid"] if worker else uuid.uuid4().hex,
            circular=_option(config, "circular"),
        ),
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    dimension = getattr(metafunc.module, "DIMENSION", None)
    others = getattr(metafunc.module, "OTHER_DIMENSIONS", False)
    names = metafunc.fixturenames
    kind = next((n for n in ("identity", "variant", "compared") if n in names), None)
    if (dimension is None and not others) or kind is None:
        return
    run = metafunc.config.stash[_STATE].run
    # No --model: parametrize nothing; collection then stops with the usage line.
    variants: list[Variant] = run.options.variants if run is not None else []
    if others:
        # The generic module asks every dimension of the data that no module declares.
        declared = declared_dimensions(Path(str(metafunc.module.__file__)).parent)
        dimensions = [d for d in (run.dataset.dimensions() if run else []) if d not in declared]
    else:
        dimensions = [str(dimension)]
    params = gate_params(kind, dimensions, variants, run.dataset if run else None, generic=others)
    argnames = {"identity": "variant,identity", "variant": "variant", "compared": "compared"}[kind]
    metafunc.parametrize(("dimension," if others else "") + argnames, params)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The generic module with no dimension left to ask has nothing to say: no empty skips.
    items[:] = [
        i
        for i in items
        if not (getattr(getattr(i, "module", None), "OTHER_DIMENSIONS", False) and dimension_of(i) is None)
    ]
    for item in items:
        if dimension_of(item):
            item.add_marker(pytest.mark.giebench)
    in_bench = any("tests_bench" in Path(str(i.path)).parts for i in items)
    if in_bench and config.stash[_STATE].run is None:
        # A run without --model reads no recording: to syrupy every one would look unused.
        config.option.disable_unused_snapshots = True
    if in_bench and config.stash[_STATE].run is None and not config.getoption("collectonly"):
        raise pytest.UsageError(USAGE)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Gather every response the selected tests need, before the first one runs."""
    state = session.config.stash[_STATE]
    run = state.run
    if run is None or session.config.getoption("collectonly"):
        return
    from syrupy.location import PyTestLocation

    scopes: set[Scope] = set()
    for item in session.items:
        item_scopes = scopes_of(item, run)
        scopes.update(item_scopes)
        if item.name.startswith("test_accuracy[") and len(item_scopes) == 1:  # the recorded tests
            location = RecordingExtension.get_location(test_location=PyTestLocation(item), index=0)
            run.recordings[item_scopes[0]] = Path(location)
    try:
        run.prepare(scopes, _rerecord_command(session.config))
        state.gate_figures = run.settle(spec for item in session.items if (spec := check_of(item)))
    except GiebenchError as exc:
        # Stop the run (and, under xdist, the controller) after one test reports it.
        state.fatal = f"giebench: {exc}"
        session.shouldstop = state.fatal


def _rerecord_command(config: pytest.Config) -> str:
    words = ["pytest tests_bench", f"--model={_option(config, 'model')}"]
    for dest in ("data", "shuffle_answers"):
        if _option(config, dest) is not None:
            words.append(f"--{dest.replace('_', '-')}={_option(config, dest)}")
    if _option(config, "circular"):
        words.append("--circular")
    return " ".join([*words, "--snapshot-update"])


@pytest.fixture
def gate(request: pytest.FixtureRequest) -> GateChecks:
    """The checks of the GIEBench gate, for the test asking."""
    state = request.config.stash[_STATE]
    if state.run is None:
        pytest.fail(USAGE, pytrace=False)
    if state.fatal:
        pytest.fail(state.fatal, pytrace=False)
    return GateChecks(state.run, request.node)


@pytest.hookimpl(tryfirst=True)  # before junitxml writes its file
def pytest_sessionfinish(session: pytest.Session) -> None:
    state = session.config.stash[_STATE]
    if state.run is None:
        return
    if STOP.requested():
        state.run.evaluate_prepared()
    worker_output = getattr(session.config, "workeroutput", None)
    if worker_output is not None:
        worker_output["giebench"] = Handover(
            outcomes=list(state.run.used.values()),
            accounting=state.run.accounting,
            requests=state.run.request_facts(),
            fatal=state.fatal,
            gate_figures=state.gate_figures,
        ).to_json()
        return
    # Under xdist the workers share the controller's testrunuid, held by its node manager.
    nodes = getattr(session.config.pluginmanager.getplugin("dsession"), "nodemanager", None)
    state.run.finish(getattr(nodes, "testrunuid", None))
    if session.config.getoption("collectonly"):
        return
    if state.fatal:
        _junit_case(session.config, state.fatal, error=True)
        return
    if state.interrupted is not None:
        session.exitstatus = pytest.ExitCode.INTERRUPTED
    if session.exitstatus in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.USAGE_ERROR):
        return
    dims = {d for item in session.items if (d := dimension_of(item))}
    uncovered, state.nothing_judged = run_level_failures(
        state.run, repository_root(session.config), dims, state.checks
    )
    state.failures.extend(uncovered)
    if uncovered or state.nothing_judged:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    run_level = [*uncovered, *([state.nothing_judged] if state.nothing_judged else [])]
    if run_level:
        _junit_case(session.config, "\n".join(run_level), error=False)


def _junit_case(config: pytest.Config, message: str, *, error: bool) -> None:
    """A failed run is a failure (or, stopped, an error) in --junitxml too, not 0 of 0."""
    from _pytest.junitxml import xml_key

    xml = config.stash.get(xml_key, None)
    if xml is None:
        return
    report = pytest.TestReport(
        nodeid="tests_bench::giebench_run",
        location=("tests_bench", None, "giebench run"),
        keywords={},
        outcome="failed",
        longrepr=message,
        when="setup" if error else "call",
    )
    xml.pytest_runtest_logreport(report)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    payload = getattr(node, "workeroutput", {}).get("giebench")
    state = node.config.stash[_STATE]
    if payload is None:
        return
    handed = Handover.from_json(payload)
    for outcome in handed.outcomes:
        state.outcomes[(outcome.key, outcome.variant)] = outcome
    state.accounting.add(handed.accounting)
    state.requests = state.requests.merged(handed.requests)
    state.fatal = state.fatal or handed.fatal
    if handed.gate_figures:  # every worker settled the same family; the controller collects none
        state.gate_figures = handed.gate_figures


def _report(config: pytest.Config) -> dict[str, Any] | None:
    state = config.stash[_STATE]
    if state.run is None:
        return None
    return state.run.report(
        worker_outcomes=state.outcomes.values(),
        worker_accounting=state.accounting,
        failures=state.failures,
        checks=state.checks,
        nothing_judged=state.nothing_judged,
        worker_requests=state.requests,
        fatal=state.fatal,
        interrupted=state.interrupted,
        gate_figures=state.gate_figures,
    )


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if getattr(config, "workerinput", None) is not None:
        return
    report = _report(config)
    if report is None:
        return
    terminalreporter.section("GIEBench gate")
    for line in terminal_lines(report):
        terminalreporter.write_line(line)
    targets = {option: _option(config, option) for option in REPORT_FORMATS}
    for line, failed in write_reports(report, targets, os.environ.get("GITHUB_STEP_SUMMARY")):
        terminalreporter.write_line(line, red=failed)
        session = config.stash[_STATE].session
        if failed and session is not None and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED  # a report asked for and not written
