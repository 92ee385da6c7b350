"""Batched GRN solver versus a loop over libRoadRunner instances, and ns per cell-step.

    PYTHONPATH=. .venv/bin/python bench/genes/bench_grn.py [--quick]

Model: models/ring10.xml (10 species, 20 reactions, Hill coefficient 2). A cell-step is one coupling
step of DT for one cell, as the coupling layer does it: give the cell its input (set_parameter), advance
it by DT, read its state (a copy of every species; the batched solver copies species by species, the
way the coupling layer reads them, the RoadRunner loop reads each cell's species vector). Both
solvers use the same tolerances (RTOL, ATOL). The inputs change every step (as a neighbour signal or
a strain would); they are computed before the clock starts, since computing them is the other scales'
work.

Both solvers first run WARM_UP coupling steps: the model's initial state is far from where the inputs
drive it, and that transient (several integrator steps per DT for either solver) is not what a long
simulation spends its time on. The batched solver's integrator steps per coupling step are printed.

The RoadRunner loop is one CVODE instance per cell on one core (a Python loop); the batched solver
uses MORPHOSIM_THREADS threads (default: all cores). At large n the RoadRunner loop is timed on a
subsample of cells and scaled linearly: its cost per cell does not depend on how many other cells
there are. Every figure is the best of REPEATS timings: the machine is shared, and the best one is the
least disturbed.

The table gives the batched solver on MORPHOSIM_THREADS threads and on one (the cost per core). Below
it: whether the compiled explicit step is vectorized across cells, and where a cell-step goes on one
thread at 10^4 cells -- each compiled kernel timed block by block from a compiled loop, beside the
floor its divisions alone set (each right-hand side divides once per species, alpha / (1 + x^2), and
so does the error norm), the numpy work of the bench's cell-step, and the rest.

Figures and what was tried: bench/RESULTS.md.
"""

import sys
import time
from pathlib import Path

import re

import numpy as np
from numba import njit

import morphosim.genes.populations as populations
from morphosim.genes import load
from morphosim.genes.kernel_source import FASTMATH
from morphosim.threads import configure

configure()   # the thread defaults the morphosim command uses

MODEL = Path(__file__).resolve().parents[2] / "models" / "ring10.xml"
RTOL, ATOL = 1e-6, 1e-9
DT = 0.1                      # coupling step (model time units)
WARM_UP = 10                  # coupling steps before timing (the transient from the initial state)
REPEATS = 10
ROADRUNNER_SAMPLE = 200       # cells actually timed in the RoadRunner loop at large n


def input_values(n_cells, step):
    """A per-cell input that changes every coupling step, as a neighbour signal or strain would."""
    return 4.0 + np.sin(np.arange(n_cells) * 0.37 + step)


def time_batched(net, n_cells, n_steps, threads=None):
    """(seconds per cell-step, integrator steps per coupling step), best of REPEATS, on `threads` threads
    (default: MORPHOSIM_THREADS)."""
    threads_before, populations.THREADS = populations.THREADS, threads or populations.THREADS
    population = net.population(n_cells, solver="batched", method="explicit", rtol=RTOL, atol=ATOL)
    inputs = [input_values(n_cells, step) for step in range(WARM_UP + REPEATS * n_steps)]
    for step in range(WARM_UP):
        population.set_parameter("alpha", inputs[step])
        population.advance(DT)
    cell_steps_before = population.cell_steps
    steps = iter(range(WARM_UP, WARM_UP + REPEATS * n_steps))

    def coupling_steps():
        for _ in range(n_steps):
            step = next(steps)
            population.set_parameter("alpha", inputs[step])
            population.advance(DT)
            state = np.array(population.state.T)  # species by species
        assert np.all(np.isfinite(state))

    best = best_time(coupling_steps)
    populations.THREADS = threads_before
    steps_per_coupling_step = (population.cell_steps - cell_steps_before) / (n_cells * REPEATS * n_steps)
    return best / (n_cells * n_steps), steps_per_coupling_step


