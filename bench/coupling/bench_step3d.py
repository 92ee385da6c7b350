"""One coupled 3D step of the flagship (scenarios/gastrulation.yaml): ~6000 cells as a monolayer in
the egg's yolk flow of ~10^5 unknowns, split by scale. Target: <= 250 ms per coupled step on 2 cores.

A coupled step here is what the motion repeats: forces on both layers, the flow loaded by them
(b = B^T F, one solve with the factorized operator), B v at the vertices, the move over the run's
coupled step h = dt / (coupled steps per coupling step), in the sub-steps of the cells' own stability
bound it holds (each a force evaluation and the bound). A coupling step
of the scenario (dt) also advances the genes once and re-estimates the stability bound every
RATE_EVERY steps; it holds as many coupled steps as that bound asks for, printed beside it.
Reference: the same flow with a plain (untuned) DOLFINx LinearProblem solve per step, timed once.
Run: .venv/bin/python bench/coupling/bench_step3d.py [--quick] [--set key.path=value ...]
(--quick: the 300-cell small variant; --set: scenario overrides as for `morphosim run`, e.g. an
intermediate size: --set cells.geometry.n_cells=1500 --set tissue.flow.mesh_size=40)
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from morphosim import Simulation
from morphosim.coupling.simulation import coupled_substeps
from morphosim.threads import configure

configure()   # the thread defaults the morphosim command uses

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def coupled_step_phases(simulation: Simulation, h: float, repeats: int) -> dict:
    """Median ms of each phase of one coupled step of length h (forces, flow, move) over `repeats` steps."""
    body, flow = simulation.body, simulation.flow
    rows = []
    for _ in range(repeats):
        start = time.perf_counter()
        forces = body.forces()
        after_forces = time.perf_counter()
        velocity = flow.vertex_velocity(body.positions, forces)
        after_flow = time.perf_counter()
        body.move(h, velocity, forces)
        end = time.perf_counter()
        rows.append((after_forces - start, after_flow - after_forces, end - after_flow, end - start))
    return dict(zip(("forces", "flow", "move", "total"), 1e3 * np.median(rows, axis=0)))


def flow_split(simulation: Simulation, repeats: int = 5) -> dict:
    """Median ms of the flow phase's parts at the current state: re-locating the vertices (each in its
    previous tetrahedron or among the boundary faces around it), b = B^T F, the solve, B v."""
    body, coupling = simulation.body, simulation.flow
    positions, forces = body.positions, body.forces()
    operator, stokes = coupling.vertices, coupling.flow
    parts = {"locate": lambda: operator.update(positions), "spread": lambda: operator.spread(forces),
             "solve": lambda: stokes.solve(load=operator.spread(forces)),
             "interpolate": lambda: operator.interpolate(stokes.velocity)}
    split = {}
    for name, part in parts.items():
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            part()
            times.append(time.perf_counter() - start)
        split[name] = 1e3 * float(np.median(times))
    split["solve"] -= split["spread"]
    return split


def plain_dolfinx_solve_ms(simulation: Simulation) -> float:
    """One solve of the same Stokes system with dolfinx.fem.petsc.LinearProblem (assembly, MUMPS LU with
    null-pivot detection for the rigid motions, solve: the recipe of its docstring)."""
    import ufl
    from dolfinx.fem.petsc import LinearProblem

    stokes = simulation.flow.flow
    x = ufl.SpatialCoordinate(stokes.mesh)
    load = ufl.inner(ufl.as_vector([x[1], -x[0], 0.0]), stokes._test_velocity) * ufl.dx
    problem = LinearProblem(stokes.bilinear_form, load, bcs=stokes.bcs, petsc_options_prefix="plain_step3d_",
                            petsc_options={"ksp_type": "preonly", "pc_type": "lu", "pc_factor_mat_solver_type": "mumps",
                                           "mat_mumps_icntl_24": 1, "mat_mumps_icntl_14": 200})
    start = time.perf_counter()
    problem.solve()
    return 1e3 * (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the 300-cell small variant")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a scenario override (repeatable), as morphosim run --set")
    args = parser.parse_args()
    scenario = SCENARIOS / ("gastrulation_small.yaml" if args.quick else "gastrulation.yaml")
    started = time.perf_counter()
    simulation = Simulation.from_scenario(scenario, overrides=["cells.monolayer.relax_steps=0", *args.set])
    build_s = time.perf_counter() - started
    started = time.perf_counter()
    coupled_step_phases(simulation, simulation.dt / 1e4, repeats=1)     # compile every kernel
    warm_up_s = time.perf_counter() - started
    started = time.perf_counter()
    rate = simulation._coupled_rate()               # the stability estimate a coupling step starts with
    rate_s = time.perf_counter() - started
    n_substeps = coupled_substeps(simulation.dt, rate)
    h = simulation.dt / n_substeps                  # the coupled step of the run
    monolayer = simulation.body.monolayer
    # the cells' own F/xi motion sub-steps within its bound inside the move
    inner = int(np.ceil(h / simulation.body.integrator.stable_dt(monolayer)))
    phases = coupled_step_phases(simulation, h, repeats=5)
    print(f"{scenario.name}: {monolayer.n_cells} cells, {2 * monolayer.n_vertices} vertices (both layers), "
          f"{simulation.flow.flow.num_unknowns} flow unknowns; build {build_s:.1f} s (of which factorize "
          f"{simulation.flow.flow.timings['factorize']:.1f} s), first step {warm_up_s:.1f} s (compile)")
    print(f"coupled step of {h:.3g} min, ms (median of 5): forces {phases['forces']:.1f}  flow {phases['flow']:.1f}  "
          f"move {phases['move']:.1f} ({inner} sub-steps of the cells' own bound)  total {phases['total']:.1f}   "
          "(target <= 250)")
    split = flow_split(simulation)
    print("flow phase, ms: " + "  ".join(f"{name} {value:.1f}" for name, value in split.items()))
    print(f"reference: one plain DOLFINx LinearProblem solve of the same flow: {plain_dolfinx_solve_ms(simulation):.0f} ms")
    print(f"stability: rate {rate:.3g}/min ({rate_s:.1f} s to estimate) -> {n_substeps} coupled steps per coupling "
          f"step dt = {simulation.dt:g} min, ~{n_substeps * phases['total'] / 1e3:.1f} s per coupling step")
    steps = round(float(simulation.scenario["time"]["end"]) / simulation.dt)
    print(f"the whole run ({steps} coupling steps to t = {simulation.scenario['time']['end']:g} min) at this rate: "
          f"~{steps * n_substeps * phases['total'] / 6e4:.0f} min (the bound changes as the cells deform)")


if __name__ == "__main__":
    main()
