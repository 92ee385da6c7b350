"""Vertex-model speed: morphosim.cells (numba) side by side with tyssue (pandas/numpy).

For 10^3, 10^4, 10^5 cells (open Voronoi sheets, one Lloyd step) prints ns per vertex for
(a) one force evaluation and (b) one explicit overdamped step, for both codes on the same sheet
and the same energy E = sum K/2 (A-A0)^2 + Gamma/2 P^2 + sum_edges Lambda l (tyssue's per-half-edge
line tension is set to reproduce Lambda_ij, including the boundary edges), and checks that the
two codes agree on energy and forces. Numba compile time (cold cache) and cache load time are
measured in fresh subprocesses and printed separately.

    .venv/bin/python bench/cells/bench_vertex.py [--sizes 1000 10000 100000] [--shell 10000] [--no-tyssue]

A last row times a closed ellipsoid shell (fan areas, tangent projection, return to the surface;
tyssue has no equivalent sheet, so morphosim only).

Targets (issue 3): <= 10 ns per vertex per step at 10^4-10^5 cells; >= 100x tyssue at 10^4.
The machine is shared: run twice and compare.

Measured (24 Nov 2026, session 6, ns per vertex per step, 2 threads / 1 thread): 10^3 22.3 / 22.4 (one
thread below 5,000 vertices; tyssue 11,320: 508x), 10^4 9.1 / 17.1 (tyssue 1,853: 204x), 10^5 10.2 / 19.8
(tyssue 922: 91x); shell 10^4 42.9. The machine is shared: over the session's runs 10^5 ranged 9.8-10.8
on quiet spells (up to 13 with busy neighbours), 10^4 9.0-9.2. Session 7 (cell rows of two instead of
three; paired runs against the session 6 code: 10^5 3-10% faster where neither run was disturbed, 10^4
and 10^3 unchanged): 10^3 22.4, 10^4 9.1-9.2 / 17.1-17.3 (tyssue 2,078: 229x), 10^5 11.8-18 / 24-36
through a busy afternoon (tyssue 1,042: 88x; in the quieter paired runs 10.3-11.2 where the session 6
code ran 10.9-12.3). Session 9 (vertex positions stored column by column, so that planar passes skip
the z column): a busier day, whose quietest spells ran 10^4 at 9.4-9.8 and 10^5 at 11.1-14 (the neighbours
held the shared cache even then); in the same process the row-by-row layout ran 10^5 at 11.8-15, paired
median 5% slower, and 10^4 3.5% slower. Sessions 1-9 ran on AMD EPYC Zen 3; session 10's machine
is a Zen 4 (family 25 model 17: AVX-512, 1 MB L2 per core, the same 32 MB shared L3) and, with the
same code, ran 10^3 16.7 (tyssue ~7,500: ~450x), 10^4 7.3-7.8 / 13.0-14.8 (tyssue ~1,500: ~190x),
10^5 8.7-9.6 / 17.8-19.7 (tyssue ~850: ~90x), shell 10^4 ~37 in undisturbed runs; busy neighbours
took 10^4 up to 11.6 and 10^5 up to 13.4 (10 runs: 4 at or below 10 at 10^5, 5 at 10^4). Sampled for
11 minutes with 2 s windows: 10^4 median 7.5 (best 7.2), 10^5 median 9.2 (best 8.1), 83% of windows
at or below 10. Compile (cold cache) 28-34 s. The breakdowns below are Zen 3's: a 10^4-cell step
(~182 us): kernel ~170 us, Python and dispatch ~12 us. Threads spin briefly before they sleep
(GOMP_SPINCOUNT=1000, morphosim/__init__.py): without it, ~9.5 at 10^4 (waking the second thread costs
~15 us a step).

A step runs all its sub-steps in one kernel (one parallel region, see morphosim.threads): per
sub-step the passes over the edges, the cells and the edges again (planar) write per-edge-end forces,
then each thread sums the force on each of its vertices and moves it at once, last vertex first (forces
are not stored; the cells' geometry is not stored either). One thread, 10^4 cells, ns per vertex: edges 3.0, cells 6.5,
edge forces 4.0, sum and move 3.4. What made them so (each measured): reading indices as unsigned,
so that numba does not wrap negative ones; ring codes decoded by table lookups; forces per edge end,
in two columns on planar sheets; the three-wide gather unrolled; planar edge rows holding the edge
vector rather than the unit vector (cells 7.7 -> 6.3); each cell storing its share of an edge's tension
(edge forces 4.4 -> 4.0); loops specialised on flags that would otherwise be tested per item (periodic
edge vectors 3.5 -> 3.0, geometry stores, external velocity: a loop that tests such a flag ran up to
5x slower). Shells gather too: each cell writes its force on each of its vertices by ring position.
Tried and no faster: cells grouped by side count, rings padded to a multiple of 4 sides, edge data
interleaved per edge (again this session: 18.3 instead of 17.2 at 10^4, 28 instead of 26 at 10^5, one
thread), edge forces computed at each vertex, planar cells writing per-vertex forces like shells, one
sweep over the cells in chunks doing every pass for the edges and vertices each chunk completes (the
completed edges and vertices come from index lists: 19.4 instead of 17.8 at 10^4, 23.0 instead of 22.3
at 10^5), edge chunks claimed dynamically or the first thread given more edges (to cover the second
thread's wake-up: slower, the second thread's cells then read edges from the other core), 1/length
stored with the edge (no faster at 10^4, 10% slower at 10^5), a float32 reciprocal square root refined
by Newton steps (edges 3.4 instead of 3.0). Sweep directions (session 6): the vertex pass backwards
starts on the force rows just written and ends on the vertices the next edge pass reads first (10^5:
~10.2 instead of ~11.2; 10^4: 9.1 instead of 9.4); the cell or edge passes backwards run slower (cells
7.05 instead of 6.5 at 10^4) and every other combination measured slower. Also slower: edge forces
worked out at both ends of each edge instead of stored (10^4 12 instead of 9.4), planar cells writing
per-vertex forces (11.3), edges storing 1/length for the cells to multiply (9.6), edges storing only
(T/l, pressure jump) for the vertices to expand (10^5 10.8 but 10^4 10.2), the edge-force pass split
to divide four-wide (edge forces 5.4 instead of 4.0), cells in descending blocks, a Hilbert instead of
a Morton numbering, each edge force added straight into its two vertices (no faster on one thread,
and it would need ordered sums at the thread border), the ring arrays in one huge-page block (<2%). Session 7:
edge forces worked out inside the cell pass, after each block of 64-4096 cells, for the edges the block
completes (edges numbered in the order the cells complete them; those whose other cell is in the other
thread's share deferred to after the barrier): one thread 10^4 19.6 instead of 17.2, 10^5 ~25 instead of
~21 (the numbering alone costs ~1%); edge lengths recomputed from the edge vector where they are read
instead of stored (10^4 23 instead of 17.3).
Longer spinning (GOMP_SPINCOUNT=3000) is no faster on a
quiet machine and with the other core busy makes a 10^4-cell step 27 instead of 19 ns per vertex (1000: 21.8).
At 10^5 cells the passes' arrays (~32 MB, 34 before session 9) no longer fit in the 32 MB third-level
cache the machine shares, and one thread slows from 17.1 to 19.3-21 ns.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import warnings

import numba
import numpy as np

from morphosim.cells import Overdamped, Sheet, VertexModel

K, GAMMA, LAMBDA = 1.0, 0.04, 0.12
# morphosim's timings: the best of ROUNDS rounds spread over SECONDS. The machine is shared and its
# neighbours come and go by the second: with 0.3 s windows (the bench's until session 10) 40% of 10^5-cell
# windows sampled over 25 minutes came out at or below 10 ns, with 2 s windows 83% over the 11 minutes
# after (10^4: 59% and 91%; not paired: the neighbours may have changed too). A neighbour busy for
# minutes still shows in every window.
ROUNDS, SECONDS = 25, 2.0


def best_time(function, repeats: int, min_total: float) -> float:
    """Best wall time of one call over ``repeats`` rounds of at least one call, together about ``min_total``
    seconds (each round long enough to time)."""
    function()
    t0 = time.perf_counter()
    function()
    once = time.perf_counter() - t0
    inner = max(1, int(min_total / max(once, 1e-9) / repeats))
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(inner):
            function()
        best = min(best, (time.perf_counter() - t0) / inner)
    return best


def make_sheet(n_cells: int) -> Sheet:
    side = np.sqrt(n_cells)
    return Sheet.voronoi(n_cells, box=(side, side), lloyd=1, seed=0)


def morphosim_timings(sheet: Sheet, model: VertexModel, threads: int):
    """(force evaluation, one explicit sub-step) wall times in seconds on ``threads`` numba threads."""
    numba.set_num_threads(threads)
    forces = np.empty((sheet.n_vertices, 3))
    # edges shorter than a usual T1 threshold do not limit the step (the bench runs no T1s)
    integrator = Overdamped(model, xi=1.0, min_edge_length=0.05)
    dt = 0.5 * integrator.stable_dt(sheet)
    start = sheet.positions.copy()
    t_force = best_time(lambda: model.forces(sheet, out=forces), ROUNDS, SECONDS)
    substeps = [0, 0]

    def step():
        substeps[0] += integrator.step(sheet, dt)
        substeps[1] += 1

    t_step = best_time(step, ROUNDS, SECONDS) * substeps[1] / substeps[0]
    sheet.vertices[: sheet.n_vertices] = start
    return t_force, t_step


def tyssue_sheet(sheet: Sheet, model: VertexModel):
    """The same mesh and parameters as a tyssue planar sheet."""
    import pandas as pd
    from tyssue import PlanarGeometry, config
    from tyssue import Sheet as TyssueSheet
    from tyssue.dynamics import effectors, model_factory

    ne = sheet.n_half_edges
    inner = np.flatnonzero(sheet.face[:ne] >= 0)
    boundary = sheet.face[sheet.twin[inner]] < 0
    vert_df = pd.DataFrame(sheet.positions[:, :2], columns=["x", "y"])
    edge_df = pd.DataFrame({"srce": sheet.origin[inner], "trgt": sheet.origin[sheet.twin[inner]],
                            "face": sheet.face[inner]})
    face_df = pd.DataFrame(index=pd.RangeIndex(sheet.n_cells, name="face"))
    vert_df.index.name, edge_df.index.name = "vert", "edge"
    eptm = TyssueSheet("bench", {"vert": vert_df, "edge": edge_df, "face": face_df},
                       config.geometry.planar_sheet())
    tyssue_model = model_factory([effectors.LineTension, effectors.FaceContractility,
                                  effectors.FaceAreaElasticity])
    eptm.update_specs(tyssue_model.specs, reset=True)
    # tyssue: E_line = sum_half-edges line_tension * l / 2  ->  Lambda_ij needs line_tension = Lambda
    # on shared edges and 2 Lambda on boundary edges (one half-edge)
    eptm.edge_df["line_tension"] = np.where(boundary, 2 * LAMBDA, LAMBDA)
    eptm.face_df["contractility"] = GAMMA
    eptm.face_df["area_elasticity"] = K
    eptm.face_df["prefered_area"] = model.A0[0]
    eptm.vert_df["viscosity"] = 1.0
    geometry = planar_geometry_for_numpy2(PlanarGeometry)
    # tyssue 1.1.0's update_all computes the unit edge vectors before the lengths, so they lag
    # one update behind; a second call on unchanged positions makes them consistent
    geometry.update_all(eptm)
    geometry.update_all(eptm)
    return eptm, tyssue_model, geometry


def planar_geometry_for_numpy2(PlanarGeometry):
    """tyssue 1.1.0 computes the z component of 2-D cross products with np.cross, which
    NumPy 2 no longer accepts for 2-vectors; the same formula written out (no other change)."""

    class Geometry(PlanarGeometry):
        @staticmethod
        def update_normals(sheet):
            edges = sheet.edge_df
            edges["nz"] = edges["rx"] * edges["dy"] - edges["ry"] * edges["dx"]

    return Geometry


def tyssue_timings(sheet: Sheet, model: VertexModel, repeats: int):
    from tyssue.solvers.viscous import EulerSolver

    eptm, tyssue_model, geometry = tyssue_sheet(sheet, model)
    # same physics: energies and forces agree
    energy = tyssue_model.compute_energy(eptm)
    gradient = tyssue_model.compute_gradient(eptm).loc[eptm.active_verts].to_numpy()
    forces = model.forces(sheet)[:, :2]
    energy_error = abs(energy - model.energy(sheet)) / abs(energy)
    force_error = np.abs(forces + gradient).max() / np.abs(forces).max()

    def forces_only():
        geometry.update_all(eptm)  # tyssue needs fresh geometry before the gradient, as we do
        tyssue_model.compute_gradient(eptm)

    solver = EulerSolver(eptm, geometry, tyssue_model)
    dt = 0.5 * Overdamped(model, min_edge_length=0.05).stable_dt(sheet)

    def step():  # the body of EulerSolver.solve for one step, without history recording
        pos = solver.current_pos
        solver.set_pos(pos + dt * solver.ode_func(0.0, pos))

    t_force = best_time(forces_only, repeats=repeats, min_total=0.0)
    t_step = best_time(step, repeats=repeats, min_total=0.0)
    return t_force, t_step, energy_error, force_error


def compile_times():
    """Cold compile (empty cache dir) and warm cache load, each in a fresh interpreter."""
    code = ("import time; t=time.perf_counter(); import numpy as np;"
            "from morphosim.cells import Sheet, VertexModel, Overdamped, apply_topology;"
            "s=Sheet.hexagonal(4, 4, periodic=True); m=VertexModel(Gamma=0.04, Lambda=0.12);"
            "i=Overdamped(m); t0=time.perf_counter(); i.step(s, 0.01); m.energy(s);"
            "apply_topology(s, t1_length=0.01, division_area=5.0, extrusion_area=0.01);"
            "print(time.perf_counter()-t0)")
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        cold, warm = (float(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                                           text=True, check=True).stdout) for _ in range(2))
    return cold, warm


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--shell", type=int, default=10_000, help="cells of the shell row (0: none)")
    parser.add_argument("--no-tyssue", action="store_true")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    try:
        import tyssue  # noqa: F401
        have_tyssue = not args.no_tyssue
    except ImportError as error:
        print(f"tyssue not importable ({error}); install the bench extra")
        have_tyssue = False

    cold, warm = compile_times()
    threads = numba.config.NUMBA_NUM_THREADS
    print(f"numba {numba.__version__}, {threads} threads (OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}, "
          f"GOMP_SPINCOUNT={os.environ.get('GOMP_SPINCOUNT')}); "
          f"compile (cold cache) {cold:.1f} s, load from cache {warm:.2f} s (first step + energy + topology call)")
    header = (f"{'cells':>7} {'vertices':>8} | {'force':>7} {'step':>7} {'1 thread':>8} | {'tyssue force':>12} "
              f"{'step':>7} | {'speed-up force':>14} {'step':>5} | {'dE/E':>7} {'dF/F':>7}")
    print(f"ns per vertex (best of several rounds) on {threads} threads, and the step on 1 thread; "
          "speed-up = tyssue / morphosim")
    print(header)
    print("-" * len(header))
    for n in args.sizes:
        sheet = make_sheet(n)
        model = VertexModel(K=K, A0=1.0, Gamma=GAMMA, Lambda=LAMBDA)
        nv = sheet.n_vertices
        _, serial_step = morphosim_timings(sheet, model, 1)
        force, step = morphosim_timings(sheet, model, threads)
        row = (f"{sheet.n_cells:>7} {nv:>8} | {force / nv * 1e9:>7.1f} {step / nv * 1e9:>7.1f} "
               f"{serial_step / nv * 1e9:>8.1f} |")
        if have_tyssue:
            t_force, t_step, energy_error, force_error = tyssue_timings(sheet, model, repeats=10 if n <= 10_000 else 3)
            row += (f" {t_force / nv * 1e9:>12.0f} {t_step / nv * 1e9:>7.0f} | {t_force / force:>14.0f} "
                    f"{t_step / step:>5.0f} | {energy_error:>7.0e} {force_error:>7.0e}")
        print(row, flush=True)
    if args.shell:
        radius = np.sqrt(args.shell / (4 * np.pi))  # about unit cell area
        sheet = Sheet.ellipsoid_shell(args.shell, radii=(1.1 * radius, radius, 0.9 * radius), lloyd=1, seed=0)
        force, step = morphosim_timings(sheet, VertexModel(K=K, A0=1.0, Gamma=GAMMA, Lambda=LAMBDA), threads)
        print(f"{sheet.n_cells:>7} {sheet.n_vertices:>8} | {force / sheet.n_vertices * 1e9:>7.1f} "
              f"{step / sheet.n_vertices * 1e9:>7.1f} | (ellipsoid shell)", flush=True)


if __name__ == "__main__":
    main()