def time_roadrunner_loop(net, n_cells, n_steps):
    """(seconds per cell-step, cells timed), best of REPEATS."""
    sample = min(n_cells, ROADRUNNER_SAMPLE)
    population = net.population(sample, solver="tellurium", rtol=RTOL, atol=ATOL)
    runners = population._runners  # the bare loop, without the population's bookkeeping
    inputs = [input_values(sample, step) for step in range(WARM_UP + REPEATS * n_steps)]

    def coupling_steps(steps):
        for step in steps:
            for runner, value in zip(runners, inputs[step]):
                runner.setValue("alpha", value)
                runner.oneStep(step * DT, DT, True)
                runner.model.getFloatingSpeciesConcentrations()

    coupling_steps(range(WARM_UP))
    steps = iter(range(WARM_UP, WARM_UP + REPEATS * n_steps))
    best = best_time(lambda: coupling_steps([next(steps) for _ in range(n_steps)]))
    return best / (sample * n_steps), sample


@njit(cache=True, error_model="numpy")
def _divisions(x, out, repeats):
    for r in range(repeats):
        for i in range(x.size):
            out[i] = 1.0 / (x[i] + r)


def division_time():
    """Seconds per double-precision division on one core, vectorized (the explicit step's bottleneck)."""
    x, out = np.random.default_rng(0).uniform(1.0, 2.0, 256), np.empty(256)
    _divisions(x, out, 1)
    return best_time(lambda: _divisions(x, out, 20_000)) / (20_000 * x.size)


