"""Endpoints on a bad day, served for real on 127.0.0.1 and asked through the openai client:
200s that are not completions, trickling bodies, refusals, reasoning models, long
Retry-After, cut-off answers. No reply crashes a run or reaches the cache."""

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from giebench_fixtures.data.loading import load_source
from tests.loopback import MALFORMED_200, LoopbackServer, letter_answerer

from .conftest import SNAPSHOTS
from .helpers import run_pytest
from .live_helpers import answering_server, letter_of, live_gate, small_data

FIRST_ATTEMPT = (*MALFORMED_200, "usage-strings")  # usage-strings is usable: counts are read as numbers
REASONS = {
    "html": "HTML page instead of a completion (title '502 Bad Gateway')",
    "text": "plain text instead of a completion: 'upstream connect error",
    "json-list": "JSON list instead of a completion",
    "sse": "event stream instead of a completion",
    "error-200": "error reply with HTTP 200: The server had an error",
    "no-message": "completion without a message",
    "no-choices": "completion without choices",
    "null-choices": "completion without choices",
    "wrong-shape": "JSON object without 'choices' instead of a completion",
}
REFUSAL = "This model's maximum context length is 8192 tokens."


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_data(tmp_path_factory.mktemp("bad-endpoints") / "data")


def _prompts(data: Path) -> dict[tuple[str, str], str]:
    return {(i.key, str(i.variant)): i.prompt for v in load_source(data).items.values() for i in v.values()}


def _plan(data: Path) -> dict[str, str]:
    """Every fourth prompt gets one of the bad 200 bodies on its first attempt, each kind at least once."""
    chosen = sorted(_prompts(data).values())[::4]
    assert len(chosen) >= len(FIRST_ATTEMPT)
    return {prompt: FIRST_ATTEMPT[n % len(FIRST_ATTEMPT)] for n, prompt in enumerate(chosen)}


