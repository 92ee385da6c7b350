"""The batched solver beside sbmlode's generated code: diffrax (JAX, jax.vmap over cells) and scipy.

    PYTHONPATH=. .venv/bin/python bench/genes/bench_sbmlode.py [--quick]

sbmlode (PyPI `sbmlode`, the `bench` extra) writes an SBML model's ODEs as code: its "diffrax" format
is a JAX right-hand side with `simulate(ts, p, x0, rtol=, atol=, solver=)` (one diffrax.diffeqsolve
from 0 to ts[-1], steps ending at every output time), which `jax.vmap` maps over the cells' parameter
vectors; its "python" format integrates one cell with scipy.integrate (here RK45, Dormand–Prince 5(4),
the batched solver's method) in a Python loop over cells.

Model: models/ring10.xml, the model of bench_grn.py, with the same tolerances (RTOL, ATOL). Every cell
has its own alpha (bench_grn.input_values at step 0), constant over the run: sbmlode's vmap takes the
whole run in one call and cannot change an input between output times. Both run from the model's
initial state for 20 or 100 intervals of DT (the transient included), the batched solver as the
coupling layer drives it (advance DT, read the state: one cell-interval per cell per DT), sbmlode/diffrax
as one call over the whole run with Tsit5 (explicit 5(4)) and, for comparison, Dopri5. Seconds per
cell per DT-interval; the best of a few timings (compilation excluded: the diffrax call runs once first,
the batched populations are made before the clock starts). The scipy loop is timed on SCIPY_SAMPLE
cells and scaled. The largest difference of the final states from the batched solver's is printed, to
show the three compute the same thing.

Below the table: the cost of events at 10^4 cells (bench_events.py's ring10 without / with three
events per cell), the other target of the issue.
"""

import importlib.util
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_grn import ATOL, DT, MODEL, RTOL, input_values  # noqa: E402

import morphosim.genes.populations as populations  # noqa: E402
from morphosim.genes import load  # noqa: E402
from morphosim.threads import configure  # noqa: E402

configure()

INTERVALS = (20, 100)  # run lengths, in intervals of DT
SCIPY_SAMPLE = 20


