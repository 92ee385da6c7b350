"""One coupled step (genes + cells + tissue flow) at 10^3 and 10^4 cells, split by scale.

Setup as in docs/DESIGN.md's target: a periodic Voronoi sheet, the 10-species ring10 network in every
cell (its production rate fed from the neighbours' mean of X0), per-cell line tension from X0,
and a Stokes-Brinkman flow with ~4x10^4 unknowns. Target: <= 60 ms per coupled step at 10^4
cells on 2 cores. Run: .venv/bin/python bench/coupling/bench_step.py [--quick]
Each phase is timed step by step and the median over the steps is printed (the total is the
median step), so that a burst of load from other work on the shared machine does not decide the
figure; re-run and compare.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from morphosim.scenario import load_scenario
from morphosim.scenario.build import build_simulation
from morphosim.threads import configure

configure()   # the thread defaults the morphosim command uses

MODELS = Path(__file__).resolve().parents[2] / "models"
SCENARIO = """\
name: bench
seed: 1
time: {{end: 1.0, dt: 0.05}}
cells:
  geometry: {{kind: voronoi, n_cells: {n_cells}, box: [{side}, {side}], periodic: true, lloyd: 3}}
  mechanics: {{K: 1.0, A0: 1.0, Gamma: 0.04, Lambda: 0.12, xi: 1.0}}
genes:
  model: {model}
  inputs: {{alpha: neighbours.mean.X0}}
  outputs: {{Lambda: {{species: X0, base: 0.1, gain: 0.02}}}}
tissue:
  flow: {{mu: 1.0, gamma: 0.1, mesh_size: {mesh_size}}}
output: {{path: unused.zarr}}
"""


def bench(n_cells: int, target_unknowns: int, steps: int) -> dict:
    side = float(np.sqrt(n_cells))
    # P2-P1 on a periodic square with N×N divisions: about 9 N^2 unknowns
    mesh_size = side / np.sqrt(target_unknowns / 9)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.yaml"
        path.write_text(SCENARIO.format(n_cells=n_cells, side=side, mesh_size=mesh_size,
                                        model=MODELS / "ring10.xml"))
        started = time.perf_counter()
        sim = build_simulation(load_scenario(path))
        build_time = time.perf_counter() - started
    sim.genes.population.set_parameter("alpha", 4.0)
    sim.step(0.05)  # compile and warm up every kernel
    per_step = []
    for _ in range(steps):
        sim.timings.clear()
        started = time.perf_counter()
        sim.step(0.05)
        per_step.append({"step_ms": time.perf_counter() - started, **sim.timings})
    substeps = sim.integrator.step(sim.sheet, 0.05)
    phases = {name for timings in per_step for name in timings}
    return {"n_cells": sim.sheet.n_cells, "vertices": sim.sheet.n_vertices, "substeps": substeps,
            "unknowns": sim.flow.flow.num_unknowns, "build_s": build_time,
            **{name: 1e3 * float(np.median([timings.get(name, 0.0) for timings in per_step])) for name in phases}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10^3 cells only")
    args = parser.parse_args()
    sizes = [1_000] if args.quick else [1_000, 10_000]
    print("coupled step, ms per step (2 cores), median over steps; target <= 60 ms at 10^4 cells")
    header = f"{'cells':>7} {'vertices':>9} {'unknowns':>9} {'genes':>7} {'cells':>7} {'tissue':>7} " \
             f"{'topology':>9} {'checks':>7} {'total':>7} {'build s':>8} {'substeps':>9}"
    print(header)
    for n_cells in sizes:
        row = bench(n_cells, 40_000, steps=15)
        print(f"{row['n_cells']:>7} {row['vertices']:>9} {row['unknowns']:>9} {row.get('genes', 0):>7.1f} "
              f"{row.get('cells', 0):>7.1f} {row.get('tissue', 0):>7.1f} {row.get('topology', 0):>9.1f} "
              f"{row.get('checks', 0):>7.1f} {row['step_ms']:>7.1f} {row['build_s']:>8.1f} {row['substeps']:>9}")


if __name__ == "__main__":
    main()
