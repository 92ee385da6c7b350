"""Cost of recording: one frame appended to a run store plus its checkpoint, at 10^3 and 10^4 cells
with a tissue flow, beside the coupled step it follows.

    .venv/bin/python bench/io/bench_record.py [--quick]

Target (issue 27): frame + checkpoint <= 20 ms at 10^3 cells, <= 100 ms at 10^4 with flow.
The median over ROUNDS recorded frames is printed; the machine is shared: re-run and compare.
"""

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

import morphosim
from morphosim.io.recorder import Recorder
from morphosim.threads import configure

configure()   # the thread defaults the morphosim command uses
ROUNDS = 12
TARGETS = {1000: 20.0, 10_000: 100.0}   # ms, issue 27


def scenario(n_cells: int) -> dict:
    side = float(np.sqrt(n_cells))
    return {"name": "record_bench", "time": {"end": 1.0, "dt": 0.05},
            "cells": {"geometry": {"kind": "voronoi", "n_cells": n_cells, "box": [side, side], "periodic": True,
                                   "lloyd": 1},
                      "mechanics": {"K": 1.0, "A0": 1.0, "Gamma": 0.04, "Lambda": 0.12}},
            "genes": {"model": str(Path(__file__).resolve().parents[2] / "models" / "collier_notch_delta.xml"),
                      "initial": {"D": {"uniform": [0.0, 1.0]}}, "inputs": {"D_nbr": "neighbours.mean.D"}},
            "tissue": {"flow": {"mu": 1.0, "gamma": 0.1, "mesh_size": 1.0}},
            "output": {"path": "unused.zarr"}}


def measure(n_cells: int, folder: Path) -> dict[str, float]:
    sim = morphosim.Simulation.from_scenario(scenario(n_cells))
    recorder = Recorder.create(folder / f"{n_cells}.zarr", sim.store_attributes(), sim.static_arrays())
    timings = {"step": [], "frame()": [], "state()": [], "write": []}
    for _ in range(ROUNDS):
        started = time.perf_counter()
        sim.step()
        stepped = time.perf_counter()
        frame = sim.frame()
        framed = time.perf_counter()
        state = sim.state()
        stated = time.perf_counter()
        recorder.record(frame, state, sim.step_index)   # the frame and its checkpoint, as a run records them
        done = time.perf_counter()
        for name, seconds in zip(timings, (stepped - started, framed - stepped, stated - framed, done - stated)):
            timings[name].append(seconds)
    return {name: 1e3 * float(np.median(values[2:])) for name, values in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10^3 cells only")
    sizes = (1000,) if parser.parse_args().quick else (1000, 10_000)
    folder = Path(tempfile.mkdtemp())
    try:
        print("recording, ms (median over frames); target: frame + checkpoint <= 20 ms at 10^3, <= 100 ms at 10^4")
        print(f"  {'cells':>6} {'step':>8} {'frame()':>8} {'state()':>8} {'write':>8} {'recording':>10} {'target':>7}")
        for n in sizes:
            t = measure(n, folder)
            print(f"  {n:>6} {t['step']:8.1f} {t['frame()']:8.1f} {t['state()']:8.1f} {t['write']:8.1f} "
                  f"{t['frame()'] + t['state()'] + t['write']:10.1f} {TARGETS[n]:7.0f}")
    finally:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
