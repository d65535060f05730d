"""The model that answered is recorded and a different one is a warning; a replay says which
sampling settings it could not apply and reports the recording's."""

from __future__ import annotations

import json
from pathlib import Path

from giebench_fixtures.asking.replies import served_differs
from tests.loopback import LoopbackServer, letter_answerer

from .conftest import SNAPSHOTS
from .helpers import invented_items, run_pytest, write_source
from .live_helpers import replay_offline


def test_the_served_model_is_recorded_and_a_replay_keeps_its_sampling(model: str, tmp_path: Path) -> None:
    data = write_source(tmp_path / "data", invented_items({"Gender": ["Female", "Male"]}))
    server = LoopbackServer(answer=letter_answerer(lambda p: "B"), served_model="SmolLM2-135M-Instruct")
    with server:
        run = run_pytest(
            [
                "tests_bench",
                f"--model={model}",
                f"--base-url={server.url}",
                f"--data={data}",
                "--snapshot-update",
                f"--giebench-report={tmp_path / 'live.json'}",
            ],
            env={"GIEBENCH_CACHE_DIR": str(tmp_path / "cache")},
        )
    live = json.loads((tmp_path / "live.json").read_text())
    assert live["model_settings"]["served"] == ["SmolLM2-135M-Instruct"]
    assert f"--model={model} was answered by SmolLM2-135M-Instruct" in run.stdout
    assert any("answered by SmolLM2" in w for w in live["warnings"])
    recording = json.loads(next((SNAPSHOTS / model).rglob("*.json")).read_text())
    assert recording["meta"]["served_model"] == "SmolLM2-135M-Instruct"

    replay = replay_offline(
        model,
        data,
        tmp_path,
        "--temperature=0.7",
        "--max-tokens=50",
        f"--giebench-report={tmp_path / 'r.json'}",
    )
    lines = [line for line in replay.stdout.splitlines() if "was not applied" in line]
    assert len(lines) == 1, replay.stdout[-3000:]
    assert "temperature=0.0, max_tokens=1024; --temperature=0.7, --max-tokens=50 was not applied" in lines[0]
    replayed = json.loads((tmp_path / "r.json").read_text())
    assert replayed["model_settings"]["sampling"]["temperature"] == 0.0
    assert replayed["model_settings"]["sampling"]["max_tokens"] == 1024
    assert replayed["model_settings"]["sampling_asked"]["temperature"] == 0.7
    assert replayed["model_settings"]["served"] == ["SmolLM2-135M-Instruct"]
    assert replayed["accounting"]["requests"] == 0


def test_a_dated_suffix_is_the_same_model_anything_else_is_not() -> None:
    assert not served_differs("gpt-4o", "gpt-4o-2024-08-06")
    assert not served_differs("gpt-4", "gpt-4-0613")
    assert not served_differs("gpt-4o-2024-08-06", "gpt-4o")
    assert not served_differs("GPT-4o", "gpt-4o")
    assert not served_differs("gpt-4o", None)
    assert served_differs("gpt-4o", "gpt-4o-mini")
    assert served_differs("gpt-4o-mini", "SmolLM2-135M-Instruct")
    assert served_differs("gpt-4o-mini", "gpt-4o-mini-tts")
