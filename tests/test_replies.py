"""The small rules behind live runs, each checkable by hand: what counts as an answer, how
server errors read, model folders, endpoint names, option values, the repository."""

import json
from pathlib import Path

import pytest

from giebench_fixtures.asking.replies import (
    Answer,
    Fault,
    classify,
    retry_after_seconds,
    server_error,
)
from giebench_fixtures.data.repository import find_repository, require_repository
from giebench_fixtures.errors import GiebenchError, OptionError
from giebench_fixtures.judging.verdicts import answer_verdict
from giebench_fixtures.options import RunValues, check_base_url, check_run_values, masked, public_endpoint
from giebench_fixtures.recording.snapshots import model_dirname

from .helpers import ROOT


def _completion(**changes: object) -> bytes:
    reply: dict[str, object] = {
        "id": "x",
        "object": "chat.completion",
        "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "[[B]]"}}
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 3},
        "system_fingerprint": "fp_1",
    }
    reply.update(changes)
    return json.dumps(reply).encode()


def test_a_chat_completion_with_text_is_an_answer() -> None:
    assert classify(_completion(), "application/json") == Answer(
        text="[[B]]", finish_reason="stop", prompt_tokens=10, completion_tokens=3, system_fingerprint="fp_1"
    )


def test_an_empty_text_is_still_an_answer_and_counts_given_as_strings_are_read() -> None:
    empty = [{"finish_reason": "stop", "message": {"content": ""}}]
    answer = classify(_completion(choices=empty))
    assert isinstance(answer, Answer) and (answer.text, answer.finish_reason) == ("", "stop")
    usage = {
        "prompt_tokens": "12",
        "completion_tokens": "x",
        "completion_tokens_details": {"reasoning_tokens": 5},
    }
    answer = classify(_completion(usage=usage))
    assert isinstance(answer, Answer)
    assert (answer.prompt_tokens, answer.completion_tokens, answer.reasoning_tokens) == (12, 0, 5)


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"<html><title>502 Bad Gateway</title></html>", "text/html", "HTML page instead of a completion"),
        (b"upstream reset", "text/plain", "plain text instead of a completion: 'upstream reset'"),
        (b"[1, 2]", "application/json", "JSON list instead of a completion"),
        (b'data: {"choices": []}\n\n', "text/event-stream", "event stream instead of a completion"),
        (
            b'{"error": {"message": "overloaded"}}',
            "application/json",
            "error reply with HTTP 200: overloaded",
        ),
        (_completion(choices=[]), "", "completion without choices"),
        (_completion(choices=None), "", "completion without choices"),
        (_completion(choices=[{"finish_reason": "stop"}]), "", "completion without a message"),
        (_completion(choices=[{"message": {"content": 3}}]), "", "message content is number, not text"),
        (b'{"result": "[[A]]"}', "", "JSON object without 'choices' instead of a completion (keys: result)"),
        (b"", "", "empty reply instead of a completion"),
    ],
)
def test_anything_else_from_a_200_is_a_fault_with_a_reason(
    body: bytes, content_type: str, reason: str
) -> None:
    fault = classify(body, content_type)
    assert isinstance(fault, Fault)
    assert reason in fault.reason


def test_a_cut_off_or_filtered_answer_has_no_verdict() -> None:
    assert answer_verdict("I pick [[C]] because", "length") is None
    assert answer_verdict("[[C]]", "content_filter") is None
    assert answer_verdict("[[C]]", "stop") == "C"
    assert answer_verdict("[[C]]", None) == "C"
    cut = [{"finish_reason": "length", "message": {"content": None}}]
    answer = classify(_completion(choices=cut))
    assert isinstance(answer, Answer) and (answer.text, answer.finish_reason) == ("", "length")


def test_server_errors_keep_the_servers_words() -> None:
    error = {"message": "Unsupported parameter", "code": "unsupported_parameter", "param": "max_tokens"}
    openai_style = json.dumps({"error": error}).encode()
    assert server_error(openai_style).message == "Unsupported parameter"
    assert (server_error(openai_style).code, server_error(openai_style).param) == (
        "unsupported_parameter",
        "max_tokens",
    )
    assert server_error(b'{"detail": "Not Found"}').message == "Not Found"
    assert (
        server_error(b"<html><title>Bad Gateway</title></html>").message == "HTML page (title 'Bad Gateway')"
    )
    assert retry_after_seconds({"retry-after-ms": "250"}) == 0.25
    assert retry_after_seconds({"retry-after": "600"}) == 600


def test_model_folders_are_inside_distinct_and_bounded() -> None:
    names = ["gpt-4o-mini", "..", ".", "a/b", "a b", "a:b", "a_b", "x" * 300, "模型", "模型型", "../../etc"]
    folders = [model_dirname(n) for n in names]
    assert len(set(folders)) == len(names)
    assert model_dirname("gpt-4o-mini") == "gpt-4o-mini" and model_dirname("a_b") == "a_b"
    assert model_dirname("a/b").startswith("a_b-")
    for folder in folders:
        assert folder not in (".", "..") and "/" not in folder and not folder.startswith(".")
        assert len(folder) <= 75
        assert Path(folder).name == folder


def test_endpoints_are_named_without_credentials() -> None:
    assert public_endpoint("http://user:secret@127.0.0.1:8000/v1/?key=abc") == "http://127.0.0.1:8000/v1"
    assert public_endpoint("https://api.openai.com/v1/") == "https://api.openai.com/v1"
    assert public_endpoint("http://[::1]:8000/v1") == "http://[::1]:8000/v1"
    assert masked("http://user:secret@[::1") == "http://***@[::1"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"temperature": float("nan")}, "--temperature=nan: must be a number from 0 to 2"),
        ({"temperature": -0.5}, "--temperature=-0.5: must be a number from 0 to 2"),
        ({"max_tokens": 0}, "--max-tokens=0: must be a whole number of at least 1"),
        ({"concurrency": 0}, "--concurrency=0: must be a whole number from 1 to 1000"),
        ({"max_retries": -1}, "--max-retries=-1: must be a whole number from 0 to 100"),
        ({"request_timeout": 0.0}, "--request-timeout=0.0: must be a number of seconds greater than 0"),
        ({"request_timeout": float("inf")}, "--request-timeout=inf"),
        ({"base_url": "notaurl"}, "--base-url=notaurl: expected an http:// or https:// URL with a host"),
        ({"base_url": "http://[::1"}, "--base-url=http://[::1: not a valid URL"),
        ({"base_url": "http://u:pw@host:99999/v1"}, "--base-url=http://***@host:99999/v1: not a valid URL"),
    ],
)
def test_option_values_that_cannot_work_are_named(changes: dict[str, object], message: str) -> None:
    values = {
        "temperature": 0.0,
        "max_tokens": 1024,
        "concurrency": 32,
        "max_retries": 4,
        "request_timeout": 120.0,
        "base_url": None,
    }
    with pytest.raises(OptionError) as caught:
        check_run_values(RunValues(**{**values, **changes}))  # type: ignore[arg-type]
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_good_option_values_pass() -> None:
    check_run_values(RunValues(0.9, 512, 1, 0, 0.5, "http://localhost:11434/v1"))
    check_base_url("https://example.org/openai/v1")


def test_the_repository_is_found_from_where_the_user_is(tmp_path: Path) -> None:
    assert find_repository(ROOT / "tests_bench") == ROOT
    assert find_repository(ROOT / "giebench_fixtures") == ROOT
    assert find_repository(tmp_path) is None
    with pytest.raises(GiebenchError, match="giebench data render-sample needs a giebench checkout"):
        require_repository(tmp_path, "giebench data render-sample")
