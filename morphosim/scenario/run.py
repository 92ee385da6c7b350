"""Run a checked scenario into its store: what `morphosim run` does (built on Simulation.run).

The output path is claimed before anything is built, so bad input, and an output path that
would be refused, write nothing and touch nothing (morphosim.io.outputs).
"""

from __future__ import annotations

from pathlib import Path

from morphosim.console import stop_if_interrupted
from morphosim.errors import InputError
from morphosim.io import claim_store, is_store
from morphosim.io.parallel import on_root, world

from . import resolve_output
from .build import build_simulation


def run_scenario(scenario: dict, *, resume: bool = False, overwrite: bool = False, progress: bool = True) -> Path:
    """Run (or continue) a checked scenario; returns the store path. An existing output path is
    refused unless it is a morphosim store and `overwrite` (replace it) or `resume` (continue it)
    is given. Raises SimulationFailure when the run breaks down (frames recorded so far stay in
    the store)."""
    path = resolve_output(scenario)

    def check_output() -> None:
        if resume:
            if not is_store(path):
                raise InputError(f"{path}: no run store to resume (run without --resume first)")
        else:
            claim_store(path, overwrite=overwrite, keep=(Path(scenario["_source"]["file"]),))

    on_root(world(), check_output)   # under MPI rank 0 alone looks, every rank hears its answer
    sim = build_simulation(scenario)
    stop_if_interrupted()   # before the store is begun
    return sim.run(store=path, progress=progress, resume=resume, overwrite=overwrite)
