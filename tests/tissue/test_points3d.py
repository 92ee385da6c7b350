"""Point operators on tetrahedra: exact interpolation and strain rate of Lamb's flow, power
balance, spread load sums, momentum-free internal forces, incremental relocation."""

import numba
import numpy as np
import pytest
import ufl
from mpi4py import MPI
from tests.tissue.test_stokes3d import MU, R, U, lamb_velocity

from dolfinx import fem
from morphosim.tissue import PointLocationError, StokesBrinkman, ball_mesh


def points_in_ball(rng, n, radius):
    directions = rng.normal(size=(n, 3))
    return directions * (radius * rng.uniform(0, 1, n) ** (1 / 3) / np.linalg.norm(directions, axis=1))[:, None]


@pytest.fixture(scope="module")
def ball():
    return ball_mesh(R, 0.3)


def test_lamb_flow_values_strain_rate_and_pressure_at_points(ball):
    solver = StokesBrinkman(ball, mu=MU)
    velocity, pressure = solver.solve(wall_velocity=lamb_velocity)
    rng = np.random.default_rng(5)
    points = points_in_ball(rng, 3000, 0.9 * R)   # inside the inscribed polyhedron
    operator = solver.point_operator(points)
    assert np.abs(operator.interpolate(velocity) - lamb_velocity(points.T).T).max() < 1e-12
    x, y, z = points.T
    gradient = np.zeros((len(points), 3, 3))   # ∇u of u = U/R² (zx, zy, R² − 2r² + z²)
    gradient[:, 0, 0], gradient[:, 0, 2] = z, x
    gradient[:, 1, 1], gradient[:, 1, 2] = z, y
    gradient[:, 2, 0], gradient[:, 2, 1], gradient[:, 2, 2] = -4 * x, -4 * y, -2 * z
    gradient *= U / R**2
    strain = solver.strain_rate_at(points)
    assert np.abs(strain - 0.5 * (gradient + gradient.transpose(0, 2, 1))).max() < 1e-11
    assert np.abs(np.trace(strain, axis1=1, axis2=2)).max() < 1e-11   # incompressible
    difference = operator.field_values(pressure) + 10 * MU * U * z / R**2
    assert np.ptp(difference) < 1e-10 * MU * U   # the exact pressure up to a constant


def test_power_balance_and_spread_load_sum(ball):
    solver = StokesBrinkman(ball, mu=1.0, gamma=0.3)
    rng = np.random.default_rng(6)
    points = points_in_ball(rng, 4000, 0.95 * R)
    forces = rng.normal(size=(4000, 3))
    operator = solver.point_operator(points)
    load = operator.spread(forces)
    # ∫ of the spread load: the basis is a partition of unity, so each component sums to Σ F
    assert np.abs(load.reshape(-1, 3).sum(axis=0) - forces.sum(axis=0)).max() < 1e-11
    velocity, _ = solver.solve(load)
    assert np.abs(velocity.x.array).max() > 1e-3
    assert np.sum(forces * operator.interpolate(velocity)) == pytest.approx(load @ velocity.x.array, rel=1e-13)
    assert np.abs(operator.matrix.T @ forces.ravel() - load).max() < 1e-13


def momentum(velocity, mesh):
    """(∫ v dx, ∫ x × v dx)."""
    x = ufl.SpatialCoordinate(mesh)

    def integral(expression):
        return mesh.comm.allreduce(fem.assemble_scalar(fem.form(expression * ufl.dx)), op=MPI.SUM)

    moment = ufl.cross(x, velocity)
    return np.array([integral(velocity[k]) for k in range(3)]), np.array([integral(moment[k]) for k in range(3)])


def test_internal_forces_drive_no_net_translation_or_rotation(ball):
    """Free boundary, friction γ: testing with a rigid motion z (ε(z) = 0, ∇·z = 0) gives
    γ ∫ v·z = Σ F·z(r_i), zero for pair forces along the lines joining the pairs."""
    solver = StokesBrinkman(ball, mu=1.0, gamma=0.5, boundary="free")
    assert solver.constraint_names == []
    rng = np.random.default_rng(7)
    first, second = points_in_ball(rng, 1500, 0.9 * R), points_in_ball(rng, 1500, 0.9 * R)
    pull = rng.normal(size=(1500, 1)) * (second - first)   # central pair forces
    points, forces = np.vstack([first, second]), np.vstack([pull, -pull])
    operator = solver.point_operator(points)
    velocity, _ = solver.solve(operator.spread(forces))
    linear, angular = momentum(velocity, ball)
    scale = np.abs(velocity.x.array).max()
    assert scale > 1e-3
    assert np.abs(linear).max() < 1e-12 * scale and np.abs(angular).max() < 1e-12 * scale
    # a net torque does rotate the fluid: the check can fail
    twisted = forces + np.cross([0.0, 0.0, 1.0], points)
    linear, angular = momentum(solver.solve(operator.spread(twisted))[0], ball)
    expected = np.sum(np.cross(points, np.cross([0.0, 0.0, 1.0], points)), axis=0) / solver.gamma
    assert angular == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("where", ["inside", "at the wall"])
def test_incremental_relocation_equals_fresh_search(ball, where):
    """update() starts from each point's previous tetrahedron, or for a point just outside the mesh
    (a cell's apical vertex at the egg's wall) from the boundary faces around it: the result is bit
    for bit a fresh search's, while many points change tetrahedron; and the same on one thread as on
    all of them (the points are split over the threads)."""
    solver = StokesBrinkman(ball, mu=1.0, gamma=0.1)
    rng = np.random.default_rng(8)

    def place(points):
        if where == "inside":
            return points * np.minimum(1.0, 0.95 * R / np.linalg.norm(points, axis=1))[:, None]
        # within ±1 % of the sphere: mostly outside the inscribed polyhedron, some inside
        radius = np.clip(np.linalg.norm(points, axis=1), 0.99 * R, 1.01 * R)
        return points * (radius / np.linalg.norm(points, axis=1))[:, None]

    points = place(points_in_ball(rng, 5000, 0.95 * R))
    operator = solver.point_operator(points)
    for size in (0.03, 0.03, 0.3, 0.03):   # a tenth of a cell: many points change tetrahedron; a cell: most
        points = place(points + size * rng.normal(size=points.shape))
        before = operator.cells.copy()
        operator.update(points)
        fresh = solver.point_operator(points)
        assert np.array_equal(operator.cells, fresh.cells)
        assert np.array_equal(operator.reference_points, fresh.reference_points)
        assert (operator.cells != before).sum() > 100
    if where == "at the wall":
        outside = np.linalg.norm(operator.projected_points - points, axis=1) > 0.0
        assert outside.sum() > 2500
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        alone = solver.point_operator(points)
        alone.update(place(points + 0.03 * rng.normal(size=points.shape)))
    finally:
        numba.set_num_threads(threads)
    operator.update(alone.points)
    assert np.array_equal(operator.cells, alone.cells)
    assert np.array_equal(operator.reference_points, alone.reference_points)


def test_points_just_outside_are_projected_and_far_points_rejected(ball):
    solver = StokesBrinkman(ball, mu=1.0)
    direction = np.array([[0.6, 0.0, 0.8]])
    operator = solver.point_operator(1.001 * R * direction)   # beyond the inscribed polyhedron
    projected = operator.projected_points
    assert 0.95 * R < np.linalg.norm(projected) <= R + 1e-12
    with pytest.raises(PointLocationError, match="tolerance"):
        solver.point_operator(2.0 * R * direction)
