"""What a person reads about each reply, word for word: the faults, server errors and
redactions of ``asking.replies`` (each line here is checkable by hand)."""

from __future__ import annotations

import json

import pytest

from giebench_fixtures.asking.replies import (
    REDACTED,
    Answer,
    Fault,
    classify,
    redact,
    retry_after_seconds,
    secrets_of,
    server_error,
)

HTML = b"<html><head><title>502 Bad Gateway</title></head></html>"


def _json(value: object) -> bytes:
    return json.dumps(value).encode()


def _choice(**choice: object) -> bytes:
    return _json({"choices": [choice]})


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"  \n", "", "empty reply instead of a completion"),
        (
            b'{"a": 1}',
            "TEXT/EVENT-STREAM; charset=utf-8",
            "event stream instead of a completion (the endpoint streamed its answer)",
        ),
        (b"  data: {}", "", "event stream instead of a completion (the endpoint streamed its answer)"),
        (
            b"EVENT: x",
            "application/json",
            "event stream instead of a completion (the endpoint streamed its answer)",
        ),
        (HTML, "", "HTML page instead of a completion (title '502 Bad Gateway')"),
        (b"Bad Gateway", "Text/HTML; charset=utf-8", "HTML page instead of a completion"),
        (b"oops", "application/xhtml+xml", "HTML page instead of a completion"),
        (
            b"<TITLE a=1>Down\n  for   maintenance</TITLE>",
            "",
            "HTML page instead of a completion (title 'Down for maintenance')",
        ),
        (b"<html><title></title>", "", "HTML page instead of a completion"),
        (b"<html>" + b" " * 4000 + b"<title>late</title>", "", "HTML page instead of a completion"),
        (
            b"upstream connect error",
            "text/plain",
            "plain text instead of a completion: 'upstream connect error'",
        ),
        (b"x" * 100, "", f"plain text instead of a completion: '{'x' * 77}...'"),
        (b"[1]", "", "JSON list instead of a completion"),
        (b'"s"', "", "JSON string instead of a completion"),
        (b"3.5", "", "JSON number instead of a completion"),
        (b"true", "", "JSON boolean instead of a completion"),
        (b"null", "", "JSON null instead of a completion"),
        (_json({"error": {"message": "busy"}}), "", "error reply with HTTP 200: busy"),
        (_json({"error": "busy", "choices": []}), "", "error reply with HTTP 200: busy"),
        (_json({}), "", "JSON object without 'choices' instead of a completion (keys: none)"),
        (
            _json({k: 1 for k in "gfedcba"}),
            "",
            "JSON object without 'choices' instead of a completion (keys: a, b, c, d, e, f)",
        ),
        (_json({"choices": []}), "", "completion without choices"),
        (_json({"choices": {"0": {}}}), "", "completion whose 'choices' is a JSON object, not a list"),
        (_json({"choices": ["x"]}), "", "completion whose first choice is a JSON string, not an object"),
        (_choice(finish_reason="stop"), "", "completion without a message"),
        (_choice(message={"content": 5}), "", "completion whose message content is number, not text"),
        (_choice(message={"content": [1]}), "", "completion whose message content is list, not text"),
        (_choice(message={"content": {}}), "", "completion whose message content is object, not text"),
        (_choice(message={"content": True}), "", "completion whose message content is boolean, not text"),
    ],
)
def test_every_fault_says_what_came_instead(body: bytes, content_type: str, reason: str) -> None:
    assert classify(body, content_type) == Fault(reason)


def test_an_answer_keeps_exactly_what_the_endpoint_said() -> None:
    reply = _json(
        {
            "model": "gpt-4o-2024-08-06",
            "system_fingerprint": "fp_1",
            "choices": [{"message": {"content": "[[C]]"}, "finish_reason": "length"}],
            "usage": {
                "prompt_tokens": 3,
                "completion_tokens": 2,
                "completion_tokens_details": {"reasoning_tokens": 1},
            },
        }
    )
    assert classify(reply) == Answer("[[C]]", "length", 3, 2, 1, "fp_1", "gpt-4o-2024-08-06")
    odd = _json(
        {"model": 4, "system_fingerprint": 5, "choices": [{"message": {"content": ""}, "finish_reason": 7}]}
    )
    assert classify(odd) == Answer("")
    blank = _json({"model": "", "choices": [{"message": {"content": "x"}, "finish_reason": ""}]})
    assert classify(blank) == Answer("x")


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"", ("(empty body)", None, None)),
        (b"  ", ("(empty body)", None, None)),
        (HTML, ("HTML page (title '502 Bad Gateway')", None, None)),
        (b"  <p>down</p>", ("HTML page", None, None)),
        (b"gateway  timeout\n", ("'gateway timeout'", None, None)),
        (_json({"error": {"message": "bad", "code": 400, "param": 0}}), ("bad", "400", "0")),
        (_json({"error": {"message": "bad", "code": None}}), ("bad", None, None)),
        (_json({"detail": [{"loc": ["body"]}]}), ('[{"loc": ["body"]}]', None, None)),
        (_json({"detail": "  "}), ('" "', None, None)),
        (_json({"error": {"error": "nested"}}), ("nested", None, None)),
        (_json({"error": {"msg": "short"}}), ("short", None, None)),
        (_json({"error": {"message": ""}}), ('{"message": ""}', None, None)),
        (_json({"error": {}}), ("(no message)", None, None)),
        (_json({"error": "plain words"}), ("plain words", None, None)),
        (_json({"error": ""}), ("(no message)", None, None)),
        (_json({"error": 0}), ("0", None, None)),
        (_json({"error": None}), ("(no message)", None, None)),
        (_json([1, "two"]), ('[1, "two"]', None, None)),
    ],
)
def test_server_errors_read_as_a_person_would(body: bytes, error: tuple[str, str | None, str | None]) -> None:
    said = server_error(body)
    assert (said.message, said.code, said.param) == error


