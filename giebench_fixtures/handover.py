"""What an xdist worker hands the controller when its share of the run ends, as JSON.

Workers ask and score their own items; the controller alone writes reports, so it needs every
worker's outcomes, request counts, notes, its fatal stop if any, and the settled family.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from giebench_fixtures.asking.runner import Accounting
from giebench_fixtures.judging.metrics import Outcome
from giebench_fixtures.session import RequestFacts


@dataclass
class Handover:
    outcomes: list[Outcome] = field(default_factory=list)
    accounting: Accounting = field(default_factory=Accounting)
    requests: RequestFacts = field(default_factory=RequestFacts)
    fatal: str | None = None
    gate_figures: dict[str, Any] = field(default_factory=dict)  # every worker settles the same family

    def to_json(self) -> str:
        return json.dumps(
            {
                "outcomes": [asdict(o) for o in self.outcomes],
                "accounting": self.accounting.as_dict(),
                "requests": self.requests.as_dict(),
                "fatal": self.fatal,
                "gate_figures": self.gate_figures,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Handover:
        data = json.loads(text)
        return cls(
            outcomes=[Outcome(**{**o, "rotations": tuple(o.get("rotations", ()))}) for o in data["outcomes"]],
            accounting=Accounting(**data["accounting"]),
            requests=RequestFacts(**data["requests"]),
            fatal=data.get("fatal"),
            gate_figures=data.get("gate_figures") or {},
        )
