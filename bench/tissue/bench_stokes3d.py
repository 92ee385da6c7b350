"""3D Stokes–Brinkman in a ball (the egg's interior): timings and memory against the number of
unknowns, beside a plain DOLFINx solve; point operators for 2×10⁴ points.

    .venv/bin/python bench/tissue/bench_stokes3d.py [--quick]

For each mesh: morphosim's one-off assembly and setup (MUMPS L D Lᵀ factorization, or the AMG
block preconditioner of MINRES), the re-solve per step, and the process's resident memory after
setup, next to the same problem solved by an untuned dolfinx.fem.petsc.LinearProblem (MUMPS LU,
the recipe of its docstring; it re-assembles and re-factorizes on every solve). The iterative
rows force solver="iterative" (rtol 1e-8, its iteration count shown). Points: 2×10⁴ points in the
ball located afresh, and one time step's work (re-locate after a small move from the previous
tetrahedra, spread forces, interpolate the velocity).
Targets (docs/DESIGN.md): re-solve at ~1e5 unknowns <= 0.3 s; locate + spread + interpolate of
2e4 points <= 10 ms. The machine is shared: timings are noisy, take the minimum of repeats.
"""

import sys
import time

import numpy as np
import ufl

from bench_stokes import best_time   # this script's folder is on sys.path when it runs
from morphosim.tissue import StokesBrinkman, ball_mesh
from dolfinx.fem import petsc as fem_petsc


def resident_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20


def points_in_ball(rng, count, radius):
    directions = rng.normal(size=(count, 3))
    return directions * (radius * rng.uniform(0, 1, count) ** (1 / 3) / np.linalg.norm(directions, axis=1))[:, None]


def measure(mesh_size, solver_kind, plain):
    mesh = ball_mesh(1.0, mesh_size)
    before = resident_mb()
    solver = StokesBrinkman(mesh, mu=1.0, gamma=1.0, solver=solver_kind,
                            rtol=1e-8 if solver_kind == "iterative" else 1e-10)
    memory = resident_mb() - before
    rng = np.random.default_rng(0)
    points = points_in_ball(rng, 20_000, 0.95)
    operator = solver.point_operator(points)
    forces = rng.normal(size=points.shape)
    load = operator.spread(forces)
    resolve = best_time(lambda: solver.solve(load), repeats=3)
    iterations = getattr(solver.solver, "iterations", 0)
    locate = best_time(lambda: solver.point_operator(points), repeats=3)
    moved = points + rng.normal(0.0, 0.02 * mesh_size, points.shape)

    def step():   # one time step's point work: relocate, spread, interpolate (and back)
        operator.update(moved)
        operator.interpolate(solver.velocity)
        operator.spread(forces)
        operator.update(points)
        operator.interpolate(solver.velocity)
        operator.spread(forces)

    point_step = best_time(step, repeats=5) / 2
    plain_time = np.nan
    if plain:
        x = ufl.SpatialCoordinate(mesh)
        problem = fem_petsc.LinearProblem(
            solver.bilinear_form, ufl.inner(ufl.as_vector([x[1], -x[0], x[0] * x[2]]), solver._test_velocity) * ufl.dx,
            bcs=solver.bcs, petsc_options_prefix="plain_stokes3d_",
            petsc_options={"ksp_type": "preonly", "pc_type": "lu", "pc_factor_mat_solver_type": "mumps",
                           "mat_mumps_icntl_24": 1})   # null pivots: the pressure constant
        plain_time = best_time(problem.solve, repeats=1)
    return (solver.num_unknowns, solver.timings, resolve, iterations, memory, locate, point_step, plain_time)


def main():
    quick = "--quick" in sys.argv
    direct = [0.25] if quick else [0.2, 0.12]
    iterative = [0.25] if quick else [0.12, 0.085]
    header = (f"{'solver':>9} {'unknowns':>9} | {'assemble':>9} {'setup':>9} {'re-solve':>9} {'its':>4} {'MB':>6}"
              f" | {'locate2e4':>9} {'pt step':>8} | {'plain solve':>11} {'ratio':>6}")
    print("times in ms; setup = factorization or preconditioner; pt step = relocate + spread + interpolate,"
          " 2e4 points; plain = LinearProblem.solve")
    print(header)
    print("-" * len(header))
    for kind, sizes in (("direct", direct), ("iterative", iterative)):
        for h in sizes:
            unknowns, timings, resolve, its, memory, locate, point_step, plain = measure(h, kind, kind == "direct")
            print(f"{kind:>9} {unknowns:>9d} | {1e3 * timings['assemble']:>9.1f} {1e3 * timings['factorize']:>9.1f}"
                  f" {1e3 * resolve:>9.1f} {its:>4d} {memory:>6.0f} | {1e3 * locate:>9.1f} {1e3 * point_step:>8.2f}"
                  f" | {1e3 * plain:>11.1f} {plain / resolve:>5.0f}x", flush=True)


if __name__ == "__main__":
    main()