def test_long_messages_are_cut_to_one_line_of_300() -> None:
    said = server_error(_json({"error": {"message": "a" * 300}}))
    assert said.message == "a" * 300
    cut = server_error(_json({"error": {"message": "a" * 301}}))
    assert cut.message == "a" * 297 + "..."
    exact = classify(b"y" * 80, "text/plain")
    assert exact == Fault(f"plain text instead of a completion: '{'y' * 80}'")
    far = classify(b" " * 399 + b"z" + b"w" * 50, "text/plain")
    assert far == Fault("plain text instead of a completion: 'z'")


def test_secrets_are_the_key_and_url_credentials_longest_first() -> None:
    assert secrets_of(None, None) == ()
    assert secrets_of("abc", "http://u:p@h/v1") == ()  # all shorter than 4 characters
    assert secrets_of("abcd", None) == ("abcd",)
    assert secrets_of("sk-12345", "https://alice:pa%40ss@h/v1?key=k-999") == (
        "sk-12345",
        "pa%40ss",
        "alice",
        "k-999",
        "pa@ss",
    )
    assert secrets_of("key-1", "http://[::1") == ("key-1",)  # a URL that cannot be read adds nothing
    assert redact("the key sk-12345-long", ("sk-12345-long", "sk-12345")) == f"the key {REDACTED}"
    assert redact("no secret", ()) == "no secret"


def test_redaction_covers_every_text_a_reply_carries() -> None:
    secrets = ("sk-SECRET",)
    answer = classify(
        _json(
            {
                "model": "m-sk-SECRET",
                "system_fingerprint": "fp-sk-SECRET",
                "choices": [{"message": {"content": "sk-SECRET [[A]]"}, "finish_reason": "stop"}],
            }
        ),
        secrets=secrets,
    )
    assert answer == Answer(
        f"{REDACTED} [[A]]", "stop", system_fingerprint=f"fp-{REDACTED}", model=f"m-{REDACTED}"
    )
    plain = classify(b"a" * 70 + b" sk-SECRET", "text/plain", secrets)
    assert plain == Fault(f"plain text instead of a completion: '{'a' * 70} [redac...'")
    said = server_error(
        _json({"error": {"message": "k sk-SECRET", "code": "sk-SECRET", "param": "p"}}), secrets
    )
    assert (said.message, said.code, said.param) == (f"k {REDACTED}", REDACTED, "p")
    escaped = server_error(b'{"error": {"message": "k \\u0073k-SECRET"}}', secrets)
    assert escaped.message == f"k {REDACTED}"  # redacted again once the JSON is read


def test_retry_after_reads_milliseconds_before_seconds() -> None:
    assert retry_after_seconds({"retry-after-ms": "x", "retry-after": "2"}) == 2.0
    assert retry_after_seconds({}) is None
    assert retry_after_seconds({"retry-after": "0"}) == 0.0


def test_titles_are_read_from_the_first_4000_bytes_cut_to_80_and_any_bytes() -> None:
    head = b"<html><title>x</title>"
    late = b" " * (4000 - len(head)) + head
    assert classify(late[:4000]) == Fault("HTML page instead of a completion (title 'x')")
    assert classify(b" " + late[:4000]) == Fault("HTML page instead of a completion")  # ends at byte 4001
    long = classify(b"<title>" + b"t" * 100 + b"</title>")
    assert long == Fault(f"HTML page instead of a completion (title '{'t' * 77}...')")
    odd = classify(b"<title>caf\xe9 \xff down</title>")
    assert odd == Fault("HTML page instead of a completion (title 'caf\ufffd \ufffd down')")


def test_a_key_the_json_escapes_is_still_redacted_in_every_field() -> None:
    escaped = "\\u0073k-SECRET"
    body = (
        f'{{"model": "m-{escaped}", "system_fingerprint": "fp-{escaped}", '
        f'"choices": [{{"message": {{"content": "{escaped} [[A]]"}}, "finish_reason": "stop"}}]}}'
    ).encode()
    answer = classify(body, secrets=("sk-SECRET",))
    assert answer == Answer(
        f"{REDACTED} [[A]]", "stop", system_fingerprint=f"fp-{REDACTED}", model=f"m-{REDACTED}"
    )
    bare = classify(_choice(message={"content": "x"}, finish_reason="stop"), secrets=("sk-SECRET",))
    assert bare == Answer("x", "stop")


def test_a_fractional_token_count_rounds_down_to_zero() -> None:
    reply = classify(_json({"choices": [{"message": {"content": "x"}}], "usage": {"prompt_tokens": 0.6}}))
    assert isinstance(reply, Answer) and reply.prompt_tokens == 0
