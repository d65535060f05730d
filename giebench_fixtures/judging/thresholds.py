"""thresholds.toml: the bars a model must clear, with overrides, validated on load.

Precedence, most specific last (each layer overrides the one before):
``[defaults]`` < ``[circular]`` < ``[variant.V]`` < ``[circular.variant.V]`` < ``[dimension.D]``
< ``[dimension.D.variant.V]`` < ``[dimension.D.identity.I]`` < ``[dimension.D.identity.I.variant.V]``,
where the two ``circular`` layers apply to ``--circular`` runs only.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

from giebench_fixtures.data.items import DIMENSIONS, VARIANTS
from giebench_fixtures.errors import ThresholdsError

Judge = Literal["point", "interval"]
JUDGES = ("point", "interval")
Correction = Literal["holm", "bonferroni", "none"]
CORRECTIONS = ("holm", "bonferroni", "none")
# Raw states no identity: its accuracy and gap are the model's default alignment, reported
# without a bar unless a raw-specific table ([variant.raw], [dimension.D.variant.raw], ...) sets one.
RAW_UNGATED = {"min_accuracy": 0.0, "max_gap": 1.0}


@dataclass(frozen=True)
class Bars:
    """The resolved bars for one check's scope."""

    min_accuracy: float = 0.5
    accuracy_judge: Judge = "interval"
    min_items: int = 5
    max_gap: float = 0.5
    gap_judge: Judge = "interval"
    min_empathy: float = 0.0
    min_understanding: float = 0.0
    change_judge: Judge = "interval"
    confidence: float = 0.95
    multiple_checks: Correction = "holm"


# key -> (type, lowest, highest); bounds inclusive.
_RULES: dict[str, tuple[type, float, float]] = {
    "min_accuracy": (float, 0.0, 1.0),
    "min_items": (int, 0, 1_000_000),
    "max_gap": (float, 0.0, 1.0),
    "min_empathy": (float, -1.0, 1.0),
    "min_understanding": (float, -1.0, 1.0),
    "confidence": (float, 0.5, 0.9999),
}
_JUDGE_KEYS = ("accuracy_judge", "gap_judge", "change_judge")
_CHOICES: dict[str, tuple[str, ...]] = {**{k: JUDGES for k in _JUDGE_KEYS}, "multiple_checks": CORRECTIONS}
assert set(_RULES) | set(_CHOICES) == {f.name for f in fields(Bars)}


@dataclass(frozen=True)
class Thresholds:
    """All layers of a thresholds file; ask it for the bars of a scope."""

    path: Path | None
    defaults: Mapping[str, Any]
    variants: Mapping[str, Mapping[str, Any]]
    dimensions: Mapping[str, Mapping[str, Any]]
    circular: Mapping[str, Any] = field(default_factory=dict)

    def bars(
        self,
        dimension: str,
        identity: str | None = None,
        variant: str | None = None,
        *,
        circular: bool = False,
    ) -> Bars:
        dim = self.dimensions.get(dimension, {})
        ident = dim.get("identity", {}).get(identity, {}) if identity else {}
        rotated = self.circular if circular else {}
        layers = [
            self.defaults,
            rotated,
            self.variants.get(variant, {}) if variant else {},
            rotated.get("variant", {}).get(variant, {}) if variant else {},
            dim,
            dim.get("variant", {}).get(variant, {}) if variant else {},
            ident,
            ident.get("variant", {}).get(variant, {}) if variant else {},
        ]
        merged: dict[str, Any] = {}
        for layer in layers:
            merged.update((k, v) for k, v in layer.items() if k not in ("variant", "identity"))
        if variant == "raw":
            own: dict[str, Any] = {}
            for layer in layers[2:4] + layers[5:8:2]:
                own.update((k, v) for k, v in layer.items() if k in RAW_UNGATED)
            merged.update({**RAW_UNGATED, **own})
        floats = {k: float(v) for k, v in merged.items() if k in _RULES and _RULES[k][0] is float}
        return replace(Bars(), **{**merged, **floats})


def unmatched_identities(thresholds: Thresholds, identities: Mapping[str, list[str]]) -> list[str]:
    """Warnings for identity overrides that name no identity of the data (a typo, or
    thresholds written for another data source)."""
    return [
        f"{thresholds.path}: [dimension.{dim}.identity.{name}] matches no {dim} identity in the data"
        for dim, table in thresholds.dimensions.items()
        for name in table.get("identity", {})
        if name not in identities.get(dim, [])
    ]


