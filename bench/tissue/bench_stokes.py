"""Stokes–Brinkman timings against the number of unknowns, beside a plain DOLFINx solve.

    .venv/bin/python bench/tissue/bench_stokes.py [--quick]

For each mesh: morphosim's one-off assembly and MUMPS factorization, then the per-step cost
(spread 10^4 point forces, re-solve with the kept factorization, interpolate back), next to the
same problem solved by an untuned dolfinx.fem.petsc.LinearProblem (MUMPS LU, the recipe of its
docstring), which re-assembles and re-factorizes on every solve. Also the point-location time
for 10^5 points: located afresh (bucket search for every point), and re-located after a small
move (what a time step does: each point starts from its previous triangle). The factorization
is L D Lᵀ (the operator is symmetric); the plain reference uses L U.
Target (docs/DESIGN.md): re-solve at ~4e4 unknowns <= 30 ms.
The machine is shared: timings are noisy, take the minimum of repeats and re-run.
"""

import sys
import time

import numpy as np
import ufl

from morphosim.tissue import StokesBrinkman, ellipsoid_surface_mesh, rectangle_mesh
from dolfinx.fem import petsc as fem_petsc
from morphosim.threads import configure

configure()   # the thread defaults the morphosim command uses

REPEATS = 5


def best_time(function, repeats=REPEATS):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def sample_points(solver, count, rng):
    mesh = solver.mesh
    if solver.surface:
        points = rng.normal(size=(count, 3))
        return points / np.linalg.norm(points, axis=1, keepdims=True)
    lo, hi = mesh.geometry.x.min(axis=0), mesh.geometry.x.max(axis=0)
    points = rng.uniform(lo, hi, size=(count, 3))
    points[:, 2] = 0.0
    return points


def nudge(solver, points, rng, step):
    """Points moved by about step (a time step's displacement), kept on the surface or in the box."""
    moved = points + rng.normal(0.0, step, points.shape)
    if solver.surface:
        return moved / np.linalg.norm(moved, axis=1, keepdims=True)
    lo, hi = solver.mesh.geometry.x.min(axis=0), solver.mesh.geometry.x.max(axis=0)
    moved[:, 2] = 0.0
    return np.clip(moved, lo, hi)


def measure(mesh, boundary):
    rng = np.random.default_rng(0)
    solver = StokesBrinkman(mesh, mu=1.0, gamma=1.0, boundary=boundary)
    points = sample_points(solver, 10_000, rng)
    operator = solver.point_operator(points)
    forces = rng.normal(size=points.shape)
    if not solver.surface:
        forces[:, 2] = 0.0
    load = operator.spread(forces)
    resolve = best_time(lambda: solver.solve(load))
    step = best_time(lambda: operator.interpolate(solver.solve(operator.spread(forces))[0]))
    many = sample_points(solver, 100_000, rng)
    locate = best_time(lambda: solver.point_operator(many), repeats=3)
    moving = solver.point_operator(many)
    moved = nudge(solver, many, rng, 0.02 * solver.mesh_size)

    def step_back_and_forth():
        moving.update(moved)
        moving.update(many)

    relocate = best_time(step_back_and_forth) / 2

    # the plain reference: same bilinear form, a body force, LinearProblem with MUMPS
    x = ufl.SpatialCoordinate(mesh)
    force = ufl.as_vector([x[1], -x[0]] + ([x[0] * x[1]] if solver.surface else []))
    w = solver._test_velocity
    problem = fem_petsc.LinearProblem(
        solver.bilinear_form,
        ufl.inner(force, w) * ufl.dx,
        bcs=solver.bcs,
        petsc_options_prefix="plain_stokes_",
        petsc_options={
            "ksp_type": "preonly",
            "pc_type": "lu",
            "pc_factor_mat_solver_type": "mumps",
            "mat_mumps_icntl_24": 1,  # null pivots: the pressure constant on closed domains
        },
    )
    plain = best_time(problem.solve, repeats=2)
    return solver.num_unknowns, solver.timings, resolve, step, locate, relocate, plain


def main():
    quick = "--quick" in sys.argv
    planar = [0.015] if quick else [0.015, 0.0075, 0.0042]  # ~4e4, ~1.6e5, ~5e5 unknowns
    surface = [0.06] if quick else [0.12, 0.06, 0.04]  # ~1e4, ~4e4, ~1e5 unknowns
    header = (
        f"{'case':>8} {'unknowns':>9} | {'assemble':>9} {'factorize':>9} {'re-solve':>9} {'step':>9}"
        f" {'locate1e5':>9} {'relocate':>9} | {'plain solve':>11} {'ratio':>7}"
    )
    print("times in ms; step = spread 1e4 point forces + re-solve + interpolate; plain = LinearProblem.solve")
    print(header)
    print("-" * len(header))
    cases = [("planar", h, lambda h: rectangle_mesh(1.0, 1.0, h), {"all": "noslip", "top": "free"}) for h in planar]
    cases += [("surface", h, lambda h: ellipsoid_surface_mesh((1.0, 1.0, 1.0), h), "noslip") for h in surface]
    for name, h, build, boundary in cases:
        unknowns, timings, resolve, step, locate, relocate, plain = measure(build(h), boundary)
        print(
            f"{name:>8} {unknowns:>9d} | {1e3 * timings['assemble']:>9.1f} {1e3 * timings['factorize']:>9.1f}"
            f" {1e3 * resolve:>9.2f} {1e3 * step:>9.2f} {1e3 * locate:>9.1f} {1e3 * relocate:>9.1f}"
            f" | {1e3 * plain:>11.1f}"
            f" {plain / resolve:>6.0f}x",
            flush=True,
        )


if __name__ == "__main__":
    main()
