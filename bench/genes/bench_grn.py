"""Batched GRN solver versus a loop over libRoadRunner instances, and ns per cell-step.

    .venv/bin/python bench/genes/bench_grn.py [--quick]

Model: models/ring10.xml (10 species, 20 reactions). One coupling step = every cell gets its input
(set_parameter), is advanced by DT, and its state is read, as the coupling layer does each step.
Both solvers use the same tolerances (RTOL, ATOL). The RoadRunner loop is one CVODE instance per
cell, on one core (a Python loop); the batched solver uses all cores (MORPHOSIM_THREADS, default all).
At large n the RoadRunner loop is timed on a subsample of cells and scaled linearly: its cost per
cell does not depend on how many other cells there are.
"""

import sys
import time
from pathlib import Path

import numpy as np

from morphosim.genes import load
from morphosim.genes.populations import THREADS

MODEL = Path(__file__).resolve().parents[2] / "models" / "ring10.xml"
RTOL, ATOL = 1e-6, 1e-9
DT = 0.1                      # coupling step (model time units)
ROADRUNNER_SAMPLE = 200       # cells actually timed in the RoadRunner loop at large n


def input_values(n, step):
    """A per-cell input that changes every coupling step, as a neighbour signal or strain would."""
    return 4.0 + np.sin(np.arange(n) * 0.37 + step)


def time_batched(net, n_cells, n_steps, interval=DT):
    """Seconds per cell per coupling step (advance by `interval`), and per cell per accepted
    integrator step."""
    population = net.population(n_cells, solver="batched", method="explicit", rtol=RTOL, atol=ATOL)
    population.set_parameter("alpha", input_values(n_cells, 0))
    population.advance(interval)  # warm-up: compilation or cache load, first step-size guess
    population.block_steps = 0
    start = time.perf_counter()
    for step in range(n_steps):
        population.set_parameter("alpha", input_values(n_cells, step))
        population.advance(interval)
        state = population.state
    elapsed = time.perf_counter() - start
    assert np.all(np.isfinite(state))
    return elapsed / (n_cells * n_steps), elapsed / population.block_steps


def time_roadrunner_loop(net, n_cells, n_steps):
    sample = min(n_cells, ROADRUNNER_SAMPLE)
    population = net.population(sample, solver="tellurium", rtol=RTOL, atol=ATOL)
    runners = population._runners  # the bare loop, without the population's bookkeeping
    start = time.perf_counter()
    for step in range(n_steps):
        values = input_values(sample, step)
        t = step * DT
        for runner, value in zip(runners, values):
            runner.setValue("alpha", value)
            runner.oneStep(t, DT, True)
            runner.model.getFloatingSpeciesConcentrations()
    elapsed = time.perf_counter() - start
    return elapsed / (sample * n_steps), sample


def main(quick=False):
    net = load(MODEL)
    sizes = [100, 1000, 10_000] if quick else [100, 1000, 10_000, 100_000]
    print(f"model {MODEL.name}: {len(net.species)} species; coupling step DT = {DT}; rtol = {RTOL}, atol = {ATOL}; "
          f"batched on {THREADS} threads, RoadRunner loop on 1")
    print(f"{'cells':>8} {'batched cell-steps/s':>22} {'RoadRunner loop cell-steps/s':>30} {'speed-up':>9}   note")
    for n_cells in sizes:
        n_steps = max(3, min(50, 2_000_000 // (n_cells * 10)))
        batched_per_cell_step, _ = time_batched(net, n_cells, n_steps)
        roadrunner_per_cell_step, sample = time_roadrunner_loop(net, n_cells, 3)
        note = f"RoadRunner timed on {sample} of {n_cells} cells" if sample < n_cells else ""
        print(f"{n_cells:>8} {1 / batched_per_cell_step:>22.3e} {1 / roadrunner_per_cell_step:>30.3e} "
              f"{roadrunner_per_cell_step / batched_per_cell_step:>8.0f}x   {note}")
    print("target: >= 300x the RoadRunner loop at 10^4 cells")
    print()
    print("explicit integrator (Dormand-Prince 5(4)), time per cell per accepted integrator step")
    print("(first row: coupling steps of DT as above; second: advance(5.0), ~45 steps per call, so the")
    print(" per-call costs -- input copy, first right-hand side, thread dispatch -- are amortized):")
    for n_cells in ([10_000] if quick else [10_000, 100_000]):
        _, per_step_coupled = time_batched(net, n_cells, 20)
        _, per_step_long = time_batched(net, n_cells, 2, interval=5.0)
        print(f"{n_cells:>8} cells: {per_step_coupled * 1e9:7.1f} ns per cell-step (advance {DT}), "
              f"{per_step_long * 1e9:7.1f} ns per cell-step (advance 5.0)")
    print("target: <= 20 ns per cell-step (10 species, explicit); memory-bandwidth limit ~10 ns")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