# Keys that set the family's level and correction: one per run, never per scope.
RUN_WIDE = ("confidence", "multiple_checks")


def load_thresholds(path: Path, *, dimensions: tuple[str, ...] = DIMENSIONS) -> Thresholds:
    """Read and validate a thresholds file; raise ThresholdsError naming the key and its line."""
    if not path.exists():
        raise ThresholdsError(f"{path}: thresholds file not found (pass --thresholds PATH)")
    text = path.read_text(encoding="utf-8")
    try:
        config = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ThresholdsError(f"{path}: not valid TOML: {exc}") from None
    checker = _Checker(path, text)
    for key in config:
        if key not in ("defaults", "circular", "variant", "dimension"):
            checker.fail(
                key, "unknown section; expected [defaults], [circular], [variant.V] or [dimension.D]"
            )
    defaults = checker.leaves(config.get("defaults", {}), "defaults")
    rotated = checker.table(config.get("circular", {}), "circular")
    circular = {
        **checker.leaves(rotated, "circular", allowed=("variant",)),
        "variant": checker.variants(rotated.get("variant", {}), "circular.variant"),
    }
    variants = checker.variants(config.get("variant", {}), "variant")
    dims: dict[str, Any] = {}
    for dim, table in checker.table(config.get("dimension", {}), "dimension").items():
        if dim not in dimensions:
            close = difflib.get_close_matches(dim, dimensions, n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            checker.fail(f"dimension.{dim}", f"unknown dimension; {hint}known: {', '.join(dimensions)}")
        where = f"dimension.{dim}"
        dims[dim] = checker.leaves(table, where, allowed=("variant", "identity"))
        dims[dim]["variant"] = checker.variants(table.get("variant", {}), f"{where}.variant")
        idents = checker.table(table.get("identity", {}), f"{where}.identity")
        dims[dim]["identity"] = {
            name: {
                **checker.leaves(t, f"{where}.identity.{name}", allowed=("variant",)),
                "variant": checker.variants(t.get("variant", {}), f"{where}.identity.{name}.variant"),
            }
            for name, t in idents.items()
        }
    return Thresholds(path, defaults, variants, dims, circular)


class _Checker:
    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()

    def fail(self, dotted: str, why: str) -> None:
        line = self._line_of(dotted.rsplit(".", 1)[-1])
        where = f" (line {line})" if line else ""
        raise ThresholdsError(f"{self.path}{where}: {dotted}: {why}")

    def _line_of(self, name: str) -> int | None:
        pattern = re.compile(rf'(^\s*"?{re.escape(name)}"?\s*=)|(^\s*\[.*\b{re.escape(name)}"?\]\s*$)')
        for number, line in enumerate(self.lines, start=1):
            if pattern.search(line):
                return number
        return None

    def table(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(where, f"expected a table, found {type(value).__name__}")
        return dict(value)

    def variants(self, value: Any, where: str) -> dict[str, Any]:
        out = {}
        for name, table in self.table(value, where).items():
            if name not in {v.value for v in VARIANTS}:
                self.fail(f"{where}.{name}", "unknown variant; expected raw, id or cot")
            out[name] = self.leaves(table, f"{where}.{name}")
        return out

    def leaves(self, value: Any, where: str, allowed: tuple[str, ...] = ()) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, item in self.table(value, where).items():
            if key in allowed:
                continue
            dotted = f"{where}.{key}"
            if key in RUN_WIDE and where not in ("defaults", "circular"):
                # one family, one level: set here it would be read nowhere, silently
                self.fail(dotted, "applies to the whole run; set it in [defaults] (or [circular])")
            if key in _CHOICES:
                if item not in _CHOICES[key]:
                    choices = " or ".join(f'"{c}"' for c in _CHOICES[key])
                    self.fail(dotted, f"must be {choices}, not {item!r}")
            elif key in _RULES:
                kind, low, high = _RULES[key]
                ok_type = isinstance(item, (int, float)) if kind is float else isinstance(item, int)
                if isinstance(item, bool) or not ok_type:
                    self.fail(dotted, f"must be a {kind.__name__}, not {item!r}")
                if not low <= item <= high:
                    self.fail(dotted, f"{item!r} is out of range; allowed {low} to {high}")
            else:
                known = sorted([*_RULES, *_CHOICES, *allowed])
                close = difflib.get_close_matches(key, known, n=1)
                hint = f"did you mean {close[0]}? " if close else ""
                self.fail(dotted, f"unknown key; {hint}known keys: {', '.join(known)}")
            out[key] = item
        return out
