"""3D monolayer speed: ns per vertex (apical + basal counted) for one force evaluation and one explicit
step of morphosim.cells' monolayer (numba, on the threads morphosim.threads.configure allows: set
MORPHOSIM_THREADS=1 for one), at 10^3, 10^4, 10^5 cells of a periodic Voronoi
sheet extruded into prisms, energy E = sum ga Sa + gb Sb + K_V/2 (V - V0)^2 + Gamma/2 Pa^2 + sum gl Sl
+ sum Lambda l. The first call (numba compilation or cache load) is reported separately.

    .venv/bin/python bench/cells/bench_monolayer.py [--quick] [--sizes 1000 10000 100000]

tyssue's monolayer is not timed yet (see bench/RESULTS.md).
"""

from __future__ import annotations

import argparse
import time

import numba
import numpy as np

from morphosim.cells import Monolayer, MonolayerModel, Sheet
from morphosim.threads import configure
from morphosim.cells.monolayer_dynamics import MonolayerOverdamped


def build(n_cells: int):
    side = np.sqrt(n_cells)
    m = Monolayer.from_sheet(Sheet.voronoi(n_cells, box=(side, side), periodic=True, lloyd=2, seed=1), 0.8)
    rng = np.random.default_rng(2)
    model = MonolayerModel(rng.uniform(0.8, 1.2, n_cells), 0.8, 1.5, volume_stiffness=50.0, V0=0.8, Gamma=0.05,
                           Lambda=0.1)
    return m, model


def best_time(function, window: float = 1.0) -> float:
    """Shortest of repeated calls within ``window`` seconds (at least 3)."""
    times, start = [], time.perf_counter()
    while len(times) < 3 or time.perf_counter() - start < window:
        t = time.perf_counter()
        function()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--quick", action="store_true", help="sizes 300 and 3000, short windows")
    args = parser.parse_args()
    sizes = [300, 3000] if args.quick else args.sizes
    window = 0.3 if args.quick else 2.0
    configure()
    print(f"numba threads: {numba.get_num_threads()}")
    m, model = build(100)
    t = time.perf_counter()
    model.forces(m)
    print(f"first force call (compile or cache load): {time.perf_counter() - t:.2f} s")
    print(f"{'cells':>8} {'vertices':>9} {'force ns/vertex':>16} {'step ns/vertex':>15}")
    for n in sizes:
        m, model = build(n)
        integrator = MonolayerOverdamped(model, xi=1.0)
        out = (np.empty((m.n_vertices, 3)), np.empty((m.n_vertices, 3)))
        dt = integrator.stable_dt(m)
        vertices = 2 * m.n_vertices
        force = best_time(lambda: model.forces(m, out=out), window)
        step = best_time(lambda: integrator.step(m, dt), window)
        print(f"{n:>8} {vertices:>9} {1e9 * force / vertices:>16.1f} {1e9 * step / vertices:>15.1f}")


if __name__ == "__main__":
    main()