def _cached(cache: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(cache / "responses.sqlite3") as db:
        return [json.loads(body) for (body,) in db.execute("SELECT body FROM answers")]


def test_unusable_200s_are_asked_again_and_only_answers_are_kept(data: Path, tmp_path: Path) -> None:
    plan = _plan(data)
    prompts = _prompts(data)
    with answering_server(fault=lambda p, attempt: plan.get(p) if attempt == 1 else None) as server:
        run, report = live_gate(server, data, tmp_path, "-n", "2")
        answers = {p: server.answer(p) for p in prompts.values()}
    assert "INTERNALERROR" not in run.stdout + run.stderr
    assert report is not None, run.stdout[-3000:]
    assert len(report["results"]) == 45 and all(r["evaluated"] for r in report["results"])
    for row in report["results"]:
        assert row["verdict"] == letter_of(prompts[(row["id"], row["variant"])])
    # each unusable reply was asked again once; token counts given as strings were used at once
    again = sum(kind != "usage-strings" for kind in plan.values())
    assert server.requests() == 45 + again
    assert report["accounting"]["requests"] == 45 + again
    assert not any("reasoning_effort" in r.params for r in server.served())  # sent only when given
    # the cache holds the 45 answers, each the server's text, and nothing else
    cached = _cached(tmp_path / "cache")
    assert sorted(c["text"] for c in cached) == sorted(answers.values())
    assert all(c["finish_reason"] == "stop" for c in cached)


def test_when_retries_run_out_items_say_why_and_a_rerun_fills_them_in(data: Path, tmp_path: Path) -> None:
    plan = _plan(data)
    prompts = _prompts(data)
    scopes = {p: (key.rsplit("-", 1)[0], variant) for (key, variant), p in prompts.items()}
    # one prompt the endpoint refuses (too long, say), in a scope no bad 200 touches
    refused = next(p for p in sorted(prompts.values()) if scopes[p] not in {scopes[q] for q in plan})

    def fault(prompt: str, attempt: int) -> str | None:
        return "400" if prompt == refused else plan.get(prompt) if attempt == 1 else None

    with answering_server(fault=fault) as server:
        run, report = live_gate(server, data, tmp_path, "--max-retries=0")
        assert "INTERNALERROR" not in run.stdout + run.stderr
        assert report is not None, run.stdout[-3000:]
        rows = {prompts[(r["id"], r["variant"])]: r for r in report["results"]}
        for prompt, kind in plan.items():
            if kind == "usage-strings":
                assert rows[prompt]["evaluated"]
            else:
                assert not rows[prompt]["evaluated"]
                assert (
                    rows[prompt]["error"] == f"{REASONS[kind]}{rows[prompt]['error'][len(REASONS[kind]) :]}"
                )
                assert rows[prompt]["error"].endswith("(1 attempt)")
        assert rows[refused]["error"] == f"HTTP 400: {REFUSAL} (1 attempt)" and rows[refused]["refused"]
        # the refused item's check quotes the server and does not suggest a rerun
        scope = "{dimension} / {identity} / {variant}:".format(**rows[refused])
        line = next(f for f in report["gate"]["failures"] if f.startswith(scope))
        assert f"1 item(s) not evaluated: 1 refused by the endpoint (HTTP 400: {REFUSAL}" in line
        assert "rerun" not in line
        missing = [p for p, r in rows.items() if not r["evaluated"]]
        assert "rerun to fill them in" in run.stdout
        assert len(_cached(tmp_path / "cache")) == 45 - len(missing)

        server.fault = lambda prompt, attempt: None  # the endpoint is healthy again
        before = server.requests()
        rerun, rerun_report = live_gate(server, data, tmp_path)
        assert rerun_report is not None, rerun.stdout[-3000:]
        assert all(r["evaluated"] for r in rerun_report["results"])
        assert server.requests() - before == len(missing)
        assert rerun_report["accounting"]["from_cache"] == 45 - len(missing)


def test_a_reasoning_model_gets_the_parameters_it_accepts(data: Path, tmp_path: Path, model: str) -> None:
    report_path = tmp_path / "report.json"
    with LoopbackServer(answer=letter_answerer(letter_of), reasoning=True) as server:
        run = run_pytest(
            [
                "tests_bench",
                f"--model={model}",
                f"--base-url={server.url}",
                f"--data={data}",
                "--reasoning-effort=low",
                "--snapshot-update",
                f"--giebench-report={report_path}",
            ],
            env={"GIEBENCH_CACHE_DIR": str(tmp_path / "cache")},
        )
        served = server.served()
    report = json.loads(report_path.read_text())
    assert len(report["results"]) == 45 and all(r["evaluated"] for r in report["results"]), run.stdout[-3000:]
    # one refusal per parameter, once for the run; then every request in the accepted shape
    assert [r.status for r in served[:2]] == [400, 400] and len(served) == 47
    sent = {"max_completion_tokens": 1024, "reasoning_effort": "low"}
    assert all(r.params == sent for r in served[2:])
    assert run.stderr.count("sending max_completion_tokens=1024 instead for the rest of the run") == 1
    assert run.stderr.count("sending no temperature (the model's default) for the rest of the run") == 1
    assert "note: the endpoint refuses max_tokens" in run.stdout
    assert report["model_settings"]["sent"] == sent
    assert report["model_settings"]["sampling"]["temperature"] == 0.0  # what was asked for
    assert report["accounting"]["reasoning_tokens"] == 45 * 7
    recordings = list((SNAPSHOTS / model).rglob("*.json"))
    assert len(recordings) == 15
    for path in recordings:
        meta = json.loads(path.read_text())["meta"]
        assert meta["sent"] == sent and "temperature" not in meta["sent"]
        assert meta["endpoint"] == server.url


def test_trickles_are_cut_long_waits_are_named_and_cut_off_answers_have_no_verdict(
    data: Path, tmp_path: Path
) -> None:
    prompts = {p: (key, variant) for (key, variant), p in _prompts(data).items() if "druid" in key}
    trickled = {p for p, (_, variant) in prompts.items() if variant == "raw"}
    told_to_wait = next(p for p, (_, variant) in sorted(prompts.items()) if variant == "id")
    cut_off = {p for p, (_, variant) in prompts.items() if variant == "cot"}

    def fault(prompt: str, attempt: int) -> str | None:
        if prompt == told_to_wait:
            return "429-long"
        return "trickle" if prompt in trickled and attempt == 1 else None

    with answering_server(
        fault=fault, trickle_seconds=0.05, finish_reason=lambda p: "length" if p in cut_off else "stop"
    ) as server:
        run, report = live_gate(server, data, tmp_path, "--request-timeout=1", "-k", "Druid")
        served = server.served()
    assert report is not None, run.stdout[-3000:]
    rows = {p: r for p in prompts for r in report["results"] if (r["id"], r["variant"]) == prompts[p]}
    # every trickling first attempt was cut by the deadline (the client hung up), then asked again
    first = [r for r in served if r.prompt in trickled and r.attempt == 1]
    assert len(first) == 3 and not any(r.complete for r in first)
    assert all(rows[p]["evaluated"] and rows[p]["verdict"] == letter_of(p) for p in trickled)
    # a Retry-After beyond what the client waits is in the item's reason
    assert (
        "asked to wait 600 s before retrying (Retry-After), longer than the client waits"
        in (rows[told_to_wait]["error"])
    )
    # answers cut off at the token limit: no verdict, wrong, counted per finish reason
    assert all(rows[p]["evaluated"] and rows[p]["verdict"] is None for p in cut_off)
    assert all(rows[p]["finish_reason"] == "length" for p in cut_off)
    assert report["summary"]["cot"]["finish_reasons"] == {"length": 3}
    assert report["summary"]["cot"]["overall"]["correct"] == 0
    assert "finish reasons, cot: length 3 (100% cut off at --max-tokens=1024" in run.stdout


def test_a_refusal_of_every_request_stops_the_run_quoting_the_server(data: Path, tmp_path: Path) -> None:
    with answering_server(fault=lambda prompt, attempt: "400") as server:
        run, report = live_gate(server, data, tmp_path, "-n", "2")
    assert server.requests() <= 6  # three per worker at most
    said = f"refused the first 3 prompts alike, so it would refuse every prompt: HTTP 400: {REFUSAL}"
    assert said in run.stdout
    assert "INTERNALERROR" not in run.stdout + run.stderr
    assert run.returncode != 0
    assert report is not None and report["gate"]["passed"] is False
    assert any(said in f for f in report["gate"]["failures"])
