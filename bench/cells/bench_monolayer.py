"""3D monolayer speed: ns per vertex (apical + basal counted) for one force evaluation and one explicit
step of morphosim.cells' monolayer (numba, on the threads morphosim.threads.configure allows: set
MORPHOSIM_THREADS=1 for one), at 10^3, 10^4, 10^5 cells of a periodic Voronoi
sheet extruded into prisms, energy E = sum ga Sa + gb Sb + K_V/2 (V - V0)^2 + Gamma/2 Pa^2 + sum gl Sl
+ sum Lambda l. The first call (numba compilation or cache load) is reported separately.

    .venv/bin/python bench/cells/bench_monolayer.py [--quick] [--sizes 1000 10000 100000] [--tyssue]

``--tyssue`` (needs the ``bench`` extra and Debian's libcgal-dev) compares one force evaluation with
tyssue's monolayer (``tyssue.Monolayer`` extruded from the same apical sheet, ``MonolayerGeometry``,
the ``SurfaceTension`` and ``CellVolumeElasticity`` effectors) on an open Voronoi patch (tyssue's 3D
geometry is not periodic) with the energy both implement, E = sum ga Sa + gb Sb + sum gl Sl
+ K_V/2 (V - V0)^2 (tyssue gives each cell its own copy of a shared lateral face: gl/2 on each), and
prints the energies' and forces' differences, then ns per vertex of both and their ratio; tyssue's time is
its geometry update plus its gradient. (The surface-tension forces agree to round-off; tyssue's volume
gradient is not the exact derivative of its volume, see bench/RESULTS.md.)
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


def open_patch(n_cells: int, height: float = 0.8):
    """An open Voronoi patch extruded by ``height`` (planar: apical +z, basal at z = -height)."""
    side = np.sqrt(n_cells)
    return Monolayer.from_sheet(Sheet.voronoi(n_cells, box=(side, side), lloyd=2, seed=1), height)


def tyssue_monolayer(m: Monolayer, apical_tension, basal_tension: float, lateral_tension: float, stiffness: float,
                     V0: float):
    """The same monolayer and energy in tyssue: (monolayer, geometry class, model)."""
    import pandas as pd
    from tyssue import Monolayer as TyssueMonolayer, MonolayerGeometry
    from tyssue.dynamics import effectors, model_factory
    from tyssue.generation import extrude

    sheet = m.sheet
    inside = np.flatnonzero(sheet.face[:sheet.n_half_edges] >= 0)
    twin_outside = sheet.face[sheet.twin[inside]] < 0
    vert = pd.DataFrame(m.apical_positions, columns=list("xyz"))
    edge = pd.DataFrame({"srce": sheet.origin[inside], "trgt": sheet.origin[sheet.twin[inside]],
                         "face": sheet.face[inside]})
    face = pd.DataFrame(np.zeros((m.n_cells, 3)), columns=list("xyz"))
    datasets = extrude({"vert": vert, "edge": edge, "face": face}, method="translation", vector=[0.0, 0.0, -1.0])
    datasets["vert"].loc[m.n_vertices:, list("xyz")] = m.basal_positions
    mono = TyssueMonolayer("bench", datasets)
    n_cells = m.n_cells
    tension = np.empty(len(mono.face_df))
    tension[:n_cells] = apical_tension
    tension[n_cells:2 * n_cells] = basal_tension
    # lateral face of apical half-edge e: index 2 n_cells + e; half the tension where a neighbour has its twin
    tension[2 * n_cells:] = np.where(twin_outside, 1.0, 0.5) * lateral_tension
    mono.face_df["surface_tension"] = tension
    mono.cell_df["vol_elasticity"] = stiffness
    mono.cell_df["prefered_vol"] = V0
    model = model_factory([effectors.SurfaceTension, effectors.CellVolumeElasticity])
    MonolayerGeometry.update_all(mono)
    return mono, MonolayerGeometry, model


def compare_with_tyssue(sizes, window: float) -> None:
    from tyssue.dynamics import effectors, model_factory

    print("\ntyssue comparison (open patch, E = sum ga Sa + gb Sb + gl Sl + K_V/2 (V - V0)^2); dE: relative energy "
          "difference, dF: largest force difference / largest force, of the surface tensions alone and in all")
    print(f"{'cells':>8} {'vertices':>9} {'dE':>8} {'dF tensions':>12} {'dF all':>8} {'morphosim ns/vertex':>20} "
          f"{'tyssue ns/vertex':>17} {'ratio':>7}")
    for n in sizes:
        m = open_patch(n)
        rng = np.random.default_rng(3)
        apical = rng.uniform(0.8, 1.2, m.n_cells)
        model = MonolayerModel(apical, 0.8, 1.5, volume_stiffness=50.0, V0=0.8)
        mono, geometry, tyssue_model = tyssue_monolayer(m, apical, 0.8, 1.5, 50.0, 0.8)
        energy = abs(model.energy(m) - tyssue_model.compute_energy(mono)) / abs(model.energy(m))

        def force_difference(ours_model, theirs_model):
            ours = np.vstack(ours_model.forces(m))
            theirs = -theirs_model.compute_gradient(mono)[["gx", "gy", "gz"]].to_numpy()
            return np.abs(ours - theirs).max() / np.abs(ours).max()

        tensions = force_difference(MonolayerModel(apical, 0.8, 1.5, volume_stiffness=0.0, V0=0.8),
                                    model_factory([effectors.SurfaceTension]))
        everything = force_difference(model, tyssue_model)
        out = (np.empty((m.n_vertices, 3)), np.empty((m.n_vertices, 3)))
        vertices = 2 * m.n_vertices
        ours_time = best_time(lambda: model.forces(m, out=out), window)

        def tyssue_force():
            geometry.update_all(mono)
            tyssue_model.compute_gradient(mono)

        theirs_time = best_time(tyssue_force, window)
        print(f"{n:>8} {vertices:>9} {energy:>8.0e} {tensions:>12.0e} {everything:>8.0e} "
              f"{1e9 * ours_time / vertices:>20.1f} {1e9 * theirs_time / vertices:>17.1f} {theirs_time / ours_time:>7.0f}")


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
    parser.add_argument("--tyssue", action="store_true", help="also compare forces and time with tyssue")
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
    if args.tyssue:
        compare_with_tyssue([300] if args.quick else [s for s in sizes if s <= 10000], window)


if __name__ == "__main__":
    main()
