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


def same_matrix(a, b):
    return (np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
            and np.array_equal(a.data, b.data))


@pytest.mark.parametrize("surface", [False, True])
def test_incremental_location_equals_a_fresh_location(surface):
    """update() starts from each point's previous triangle; B must be bit for bit the one a fresh
    operator builds, for small moves (most points stay), points moved onto mesh nodes and edges
    (ties between triangles), large moves (most leave), and a changed number of points."""
    rng = np.random.default_rng(11)
    if surface:
        radii = np.array([1.5, 1.0, 1.0])
        mesh = ellipsoid_surface_mesh(tuple(radii), 0.25)
        space = fem.functionspace(mesh, ("Lagrange", 2, (3,)))

        def place(points):
            return points / np.linalg.norm(points / radii, axis=1, keepdims=True)   # radially onto the ellipsoid

        points = place(rng.normal(size=(1500, 3)))
    else:
        mesh = rectangle_mesh(4.0, 3.0, 0.2)
        space = fem.functionspace(mesh, ("Lagrange", 2, (2,)))

        def place(points):
            return np.column_stack([np.clip(points[:, 0], 0, 4), np.clip(points[:, 1], 0, 3), 0 * points[:, 0]])

        points = place(rng.uniform(0, 4, (1500, 3)))
    nodes = mesh.geometry.x
    edges = mesh.geometry.dofmaps[0][:, :2]   # two vertices of each triangle: one of its edges
    operator = PointOperator(space, points)
    for move in ["small", "onto nodes and edges", "large", "new count and order", "small"]:
        if move == "onto nodes and edges":
            points = points.copy()
            points[:50] = nodes[rng.choice(len(nodes), 50, replace=False)]
            points[50:100] = nodes[edges[:50]].mean(axis=1)
        elif move == "new count and order":
            points = np.vstack([points[:1000][::-1], place(rng.uniform(0, 3, (700, 3)))])
        else:
            points = place(points + rng.normal(0, 0.01 if move == "small" else 0.3, points.shape))
        operator.update(points)
        fresh = PointOperator(space, points)
        assert same_matrix(operator.matrix, fresh.matrix), move
        assert np.array_equal(operator.cells, fresh.cells), move


def test_points_deep_inside_a_closed_surface_are_located_on_their_nearest_surface_point():
    """Centroids of coarse cells on an egg lie far inside it (a cell capping a pole: at 60 % of the
    radius, as the apical-constriction shell of 100 cells has); they used to fail location."""
    radii = np.array([90.0, 90.0, 247.5])
    mesh = ellipsoid_surface_mesh(tuple(radii), 15.75)
    space = fem.functionspace(mesh, ("Lagrange", 2, (3,)))
    rng = np.random.default_rng(11)
    directions = rng.normal(size=(400, 3))
    on_surface = radii * directions / np.linalg.norm(directions, axis=1, keepdims=True)
    points = 0.6 * on_surface
    operator = PointOperator(space, points)
    nodes = mesh.geometry.x
    half_edge = 0.5 * 15.75
    depth = np.array([np.linalg.norm(nodes - point, axis=1).min() for point in points])
    assert (depth > 2 * half_edge).sum() > 100   # far beyond the former tolerance (half an edge)
    projected = operator.projected_points
    assert np.abs(((projected / radii) ** 2).sum(axis=1) - 1).max() < 2e-3   # on the surface
    # each on its nearest surface point: no mesh node is nearer (up to the node spacing)
    assert (np.linalg.norm(projected - points, axis=1) <= 1.01 * depth).all()
    assert (np.linalg.norm(projected - points, axis=1) > depth - half_edge).all()
    # points outside the egg are still refused, and the error says which
    outside = points.copy()
    outside[[3, 7]] = 2.0 * on_surface[[3, 7]]
    with pytest.raises(PointLocationError, match="2 of 400 points") as refused:
        operator.update(outside)
    assert refused.value.indices.tolist() == [3, 7]
