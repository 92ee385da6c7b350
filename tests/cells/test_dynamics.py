"""Overdamped integrator: stability bound, sub-steps, external velocity."""

import numba
import numpy as np
import pytest

from morphosim.cells import Overdamped, Sheet, VertexModel, dynamics, energy, move_vertices


def hessian_largest_eigenvalue(sheet, model, step=1e-6):
    """lambda_max of the energy Hessian by central differences of the analytic forces."""
    dims = 3 if sheet.is_shell else 2
    n = sheet.n_vertices * dims
    hessian = np.zeros((n, n))
    for v in range(sheet.n_vertices):
        for d in range(dims):
            x0 = sheet.vertices[v, d]
            sheet.vertices[v, d] = x0 + step
            f_plus = model.forces(sheet)[:, :dims].ravel()
            sheet.vertices[v, d] = x0 - step
            f_minus = model.forces(sheet)[:, :dims].ravel()
            sheet.vertices[v, d] = x0
            hessian[:, v * dims + d] = -(f_plus - f_minus) / (2 * step)
    return np.linalg.eigvalsh(0.5 * (hessian + hessian.T)).max()


@pytest.mark.parametrize("kind", ["planar", "periodic"])
def test_stiffness_bound_is_above_hessian_spectrum(kind, rng, small_sheet, random_model):
    sheet = small_sheet(kind)
    sheet.vertices[: sheet.n_vertices, :2] += rng.normal(0.0, 0.03, (sheet.n_vertices, 2))
    model = random_model(sheet.n_cells, rng)
    model.forces(sheet)
    bound = model.stiffness_bound(sheet)
    largest = hessian_largest_eigenvalue(sheet, model)
    assert largest <= bound
    assert bound < 100 * largest  # and not uselessly loose


def test_large_step_is_split_into_stable_substeps():
    sheet = Sheet.voronoi(40, box=(6.3, 6.3), periodic=True, seed=7)
    model = VertexModel(K=1.0, A0=1.0, Gamma=0.04, Lambda=0.12)
    integrator = Overdamped(model, xi=2.0)
    dt_stable = integrator.stable_dt(sheet)
    energy = model.energy(sheet)
    substeps = integrator.step(sheet, dt=25 * dt_stable)
    # the bound is re-evaluated every sub-step (short edges lengthen, so it grows as it relaxes)
    assert 2 <= substeps <= 25
    assert model.energy(sheet) < energy
    assert sheet.check()
    assert integrator.step(sheet, dt=0.99 * integrator.stable_dt(sheet)) == 1


def test_external_velocity_advects_vertices_without_forces():
    sheet = Sheet.hexagonal(4, 4, periodic=True)
    start = sheet.positions.copy()
    integrator = Overdamped(VertexModel(K=0.0, Gamma=0.0, Lambda=0.0), xi=1.0)
    velocity = np.tile([0.3, -0.2, 0.0], (sheet.n_vertices, 1))
    assert integrator.step(sheet, dt=0.5, v_ext=velocity) == 1
    moved = start + 0.5 * velocity
    moved[:, :2] %= sheet.box[:2]
    assert sheet.positions == pytest.approx(moved, abs=1e-12)
    with pytest.raises(ValueError, match="v_ext must have shape"):
        integrator.step(sheet, dt=0.1, v_ext=velocity[:-1])


def test_overdamped_step_is_explicit_euler():
    """One sub-step moves every vertex by dt F / xi exactly."""
    sheet = Sheet.voronoi(20, box=(4.5, 4.5), seed=3)
    model = VertexModel(K=1.0, A0=1.0, Gamma=0.04, Lambda=0.12)
    integrator = Overdamped(model, xi=3.0)
    dt = 0.5 * integrator.stable_dt(sheet)
    expected = sheet.positions + dt * model.forces(sheet) / 3.0
    assert integrator.step(sheet, dt) == 1
    assert sheet.positions == pytest.approx(expected, abs=1e-14)


@pytest.mark.parametrize("kind", ["planar", "periodic", "shell"])
def test_step_kernel_equals_force_evaluations_and_moves(kind, rng, small_sheet, random_model):
    """All sub-steps of a step run in one kernel (each vertex's force applied as it is summed, never
    stored); they move the vertices exactly, bit for bit, as the forces of
    VertexModel.forces_and_bound applied by move_vertices, one sub-step at a time."""
    model = random_model(small_sheet(kind).n_cells, rng)
    velocity = rng.normal(0.0, 0.1, (small_sheet(kind).n_vertices, 3))
    if kind != "shell":
        velocity[:, 2] = 0.0
    sheet = small_sheet(kind)
    integrator = Overdamped(model, xi=1.5, min_edge_length=0.05)
    dt = 3.5 * integrator.stable_dt(sheet)
    substeps = integrator.step(sheet, dt, v_ext=velocity)
    assert substeps >= 4

    reference = small_sheet(kind)
    forces = np.empty((reference.n_vertices, 3))
    remaining, taken = dt, 0
    while remaining > 0.0:
        bound = model.forces_and_bound(reference, forces, edge_floor=0.05)
        h = dynamics.substep_length(remaining, bound, 1.5)
        move_vertices(reference.vertices, forces, velocity, reference.n_vertices, h, 1.0 / 1.5, reference.boundary)
        remaining = dynamics.remaining_after(remaining, h, dt)
        taken += 1
    assert taken == substeps
    assert np.array_equal(sheet.positions, reference.positions)


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs two numba threads")
@pytest.mark.parametrize("kind", ["planar", "periodic", "shell"])
def test_steps_do_not_depend_on_the_thread_count(kind, rng, small_sheet, random_model, monkeypatch):
    """Forces and moves split over two threads give the same positions, bit for bit, as one thread
    (which runs the same passes without a parallel region)."""
    monkeypatch.setattr(energy, "PARALLEL_MIN_VERTICES", 0)  # small sheets run in parallel too
    model = random_model(small_sheet(kind).n_cells, rng)
    velocity = rng.normal(0.0, 0.1, (small_sheet(kind).n_vertices, 3))
    if kind != "shell":
        velocity[:, 2] = 0.0
    positions = []
    threads = numba.get_num_threads()
    try:
        for n_threads in (1, 2):
            numba.set_num_threads(n_threads)
            sheet = small_sheet(kind)
            integrator = Overdamped(model, xi=1.0)
            dt = 0.5 * integrator.stable_dt(sheet)
            for _ in range(5):
                integrator.step(sheet, dt, v_ext=velocity)
            positions.append(sheet.positions.copy())
    finally:
        numba.set_num_threads(threads)
    assert np.array_equal(positions[0], positions[1])
    assert np.abs(positions[0] - small_sheet(kind).positions).max() > 1e-3  # the vertices did move
