"""Run a scenario: build the simulation, step it, record frames and checkpoints in the store.

The store is created only after the scenario and its model passed every check and the
simulation was built, so bad input writes nothing. Each recorded frame is followed by a
checkpoint; `resume` continues from the last one and repeats the uninterrupted run bit for bit.
"""

from __future__ import annotations

import importlib.metadata
import platform
import signal
import sys
import threading
import time as clock
from pathlib import Path

import numpy as np

from morphosim.coupling.simulation import Simulation
from morphosim.errors import InputError
from morphosim.io import StoreWriter, claim_store, is_store

from . import resolve_output
from .build import build_simulation

VERSIONED = ("numpy", "numba", "fenics-dolfinx", "dolfinx-solver-real", "libroadrunner", "zarr")


def _versions() -> dict[str, str]:
    import morphosim

    found = {"morphosim": morphosim.__version__, "python": platform.python_version()}
    for package in VERSIONED:
        try:
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            pass
    return found


class Progress:
    """One status line on stderr: simulated time, steps/s, ETA, cell count."""

    def __init__(self, total_steps: int, enabled: bool):
        self.total, self.enabled = total_steps, enabled
        self.started = clock.perf_counter()
        self.first_step = None

    def update(self, step: int, sim_time: float, n_cells: int) -> None:
        if not self.enabled:
            return
        if self.first_step is None:
            self.first_step, self.started = step, clock.perf_counter()
            return
        elapsed = clock.perf_counter() - self.started
        rate = (step - self.first_step) / elapsed if elapsed > 0 else 0.0
        eta = (self.total - step) / rate if rate > 0 else float("inf")
        width = 24
        filled = int(width * step / max(self.total, 1))
        print(f"\r[{'#' * filled}{'.' * (width - filled)}] t = {sim_time:.4g}  {rate:.1f} steps/s  "
              f"ETA {eta:.0f} s  {n_cells} cells ", end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.enabled:
            print(file=sys.stderr)


class StopOnInterrupt:
    """Ctrl-C (SIGINT) ends the run between two steps, never inside a solver or a store write;
    a second Ctrl-C interrupts at once."""

    def __enter__(self):
        self.requested = False
        self.previous = None
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc):
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
        return False


def _write_checkpoint(writer: StoreWriter, sim: Simulation, frame: int) -> None:
    """Write the state into the checkpoint slot not in use, then point the attributes at it, so a
    crash mid-write leaves the previous checkpoint valid."""
    current = writer.root.attrs["morphosim"].get("checkpoint", {}).get("slot", 1)
    slot = 1 - current
    for name, values in sim.state().items():
        key = f"checkpoint/{slot}/{name}"
        array = writer.root.create_array(key, shape=values.shape, dtype=values.dtype, overwrite=True)
        if values.size:
            array[...] = values
    writer.set_attribute("checkpoint", {"slot": slot, "frame": frame, "step": sim.step_index})


def _read_checkpoint(writer: StoreWriter) -> tuple[dict[str, np.ndarray], dict]:
    info = writer.root.attrs["morphosim"].get("checkpoint")
    if info is None:
        raise InputError(f"{writer.path}: the store has no checkpoint to resume from")
    group = writer.root[f"checkpoint/{info['slot']}"]
    state = {}

    def collect(node, prefix):
        for name, array in node.arrays():
            state[prefix + name] = array[...]
        for name, child in node.groups():
            collect(child, f"{prefix}{name}/")

    collect(group, "")
    return state, info


def run_scenario(scenario: dict, *, resume: bool = False, overwrite: bool = False, progress: bool = True) -> Path:
    """Run (or continue) a checked scenario; returns the store path. An existing output path is
    refused unless it is a morphosim store and `overwrite` (replace it) or `resume` (continue it)
    is given. Raises SimulationFailure when the run breaks down (frames recorded so far stay in
    the store)."""
    path = resolve_output(scenario)
    if resume:
        if not is_store(path):
            raise InputError(f"{path}: no run store to resume (run without --resume first)")
    else:
        clear_old_store = claim_store(path, overwrite=overwrite, keep=(Path(scenario["_source"]["file"]),))
    sim = build_simulation(scenario)
    timing = scenario["time"]
    dt, end = timing["dt"], timing["end"]
    n_steps = int(round(end / dt))
    stride = max(1, int(round(timing.get("record_every", dt) / dt)))
    public = {key: value for key, value in scenario.items() if not key.startswith("_")}

    if resume:
        writer = StoreWriter(path, resume=True)
        state, info = _read_checkpoint(writer)
        sim.load_state(state, dt)
        writer.truncate(info["frame"] + 1)   # frames after the checkpoint are recomputed
    else:
        clear_old_store()
        path.parent.mkdir(parents=True, exist_ok=True)
        sheet = sim.sheet
        writer = StoreWriter(path, {"scenario": public, "seed": scenario["seed"], "units": scenario["units"],
                                    "versions": _versions(), "dt": dt,
                                    "periodic_box": sheet.box[:2].tolist() if sheet.periodic else None})
        if sim.flow is not None:
            writer.set_static("mesh_points", sim.flow.mesh_points)
            writer.set_static("mesh_cells", sim.flow.mesh_triangles)
        sim.dt = dt
        _record(writer, sim)

    bar = Progress(n_steps, progress)
    try:
        with StopOnInterrupt() as interrupt:
            while sim.step_index < n_steps:
                if interrupt.requested:
                    raise KeyboardInterrupt
                sim.step(dt)
                if sim.step_index % stride == 0 or sim.step_index == n_steps:
                    _record(writer, sim)
                bar.update(sim.step_index, sim.time, sim.sheet.n_cells)
    finally:
        bar.close()
        writer.set_attribute("status", "complete" if sim.step_index >= n_steps else "stopped")
    return path


def _record(writer: StoreWriter, sim: Simulation) -> None:
    ragged, series = sim.frame()
    writer.append_frame(sim.time, ragged, series)
    _write_checkpoint(writer, sim, writer.n_frames - 1)
