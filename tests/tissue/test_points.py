"""Point operators: location, spreading/interpolation duality, strain rates."""

import numpy as np
import pytest

from morphosim.tissue import PointLocationError, PointOperator, StokesBrinkman, disk_mesh, ellipsoid_surface_mesh
from morphosim.tissue.meshes import rectangle_mesh
from dolfinx import fem


def linear_field(space, matrix, offset):
    """v(x) = M x + c, interpolated (exact in P2)."""
    gdim = space.mesh.geometry.dim
    v = fem.Function(space)
    v.interpolate(lambda x: matrix[:gdim, :gdim] @ x[:gdim] + offset[:gdim, None])
    return v


def test_power_balance_and_linear_fields_planar():
    mesh = disk_mesh(1.0, 0.15)
    solver = StokesBrinkman(mesh, mu=1.0, gamma=1.0)
    rng = np.random.default_rng(3)
    radius, angle = np.sqrt(rng.uniform(0, 0.95, 2000)), rng.uniform(0, 2 * np.pi, 2000)
    points = np.column_stack([radius * np.cos(angle), radius * np.sin(angle), np.zeros(2000)])
    operator = solver.point_operator(points)
    forces = rng.normal(size=(2000, 3))
    forces[:, 2] = 0.0
    velocity, _ = solver.solve(operator.spread(forces))
    assert np.abs(velocity.x.array).max() > 1e-3
    power_points = np.sum(forces * operator.interpolate(velocity))
    power_mesh = operator.spread(forces) @ velocity.x.array
    assert power_points == pytest.approx(power_mesh, rel=1e-13)
    # interpolation and strain rate of a linear field are exact
    gradient, offset = np.array([[0.3, -1.2, 0], [0.7, 0.1, 0], [0, 0, 0]]), np.array([0.5, -0.25, 0.0])
    field = linear_field(solver.velocity_space, gradient, offset)
    expected = points @ gradient.T + offset
    assert np.abs(operator.interpolate(field) - expected).max() < 1e-12
    strain = 0.5 * (gradient + gradient.T)
    assert np.abs(operator.strain_rate(field) - strain).max() < 1e-12
    assert np.abs(operator.field_values(field) - expected).max() < 1e-12


def test_update_relocates_moving_points():
    mesh = rectangle_mesh(2.0, 1.0, 0.1)
    space = fem.functionspace(mesh, ("Lagrange", 1))
    field = fem.Function(space)
    field.interpolate(lambda x: 2 * x[0] - x[1])
    points = np.array([[0.5, 0.5, 0.0], [1.5, 0.25, 0.0]])
    operator = PointOperator(space, points)
    assert operator.interpolate(field) == pytest.approx([0.5, 2.75])
    operator.update(points + [0.3, 0.1, 0.0])
    assert operator.interpolate(field) == pytest.approx([1.0, 3.25])
    assert operator.matrix.shape == (2, field.x.array.size)
    with pytest.raises(PointLocationError):
        operator.update(np.array([[5.0, 0.5, 0.0]]))
    with pytest.raises(ValueError):
        operator.update(np.zeros((3, 2)))


def test_surface_points_are_projected_and_strain_is_tangential():
    radii = np.array([1.5, 1.0, 1.0])
    mesh = ellipsoid_surface_mesh(tuple(radii), 0.2)
    space = fem.functionspace(mesh, ("Lagrange", 2, (3,)))
    rng = np.random.default_rng(5)
    directions = rng.normal(size=(3000, 3))
    points = radii * directions / np.linalg.norm(directions, axis=1, keepdims=True)
    operator = PointOperator(space, points * 1.002)  # slightly off the surface
    projected = operator.projected_points
    # projected onto the discrete (curved) surface: on the ellipsoid up to the geometry error
    assert np.abs(((projected / radii) ** 2).sum(axis=1) - 1).max() < 1e-3
    assert np.linalg.norm(projected - points, axis=1).max() < 0.02
    gradient = np.array([[0.1, 0.4, -0.3], [0.2, -0.5, 0.6], [0.0, 0.3, 0.2]])
    field = linear_field(space, gradient, np.zeros(3))
    assert np.abs(operator.interpolate(field) - projected @ gradient.T).max() < 1e-12
    strain = operator.strain_rate(field)
    normal = projected / radii**2
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    # strain is tangential: ε n = 0 (discrete normal ≈ exact normal), and equals P sym(∇v) P
    assert np.abs(np.einsum("pij,pj->pi", strain, normal)).max() < 0.02
    projector = np.eye(3) - normal[:, :, None] * normal[:, None, :]
    exact = projector @ (0.5 * (gradient + gradient.T)) @ projector
    assert np.abs(strain - exact).max() < 0.05


def test_many_points_are_located_with_numba():
    mesh = rectangle_mesh(10.0, 10.0, 0.1)
    space = fem.functionspace(mesh, ("Lagrange", 2, (2,)))
    rng = np.random.default_rng(7)
    points = np.column_stack([rng.uniform(0, 10, (100_000, 2)), np.zeros(100_000)])
    operator = PointOperator(space, points)
    field = linear_field(space, np.diag([1.0, 2.0, 0.0]), np.zeros(3))
    values = operator.interpolate(field)
    assert np.abs(values[:, :2] - points[:, :2] * [1.0, 2.0]).max() < 1e-11
