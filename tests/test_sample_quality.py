"""The bundled sample measures empathy, not surface cues: no answer-only shortcut solves it.

Runs ``giebench data audit``'s cues on the sample's Raw prompts, as the gate reads them.
"""

from __future__ import annotations

from fractions import Fraction

from giebench_fixtures.data import audit, cues
from giebench_fixtures.data.loading import load_source

from .helpers import ROOT

# The bar for every cue's overall accuracy. Chance is 0.25; on about 500 items one cue's
# accuracy at chance has a standard deviation near 0.02, so 0.30 sits 2.5 of them above
# chance: an honest sample stays below it across twenty-odd cues, while any cue that helps a
# judge even a little (the old sample's Yes/No opener: 0.66) is well above.
MAX_CUE = Fraction("0.30")


def test_no_shortcut_cue_solves_more_than_max_cue_of_the_sample() -> None:
    dataset = load_source(ROOT / "data" / "sample", source="sample")
    picked = cues.cues_for([*cues.KNOWN_IDENTITIES, *audit.identities_of(dataset)])

    results = audit.audit(audit.items_of(dataset), picked)

    above = [f"{r.cue.name} {r.accuracy:.2f} ({r.cue.picks})" for r in audit.cues_above(results, MAX_CUE)]
    assert above == [], f"cues above {float(MAX_CUE):.2f} on the sample; see: giebench data audit sample"
