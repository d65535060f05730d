"""The bundled sample is an instrument no blind reader can use: counterbalanced sets, every
cue and the answer-only model at chance, every identity covered, letters even."""

from __future__ import annotations

import re
import subprocess
from collections import Counter

from giebench_fixtures.data.items import LETTERS, Variant, swap_sets
from giebench_fixtures.data.loading import load_source

from .helpers import ROOT, run_cli

SAMPLE = ROOT / "data" / "sample"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args)


def test_every_cue_and_the_answer_only_model_stay_at_or_below_0_30_with_full_coverage() -> None:
    run = _cli("data", "audit", "sample", "--max-cue", "0.30")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr
    assert re.search(r"^counterbalance: (\d+) of \1 items \(100%\)", run.stdout, re.M), run.stdout[-1500:]
    model = re.search(
        r"cross-validation grouped by Raw prompt\): (\d\.\d\d); shuffled-key control", run.stdout
    )
    assert model is not None and float(model.group(1)) <= 0.30
    assert "every cue and the answer-only model at or below it" in run.stdout


def test_every_identity_has_five_items_and_the_letters_are_even_in_every_dimension() -> None:
    dataset = load_source(SAMPLE, source="sample")
    raw = dataset.items[Variant.RAW]
    per_identity = Counter((i.dimension, i.identity) for i in raw.values())
    assert len(per_identity) == 97
    assert min(per_identity.values()) >= 5, sorted(per_identity.items(), key=lambda kv: kv[1])[:5]
    for dimension in dataset.dimensions():
        letters = Counter(i.correct for i in raw.values() if i.dimension == dimension)
        shares = {k: letters[k] / sum(letters.values()) for k in LETTERS}
        assert all(0.20 <= s <= 0.30 for s in shares.values()), (dimension, shares)


def test_every_item_is_in_a_complete_set_whose_raw_prompts_are_identical() -> None:
    dataset = load_source(SAMPLE, source="sample")
    raw = dataset.items[Variant.RAW]
    sets = swap_sets(raw.values())
    assert sum(len(s) for s in sets) == len(raw)
    for group in sets:
        assert sorted(i.correct for i in group) == list(LETTERS), [i.key for i in group]
        assert len({i.prompt for i in group}) == 1, [i.key for i in group]


def test_stats_says_no_raw_prompt_names_its_items_identity() -> None:
    run = _cli("data", "stats", "sample")
    assert run.returncode == 0, run.stderr
    assert "Raw prompts that name their item's identity: 0" in run.stdout
    assert re.search(r"^\d+ items, 11 dimensions, 97 identities$", run.stdout, re.M)


def test_the_sample_readme_is_filled_in_and_counts_what_ships() -> None:
    text = (SAMPLE / "README.md").read_text(encoding="utf-8")
    assert re.findall(r"__[A-Z]+__", text) == []  # a skeleton's placeholders once shipped here
    dataset = load_source(SAMPLE, source="sample")
    raw = dataset.items[Variant.RAW]
    assert f"{len(swap_sets(raw.values()))} sets, {len(raw)} items" in text