def sbmlode_modules(directory):
    """(diffrax module, python module) that sbmlode writes for MODEL, imported from `directory`."""
    from sbmlode import OdeSystem

    system = OdeSystem.from_sbml(str(MODEL))
    modules = []
    for fmt in ("diffrax", "python"):
        path = Path(directory) / f"ring10_{fmt}.py"
        path.write_text(system.render(fmt, simulator=True))
        spec = importlib.util.spec_from_file_location(f"ring10_{fmt}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        modules.append(module)
    return modules


def best_of(repeats, action):
    """(seconds of the fastest of `repeats` calls, the last call's result)."""
    best, result = np.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        result = action()
        best = min(best, time.perf_counter() - start)
    return best, result


def time_batched(net, alpha, n_intervals, repeats):
    """(seconds per cell per interval, final state (n_cells, n_species)), the populations made (and the
    module with alpha per cell compiled) before the clock starts."""
    def population():
        made = net.population(alpha.size, solver="batched", method="explicit", rtol=RTOL, atol=ATOL)
        made.set_parameter("alpha", alpha)
        return made

    populations_to_run = iter([population() for _ in range(repeats)])

    def run():
        cells = next(populations_to_run)
        for _ in range(n_intervals):
            cells.advance(DT)
            state = np.array(cells.state)
        return state

    seconds, state = best_of(repeats, run)
    return seconds / (alpha.size * n_intervals), state


def time_diffrax(module, alpha, n_intervals, solver, repeats):
    """(seconds per cell per interval, final state): one jax.vmap-ed simulate call for all cells."""
    import jax
    import jax.numpy as jnp

    ts = jnp.arange(n_intervals + 1) * DT
    alpha_column = module.PIDS.index("alpha")
    parameters = jnp.tile(module.P0, (alpha.size, 1)).at[:, alpha_column].set(jnp.asarray(alpha))
    run_all = jax.jit(jax.vmap(lambda p: module.simulate(ts, p, rtol=RTOL, atol=ATOL, solver=solver).x))
    run_all(parameters).block_until_ready()  # compile
    seconds, states = best_of(repeats, lambda: run_all(parameters).block_until_ready())
    return seconds / (alpha.size * n_intervals), np.asarray(states[:, -1])


def time_scipy(module, alpha, n_intervals):
    """(seconds per cell per interval, final state of the sample): a Python loop of scipy RK45 runs."""
    alpha_column = module.PIDS.index("alpha")
    sample = alpha[:SCIPY_SAMPLE]

    def run():
        finals = []
        for value in sample:
            p = module.P0.copy()
            p[alpha_column] = value
            frame = module.simulate(n_intervals * DT, n_intervals + 1, p=p, rtol=RTOL, atol=ATOL, method="RK45")
            finals.append(frame[module.XIDS].to_numpy()[-1])
        return np.array(finals)

    seconds, finals = best_of(2, run)
    return seconds / (sample.size * n_intervals), finals


def largest_difference(states, reference):
    """max |a - b| / (ATOL + RTOL |b|) over every cell and species."""
    return float(np.max(np.abs(states - reference) / (ATOL + RTOL * np.abs(reference))))


def main(quick=False):
    import diffrax
    import sbmlode

    from bench_events import RING10, time_model, with_events

    # first the events (before JAX starts its threads)
    n_cells, n_steps = 10_000, 10
    without, _ = time_model(load(RING10), n_cells, n_steps)
    with_, _ = time_model(load(with_events()), n_cells, n_steps)
    events = (f"events, {n_cells} cells (bench_events.py): ring10 {without * 1e9:.1f} ns per cell-step, with 3 "
              f"events per cell {with_ * 1e9:.1f}: ratio {with_ / without:.2f} (target <= 1.5)")

    net = load(MODEL)
    runs = [(1000, 20), (10_000, 20), (10_000, 100)]
    if not quick:
        runs = [(100, 20)] + runs + [(100_000, 20)]
    print(f"model {MODEL.name}, each cell its own alpha, from the initial state in intervals of DT = {DT}; "
          f"rtol = {RTOL}, atol = {ATOL}; batched (Dormand-Prince 5(4)) on {populations.THREADS} threads; "
          f"sbmlode {sbmlode.__version__}, diffrax {diffrax.__version__}")
    print("us per cell per DT-interval; diff = the largest |x - x_batched| / (atol + rtol |x_batched|) at the end")
    print(f"{'cells':>8} {'intervals':>9} {'batched':>9} {'diffrax vmap Tsit5':>19} {'Dopri5':>8} "
          f"{'scipy RK45 loop':>16} {'Tsit5 / batched':>16} {'diff Tsit5':>11} {'diff scipy':>11}")
    with tempfile.TemporaryDirectory() as directory:
        # importing the JAX module turns on float64 (jax_enable_x64), as the tolerances need
        jax_module, scipy_module = sbmlode_modules(directory)
        for n_cells, n_intervals in runs:
            alpha = input_values(n_cells, 0)
            repeats = 2 if n_cells * n_intervals >= 1_000_000 else 3
            batched, state = time_batched(net, alpha, n_intervals, repeats)
            tsit5, tsit5_state = time_diffrax(jax_module, alpha, n_intervals, diffrax.Tsit5(), repeats)
            dopri5, _ = time_diffrax(jax_module, alpha, n_intervals, diffrax.Dopri5(), repeats)
            scipy_time, scipy_state = time_scipy(scipy_module, alpha, n_intervals)
            print(f"{n_cells:>8} {n_intervals:>9} {batched * 1e6:>9.3f} {tsit5 * 1e6:>19.2f} {dopri5 * 1e6:>8.2f} "
                  f"{scipy_time * 1e6:>16.0f} {tsit5 / batched:>15.0f}x "
                  f"{largest_difference(tsit5_state, state):>11.2f} "
                  f"{largest_difference(scipy_state, state[:SCIPY_SAMPLE]):>11.2f}")
    print("target: the batched solver >= 100x faster than sbmlode/diffrax vmap at 10^4 cells")
    print(events)


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
