"""Pins for rules no other test held: replies the endpoint mangles, refusals, circular folding."""

from __future__ import annotations

import email.utils
import json
import time

from giebench_fixtures.asking.replies import Answer, Fault, classify, retry_after_seconds, server_error
from giebench_fixtures.judging import circular
from giebench_fixtures.judging.gate import Bars, measure_accuracy, plan_accuracy
from giebench_fixtures.judging.metrics import Outcome


def _reply(message: dict[str, object], **extra: object) -> bytes:
    return json.dumps({"choices": [{"message": message, "finish_reason": "stop"}], **extra}).encode()


def _outcome(key: str, verdict: str | None, *, error: str | None = None, refused: bool = False) -> Outcome:
    return Outcome(key, "id", "Gender", "Female", "A", verdict, "text", error=error, refused=refused)


def test_a_refused_prompt_is_never_called_a_rerun_away() -> None:
    outcomes = [_outcome(f"k{i}", "A") for i in range(5)]
    refused = _outcome("r", None, error="HTTP 400: too long (1 attempt)", refused=True)
    planned = plan_accuracy("Gender / Female / id", 6, Bars(), raw=False, chance=0.25)
    verdict = measure_accuracy(planned, [*outcomes, refused])
    assert (
        verdict.broken
        == "1 item(s) not evaluated: 1 refused by the endpoint (HTTP 400: too long (1 attempt))"
    )
    failed = _outcome("f", None, error="HTTP 500 (5 attempts)")
    both = measure_accuracy(planned, [*outcomes, refused, failed])
    assert both.broken is not None
    assert both.broken.startswith("2 item(s) not evaluated: 1 failed after retries; rerun to fill them in")


def test_a_null_content_stop_reply_is_a_fault_to_retry_not_an_empty_answer() -> None:
    reply = classify(_reply({"role": "assistant", "content": None}))
    assert reply == Fault("completion whose message content is null, not text")
    cut = json.dumps({"choices": [{"message": {"content": None}, "finish_reason": "length"}]}).encode()
    assert classify(cut) == Answer(text="", finish_reason="length")


def test_malformed_usage_and_float_counts_never_cost_the_answer() -> None:
    for usage in ([1, 2], "12", None, {"prompt_tokens": [3], "completion_tokens": {"n": 1}}, 7):
        reply = classify(_reply({"content": "[[B]]"}, usage=usage))
        assert reply == Answer(text="[[B]]", finish_reason="stop")
    counted = classify(
        _reply(
            {"content": "[[B]]"},
            usage={
                "prompt_tokens": 12.0,
                "completion_tokens": " 7 ",
                "completion_tokens_details": {"reasoning_tokens": 3.9},
            },
        )
    )
    assert isinstance(counted, Answer)
    assert (counted.prompt_tokens, counted.completion_tokens, counted.reasoning_tokens) == (12, 7, 3)
    odd = classify(_reply({"content": "x"}, usage={"prompt_tokens": float("nan"), "completion_tokens": -4}))
    assert isinstance(odd, Answer) and (odd.prompt_tokens, odd.completion_tokens) == (0, 0)
    assert classify(_reply({"content": "x"}, usage={"prompt_tokens": True})) == Answer("x", "stop")


def test_bodies_that_are_not_utf8_are_read_as_text_faults() -> None:
    fault = classify(b"\xff\xfe upstream \x80 broke", "text/plain")
    assert isinstance(fault, Fault) and fault.reason.startswith("plain text instead of a completion: ")
    assert "upstream" in fault.reason
    assert "upstream" in server_error(b"\xff upstream \x80 broke").message


def test_retry_after_as_an_http_date_is_seconds_from_now() -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    wait = retry_after_seconds({"retry-after": when})
    assert wait is not None and 25 <= wait <= 31
    assert retry_after_seconds({"retry-after": "not a date"}) is None
    assert retry_after_seconds({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert retry_after_seconds({"retry-after": "inf"}) is None


def _turns(letters: list[str | None], correct: str = "A") -> list[Outcome]:
    """The four rotations' outcomes, each verdict given in the *original* letters."""
    shown = []
    for r, letter in enumerate(letters):
        moved = None if letter is None else "ABCD"[("ABCD".index(letter) + r) % 4]
        shown.append(Outcome(f"k{circular.MARK}{r}", "id", "Gender", "Female", correct, moved, "t"))
    return shown


def test_circular_consistency_never_counts_two_different_answers() -> None:
    same = circular.fold(_turns(["B", "B", "B", "B"]))
    split = circular.fold(_turns(["B", "B", "B", "C"]))
    none = circular.fold(_turns([None, None, None, None]))
    summary = circular.summary([*same, *split, *none])["id"]
    assert summary["consistency"] == round(1 / 3, 6)
    assert summary["circular_accuracy"] == 0.0
    assert circular.summary(circular.fold(_turns(["A", "A", "A", "A"])))["id"]["circular_accuracy"] == 1.0


def test_circular_rows_without_a_rotation_or_a_verdict_are_folded() -> None:
    turns = _turns(["A", "A", "A", "A"])[1:]  # rotation 0 never came back
    (folded,) = circular.fold(turns)
    assert folded.key == "k" and not folded.evaluated
    assert folded.error == "rotation 0: not asked"
    assert folded.rotations == (None, "A", "A", "A")
    (silent,) = circular.fold(_turns([None, "A", "A", "A"]))
    assert silent.evaluated and not silent.right
