"""What an xdist worker hands the controller survives the trip through JSON whole."""

from __future__ import annotations

from giebench_fixtures.asking.runner import Accounting
from giebench_fixtures.handover import Handover
from giebench_fixtures.judging.metrics import Outcome
from giebench_fixtures.session import RequestFacts


def test_a_workers_handover_reads_back_as_it_was_sent() -> None:
    sent = Handover(
        outcomes=[
            Outcome("k1", "id", "Gender", "Female", "B", "B", "Answer: B", finish_reason="stop"),
            Outcome("k2", "cot", "Gender", "Male", "C", None, None, error="timed out"),
            Outcome("k3", "id", "Age", "Young People", "A", "A", "A", rotations=("A", "A", None, "A")),
            Outcome("k4", "raw", "Age", "Elderly", "D", None, None, error="refused", refused=True),
        ],
        accounting=Accounting(requests=7, retries=2, from_cache=1, prompt_tokens=900, seconds=1.5),
        requests=RequestFacts(notes=["a note"], served=["smollm2"]),
        fatal=None,
        gate_figures={"family_size": 3, "correction": "holm"},
    )
    received = Handover.from_json(sent.to_json())
    assert received == sent
    assert received.outcomes[2].rotations == ("A", "A", None, "A")  # a tuple again, not a list
    assert not received.outcomes[1].evaluated and received.outcomes[3].refused