def time_parts(net, n_cells=10_000):
    """({part: seconds per cell-step}, whole coupling step) on one thread, best of REPEATS each: the
    compiled kernels called block by block from compiled loops, the numpy work of the bench's
    cell-step, and what is left of the whole coupling step (Python, step control, launching)."""
    threads_before, populations.THREADS = populations.THREADS, 1
    population = net.population(n_cells, solver="batched", method="explicit", rtol=RTOL, atol=ATOL)
    for step in range(WARM_UP):
        population.set_parameter("alpha", input_values(n_cells, step))
        population.advance(DT)
    module, size = population.module, population.block_size
    dopri_step, chunk_derivatives = module.dopri_step, module.chunk_derivatives
    pack_block, unpack_block = module.pack_block, module.unpack_block
    n_blocks = n_cells // size
    y, p = population._y.copy(), population._p
    work = np.empty(-(-size // module.LANES) * module.CHUNK)
    n_chunks = pack_block(y, p, 0, size, work)
    chunk_derivatives(work, n_chunks, 0.0)

    @njit
    def steps(work, n_chunks):  # every block's step, on the data of the first block (in L1)
        for _ in range(n_blocks):
            dopri_step(work, n_chunks, 0.0, DT, RTOL, ATOL)

    @njit
    def derivatives(work, n_chunks):
        for _ in range(n_blocks):
            chunk_derivatives(work, n_chunks, 0.0)

    @njit
    def copies(y, p, work):
        for block in range(n_blocks):
            pack_block(y, p, block * size, (block + 1) * size, work)
            unpack_block(work, y, block * size, (block + 1) * size)

    inputs = input_values(n_cells, WARM_UP)

    def coupling_step():
        population.set_parameter("alpha", inputs)
        population.advance(DT)
        np.array(population.state.T)

    steps(work, n_chunks), derivatives(work, n_chunks), copies(y, p, work)  # compile
    per_cell = 1 / (n_blocks * size)
    parts = {
        "fused DP5 step (6 right-hand sides, error norm)": best_time(lambda: steps(work, n_chunks)) * per_cell,
        "first right-hand side of the interval": best_time(lambda: derivatives(work, n_chunks)) * per_cell,
        "copies into blocks and back": best_time(lambda: copies(y, p, work)) * per_cell,
        "set_parameter (numpy)": best_time(lambda: population.set_parameter("alpha", inputs)) / n_cells,
        "read the state (numpy copy)": best_time(lambda: np.array(population.state.T)) / n_cells,
    }
    whole = best_time(coupling_step) / n_cells
    parts["the rest (Python, step control)"] = whole - sum(parts.values())
    populations.THREADS = threads_before
    return parts, whole


def best_time(action):
    """Seconds of the fastest of REPEATS calls of action(): the machine is shared, the fastest call is
    the least disturbed."""
    best = np.inf
    for _ in range(REPEATS):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


def division_width(net):
    """Cells per division instruction in the explicit step as compiled here: 4 for AVX2 vectors of
    doubles across cells, 1 if the loop did not vectorize. (numba shows no assembly for code loaded
    from its cache, so a copy of the step is compiled.)"""
    population = net.population(8, solver="batched")
    population.set_parameter("alpha", 4.0)
    step = njit(error_model="numpy", fastmath=eval(FASTMATH))(population.module.dopri_step.py_func)
    step(np.ones(population.module.CHUNK), 1, 0.0, 0.1, RTOL, ATOL)
    divisions = re.findall(r"vdiv([ps])d\s+%(\w)mm", "".join(step.inspect_asm().values()))
    return max(({"z": 8, "y": 4, "x": 2}[register] if kind == "p" else 1 for kind, register in divisions), default=0)


def main(quick=False):
    net = load(MODEL)
    sizes = [100, 1000, 10_000] if quick else [100, 1000, 10_000, 100_000]
    threads = populations.THREADS
    print(f"model {MODEL.name}: {len(net.species)} species; coupling step DT = {DT}; rtol = {RTOL}, atol = {ATOL}; "
          f"batched (Dormand-Prince 5(4)) on {threads} threads and on 1, RoadRunner loop on 1; best of {REPEATS}")
    print("cell-step = set the cell's input, advance it by DT, read its state")
    print(f"{'cells':>8} {f'batched ns/cell-step, {threads} threads':>32} {'1 thread':>9} {'steps/DT':>9} "
          f"{'RoadRunner ns/cell-step':>24} {'speed-up':>9}   note")
    for n_cells in sizes:
        n_steps = max(2, min(10, 1_000_000 // (n_cells * 10)))
        batched, steps_per_dt = time_batched(net, n_cells, n_steps)
        one_thread, _ = time_batched(net, n_cells, n_steps, threads=1)
        roadrunner, sample = time_roadrunner_loop(net, n_cells, 2)
        note = f"RoadRunner timed on {sample} of {n_cells} cells" if sample < n_cells else ""
        print(f"{n_cells:>8} {batched * 1e9:>32.1f} {one_thread * 1e9:>9.1f} {steps_per_dt:>9.2f} "
              f"{roadrunner * 1e9:>24.0f} {roadrunner / batched:>8.0f}x   {note}")
    print("targets: >= 300x the RoadRunner loop at 10^4 cells; <= 20 ns per cell-step (10 species, explicit)")
    print()
    width = division_width(net)
    print(f"the explicit step divides {width} cells per instruction (4: AVX2 vectors of doubles across cells)")
    # What bounds the explicit step: every right-hand side divides once per species (alpha / (1 + x^2)),
    # and the error norm once per species: 7 right-hand sides (6 stages + the first, recomputed because
    # the input changed) and one error norm per coupling step = 80 divisions per cell-step.
    n_species, per_division = len(net.species), division_time()
    divisions = {"fused DP5 step (6 right-hand sides, error norm)": 7 * n_species,
                 "first right-hand side of the interval": n_species}
    parts, whole = time_parts(net)
    print(f"where a cell-step goes, 10^4 cells, 1 thread (ns per cell-step; a division takes "
          f"{per_division * 1e9:.2f} ns per cell, vectorized):")
    for name, seconds in parts.items():
        floor = (f"   {divisions[name]} divisions alone: {divisions[name] * per_division * 1e9:.1f}"
                 if name in divisions else "")
        print(f"  {name:<48} {seconds * 1e9:6.1f}{floor}")
    print(f"  {'whole coupling step':<48} {whole * 1e9:6.1f}")
    print(f"floor from divisions alone: {sum(divisions.values())} per cell-step / {threads} threads = "
          f"{sum(divisions.values()) * per_division / threads * 1e9:.1f} ns per cell-step")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
