"""How long `giebench plan` and the power levels take on 20,000 items (issue 17, item 9).

    PYTHONPATH=. python bench/plan_speed.py [ITEMS]

Builds an in-memory dataset of ITEMS items (default 20,000) over the eleven dimensions and 97
identities, then times the whole plan and reports the peak memory (tracemalloc). A measurement,
not a test: nothing here asserts a time.
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from pathlib import Path

from giebench_fixtures.data.items import LETTERS, Dataset, Item, Variant
from giebench_fixtures.judging.thresholds import load_thresholds
from giebench_fixtures.reports.plan import plan_lines

IDENTITIES = {
    "Country": 41, "Orientation": 1, "Age": 3, "Gender": 2, "Personality": 8, "Skin": 4,
    "Faith": 10, "Education": 4, "Economy": 3, "Party": 6, "Occupation": 15,
}  # fmt: skip


def dataset(total: int) -> Dataset:
    slots = [(dim, f"{dim} {i}") for dim, k in IDENTITIES.items() for i in range(k)]
    items: dict[Variant, dict[str, Item]] = {v: {} for v in Variant}
    for n in range(total):
        dim, ident = slots[n % len(slots)]
        for v in Variant:
            items[v][f"k{n}"] = Item(
                f"k{n}", v, dim, ident, f"prompt {n} {v}", LETTERS[n % 4], f"q{n}", ("", "", "", "")
            )
    return Dataset("bench", Path("bench"), items)


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    data = dataset(total)
    bars = load_thresholds(Path(__file__).resolve().parent.parent / "thresholds.toml")
    for circular in (False, True):
        tracemalloc.start()
        start = time.perf_counter()
        lines = plan_lines(data, bars, list(Variant), circular=circular)
        took = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        print(f"plan{' --circular' if circular else ''} on {total} items: {took:.2f} s, peak {peak:.1f} MB")
        print("  " + lines[0] + "\n  " + lines[1])


if __name__ == "__main__":
    main()
