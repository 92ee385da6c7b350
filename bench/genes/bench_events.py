"""What SBML events cost the batched solver: ring10 with and without events, ns per cell-step.

    PYTHONPATH=. .venv/bin/python bench/genes/bench_events.py [--quick]

The same coupling step as bench_grn.py (set each cell's input alpha, which changes every step, advance
by DT, read the state), on models/ring10 as it is and on ring10 plus three events per cell that watch
X0 (which the changing input drives across 0.4-0.6 in about a third of the cells): a hysteresis switch
(fate = 1 when X0 rises above 0.5, 0 when it falls below 0.4, counting switches) and a delayed event
(0.3 time units after X0 rises above 0.6, values from the trigger time). The events only record: both
models integrate the same equations, so the difference is what the events cost -- every trigger
evaluated after every step of every cell, and each firing cell locating its instant and catching up
with its block alone. Best of REPEATS timings (bench_grn.best_time); the target is a ratio <= 1.5.
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_grn import ATOL, DT, REPEATS, RTOL, WARM_UP, best_time, input_values  # noqa: E402

import morphosim.genes.populations as populations  # noqa: E402
from morphosim.genes import load  # noqa: E402
from morphosim.threads import configure  # noqa: E402

configure()

RING10 = Path(__file__).resolve().parents[2] / "models" / "ring10.ant"
EVENTS = """
  fate = 0; switches = 0; marked = 0; marked_level = 0
  E_up: at (X0 > 0.5): fate = 1, switches = switches + 1
  E_down: at (X0 < 0.4): fate = 0, switches = switches + 1
  E_mark: at 0.3 after (X0 > 0.6), fromTrigger=true: marked = marked + 1, marked_level = X1
end
"""


def with_events():
    text = RING10.read_text()
    return text[: text.rindex("end")] + EVENTS


def time_model(net, n_cells, n_steps):
    """(seconds per cell-step, the population after timing), best of REPEATS."""
    population = net.population(n_cells, solver="batched", method="explicit", rtol=RTOL, atol=ATOL)
    inputs = [input_values(n_cells, step) for step in range(WARM_UP + REPEATS * n_steps)]
    for step in range(WARM_UP):
        population.set_parameter("alpha", inputs[step])
        population.advance(DT)
    steps = iter(range(WARM_UP, WARM_UP + REPEATS * n_steps))

    def coupling_steps():
        for _ in range(n_steps):
            step = next(steps)
            population.set_parameter("alpha", inputs[step])
            population.advance(DT)
            np.array(population.state.T)

    return best_time(coupling_steps) / (n_cells * n_steps), population


def main(quick=False):
    plain, evented = load(RING10), load(with_events())
    sizes = [1000, 10_000] if quick else [1000, 10_000, 100_000]
    print(f"ring10 without / with 3 events per cell; DT = {DT}; rtol = {RTOL}, atol = {ATOL}; "
          f"{populations.THREADS} threads; best of {REPEATS}")
    print(f"{'cells':>8} {'ns/cell-step, no events':>24} {'with events':>12} {'ratio':>6} "
          f"{'firings/cell':>13} {'steps alone/cell':>17}")
    for n_cells in sizes:
        n_steps = max(2, min(10, 1_000_000 // (n_cells * 10)))
        without, _ = time_model(plain, n_cells, n_steps)
        with_, population = time_model(evented, n_cells, n_steps)
        firings = (population.values("switches").sum() + population.values("marked").sum()) / n_cells
        alone = population.event_steps / n_cells
        print(f"{n_cells:>8} {without * 1e9:>24.1f} {with_ * 1e9:>12.1f} {with_ / without:>6.2f} "
              f"{firings:>13.2f} {alone:>17.2f}")
    print("target: ratio <= 1.5")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
