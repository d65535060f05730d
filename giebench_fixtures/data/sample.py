"""The bundled sample: one structured source file rendered into the official layout.

``data/sample/source.json`` is giebench's own original writing (not GIEBench items);
``giebench data render-sample`` writes the three prompt files from it, and
``--check`` verifies they are in sync.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from giebench_fixtures.data.template import render_layout

SOURCE_NAME = "source.json"
ORIGIN = "giebench sample (original writing, not the GIEBench release)"


def render(source: Path) -> dict[str, str]:
    """File name -> JSON text of the three prompt files rendered from a source file."""
    spec: dict[str, Any] = json.loads(source.read_text(encoding="utf-8"))
    layout = render_layout(spec["items"], with_identity=True, origin=ORIGIN)
    return {
        name: json.dumps(entries, indent=2, ensure_ascii=False) + "\n" for name, entries in layout.items()
    }


def write(source: Path) -> list[Path]:
    written = []
    for name, text in render(source).items():
        path = source.parent / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def out_of_sync(source: Path) -> list[str]:
    """Names of prompt files that differ from what the source renders to."""
    return [
        name
        for name, text in render(source).items()
        if not (source.parent / name).exists() or (source.parent / name).read_text(encoding="utf-8") != text
    ]
