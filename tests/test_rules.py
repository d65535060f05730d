"""The gate's rules on small tables a reader can check by hand: at, just above and just below
each bar, in point and interval mode. Each test names the mistake it would catch."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from giebench_fixtures.asking.cache import ResponseCache, cache_key
from giebench_fixtures.asking.completion import Completion, Sampling
from giebench_fixtures.asking.models import make_model
from giebench_fixtures.asking.runner import Accounting, request_all
from giebench_fixtures.judging.metrics import Outcome, paired_change
from giebench_fixtures.judging.stats import wilson_interval
from giebench_fixtures.reports.report import table_rows, terminal_lines
from tests.loopback import LoopbackServer, letter_answerer


def items(right: int, n: int, *, identity: str = "Female", variant: str = "id") -> list[Outcome]:
    """n outcomes of one identity, the first ``right`` of them answered correctly (A)."""
    return [
        Outcome(f"{identity}-{i}", variant, "Gender", identity, "A", "A" if i < right else "B", "")
        for i in range(n)
    ]


# --- accuracy ------------------------------------------------------------------------------


def test_wilson_upper_bounds_used_below_by_hand() -> None:
    # 95%, n = 10: 1/10 -> upper 0.404, 2/10 -> upper 0.510 (Wilson, z = 1.96)
    assert round(wilson_interval(1, 10)[1], 3) == 0.404
    assert round(wilson_interval(2, 10)[1], 3) == 0.510


# --- gap -----------------------------------------------------------------------------------


# --- paired change -------------------------------------------------------------------------


def raw_and_id(raw_right: range, id_right: range, n: int = 10) -> tuple[list[Outcome], list[Outcome]]:
    def one(variant: str, right: range) -> list[Outcome]:
        return [
            Outcome(f"k{i}", variant, "Gender", "Female", "A", "A" if i in right else "B", "")
            for i in range(n)
        ]

    return one("raw", raw_right), one("id", id_right)


def test_paired_change_counts_flips_by_hand() -> None:
    # Raw right on items 0-5, ID right on items 2-9: gained 6, 7, 8, 9; lost 0, 1.
    raw, ident = raw_and_id(range(0, 6), range(2, 10))
    change = paired_change(raw, ident)
    assert (change.gained, change.lost, change.n) == (4, 2, 10)
    assert change.flips == "+4/-2"
    assert change.change == pytest.approx(0.2)
    assert (change.base, change.other) == ("raw", "id")


# --- what is kept and what is printed ------------------------------------------------------


def test_the_cache_key_holds_the_model_and_the_sampling_settings() -> None:
    base = cache_key("m1", Sampling(), "prompt")
    assert base == cache_key("m1", Sampling(), "prompt")
    assert base != cache_key("m2", Sampling(), "prompt")
    assert base != cache_key("m1", Sampling(temperature=0.9), "prompt")
    assert base != cache_key("m1", Sampling(max_tokens=10), "prompt")
    assert base != cache_key("m1", Sampling(seed=1), "prompt")
    assert base != cache_key("m1", Sampling(), "prompt 2")


def test_a_failed_response_is_never_cached_as_an_answer(tmp_path: Path) -> None:
    with LoopbackServer(
        answer=letter_answerer(lambda p: "A"), fault=lambda p, attempt: "500" if "bad" in p else None
    ) as server:
        model = make_model("judge-1", base_url=server.url, sampling=Sampling(), max_retries=0, timeout=10)
        cache = ResponseCache(tmp_path / "responses.sqlite3")
        keys = {"good-key": "a good prompt", "bad-key": "a bad prompt"}

        async def ask() -> tuple[dict[str, Completion], Accounting]:
            try:
                return await request_all(model, keys, concurrency=2, cache=cache)
            finally:
                await model.close()

        answers, accounting = asyncio.run(ask())
    assert answers["bad-key"].error is not None and accounting.failed == 1
    assert set(cache.get_many(keys)) == {"good-key"}
    assert set(cache.failures(keys)) == {"bad-key"}
    cache.close()


def _report(failed: int = 0) -> dict[str, object]:
    summary = {
        "raw": {
            "overall": {"n": 2, "correct": 1, "accuracy": 0.5},
            "letters": {"verdicts": {"A": 2}, "correct": {"A": 1, "B": 1}},
            "dimensions": {"Gender": {"n": 2, "correct": 1, "accuracy": 0.5, "identities": {}}},
        }
    }
    return {
        "model": "m",
        "dataset": {"source": "sample", "items": 2, "note": "n"},
        "responses_from": "m",
        "results": [],
        "summary": summary,
        "comparisons": {},
        "gate": {"passed": True, "failures": [], "judged": 3, "reported_only": 2, "checks": []},
        "accounting": {"failed": failed, "requests": 2, "retries": 0, "from_cache": 0},
    }


def test_the_table_prints_percentages() -> None:
    header, rows = table_rows(_report())
    assert header == ["dimension", "RAW"]
    assert rows == [["Gender", "50.0%"], ["Overall", "50.0%"]]


def test_the_summary_counts_items_not_evaluated_and_checks_judged() -> None:
    lines = terminal_lines(_report(failed=3))
    assert any(line.startswith("0 results, 0 without a verdict, 3 not evaluated;") for line in lines)
    assert "3 checks judged, 2 reported only" in lines
    assert lines[-1] == "gate: PASSED"
