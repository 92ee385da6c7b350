"""Stokes–Brinkman: manufactured solutions with measured orders, rigid rotations, null spaces."""

import numpy as np
import pytest
import ufl
from tests.tissue.norms import l2_norm, rates

from morphosim.tissue import StokesBrinkman, ellipsoid_surface_mesh, rectangle_mesh
from morphosim.tissue.meshes import max_cell_size

MU, GAMMA = 1.3, 2.0


def planar_exact(mesh):
    """Divergence-free v vanishing on the unit square's boundary, zero-mean p."""
    x = ufl.SpatialCoordinate(mesh)
    psi = x[0] ** 2 * (1 - x[0]) ** 2 * x[1] ** 2 * (1 - x[1]) ** 2
    v = ufl.as_vector([psi.dx(1), -psi.dx(0)])
    p = ufl.sin(np.pi * x[0]) * ufl.cos(np.pi * x[1])
    return v, p


def errors(velocity, pressure, v, p, mesh, projector=None):
    grad_exact = ufl.grad(v) if projector is None else ufl.grad(v) * projector
    e_v = l2_norm(ufl.inner(velocity - v, velocity - v), mesh)
    e_g = l2_norm(ufl.inner(ufl.grad(velocity) - grad_exact, ufl.grad(velocity) - grad_exact), mesh)
    e_p = l2_norm((pressure - p) ** 2, mesh)
    return e_v, e_g, e_p


def check_orders(sizes, table):
    orders = rates(sizes, np.array(table))
    expected = np.array([3.0, 2.0, 2.0])  # velocity L2, velocity H1, pressure L2
    assert np.all(np.abs(orders - expected) <= 0.3), orders


def test_planar_taylor_hood_orders():
    sizes, table = [], []
    for n in (8, 16, 32):
        mesh = rectangle_mesh(1.0, 1.0, 1.0 / n)
        v, p = planar_exact(mesh)
        f = -ufl.div(2 * MU * ufl.sym(ufl.grad(v))) + ufl.grad(p) + GAMMA * v
        solver = StokesBrinkman(mesh, mu=MU, gamma=GAMMA, boundary="noslip")
        assert solver.constraint_names == ["pressure_mean"]
        velocity, pressure = solver.solve(body_force=f)
        sizes.append(max_cell_size(mesh))
        table.append(errors(velocity, pressure, v, p, mesh))
    check_orders(sizes, table)
    assert table[-1][0] < 2e-6


def sphere_exact(mesh, mu, gamma):
    """Tangential, surface-divergence-free v = n × ∇ψ (ψ = xyz) on the unit sphere, p = xy,
    and the strong-form force f = −2μ P div_Γ ε_Γ(v) + ∇_Γ p + γ v, with fields extended
    constantly along the normal (x → x/|x|) and the exact projector P = I − n nᵀ."""
    X = ufl.SpatialCoordinate(mesh)
    n = X / ufl.sqrt(ufl.dot(X, X))
    P = ufl.Identity(3) - ufl.outer(n, n)
    psi = n[0] * n[1] * n[2]
    v = ufl.cross(n, ufl.grad(psi))
    p = n[0] * n[1]
    strain = P * ufl.sym(ufl.grad(v) * P) * P
    i, j, k = ufl.indices(3)
    div_strain = ufl.as_vector(ufl.grad(strain)[i, j, k] * P[k, j], i)
    f = P * (-2 * mu * div_strain) + P * ufl.grad(p) + gamma * v
    return v, p, f


def surface_convergence(gamma):
    sizes, table = [], []
    for frequency in (4, 8, 16):
        mesh = ellipsoid_surface_mesh((1.0, 1.0, 1.0), 1.0515 / frequency)
        v, p, f = sphere_exact(mesh, 1.0, gamma)
        solver = StokesBrinkman(mesh, mu=1.0, gamma=gamma)
        velocity, pressure = solver.solve(body_force=f)
        normal = ufl.CellNormal(mesh)
        table.append(errors(velocity, pressure, v, p, mesh, ufl.Identity(3) - ufl.outer(normal, normal)))
        sizes.append(max_cell_size(mesh))
    return solver, sizes, table


def test_surface_taylor_hood_orders_with_friction():
    solver, sizes, table = surface_convergence(gamma=1.0)
    assert solver.constraint_names == ["pressure_mean"]
    check_orders(sizes, table)


def test_surface_without_friction_removes_rotations():
    """γ = 0 on the sphere: the three rotations are a null space, constrained away; the same
    orders are reached, and a pure torque load produces no flow."""
    solver, sizes, table = surface_convergence(gamma=0.0)
    assert solver.constraint_names == ["pressure_mean", "rotation_x", "rotation_y", "rotation_z"]
    check_orders(sizes, table)
    x = ufl.SpatialCoordinate(solver.mesh)
    velocity, _ = solver.solve(body_force=ufl.cross(ufl.as_vector([0.2, -1.0, 0.5]), x))
    assert np.abs(velocity.x.array).max() < 1e-8
    assert np.abs(solver.solver.multipliers()[1:]).max() > 0.1  # the torque went to the multipliers


def test_rigid_rotation_on_sphere_has_zero_strain_rate():
    mesh = ellipsoid_surface_mesh((1.0, 1.0, 1.0), 0.3)
    omega, gamma = np.array([0.3, -0.5, 0.8]), 2.0
    x = ufl.SpatialCoordinate(mesh)
    solver = StokesBrinkman(mesh, mu=1.0, gamma=gamma)
    velocity, pressure = solver.solve(body_force=gamma * ufl.cross(ufl.as_vector(omega), x))
    rng = np.random.default_rng(1)
    points = rng.normal(size=(500, 3))
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    operator = solver.point_operator(points)
    expected = np.cross(omega, operator.projected_points)
    assert np.abs(operator.interpolate(velocity) - expected).max() < 1e-8
    assert np.abs(solver.strain_rate_at(points)).max() < 1e-8
    assert np.abs(pressure.x.array).max() < 1e-8
    # a non-rigid flow, in contrast, has a strain rate
    velocity, _ = solver.solve(body_force=sphere_exact(mesh, 1.0, gamma)[2])
    assert np.abs(solver.strain_rate_at(points)).max() > 0.1


def test_periodic_brinkman_channel_profile():
    """Periodic in x, no-slip walls at y = 0, W, uniform force f: the Brinkman profile
    v(y) = f/γ (1 − cosh(κ(y − W/2)) / cosh(κ W/2)), κ = √(γ/μ)."""
    mu, gamma, force, width = 0.5, 8.0, 3.0, 1.0
    mesh = rectangle_mesh(2.0, width, 1.0 / 16, periodic=(True, False))
    solver = StokesBrinkman(mesh, mu=mu, gamma=gamma, boundary={"top": "noslip", "bottom": "noslip"})
    velocity, pressure = solver.solve(body_force=ufl.as_vector([force, 0.0]))
    y = np.linspace(0.0, width, 41)
    points = np.column_stack([0.37 + 0 * y, y, 0 * y])
    kappa = np.sqrt(gamma / mu)
    exact = force / gamma * (1 - np.cosh(kappa * (y - width / 2)) / np.cosh(kappa * width / 2))
    values = solver.point_operator(points).interpolate(velocity)
    assert np.abs(values[:, 0] - exact).max() < 5e-4 * exact.max()
    assert np.abs(values[:, 1:]).max() < 1e-5 * exact.max()
    # periodicity: the same velocity on the left and right sides
    sides = solver.point_operator(np.column_stack([0 * y, y, 0 * y])).interpolate(velocity)
    sides_right = solver.point_operator(np.column_stack([2 + 0 * y, y, 0 * y])).interpolate(velocity)
    assert np.abs(sides - sides_right).max() < 1e-12


def test_slip_walls_give_plug_flow():
    """Free-slip walls and a periodic direction: a uniform force gives the uniform flow f/γ."""
    mesh = rectangle_mesh(2.0, 1.0, 0.125, periodic=(True, False))
    solver = StokesBrinkman(mesh, mu=1.0, gamma=4.0, boundary="slip")
    velocity, _ = solver.solve(body_force=ufl.as_vector([2.0, 0.0]))
    values = velocity.x.array.reshape(-1, 2)
    assert np.abs(values[:, 0] - 0.5).max() < 1e-8 and np.abs(values[:, 1]).max() < 1e-8


def test_compressible_sheet_orders():
    """Bulk viscosity instead of pressure: σ = 2μ ε(v) + λ (∇·v) I, with a compressible v."""
    lam = 3.0
    sizes, table = [], []
    for n in (8, 16):
        mesh = rectangle_mesh(1.0, 1.0, 1.0 / n)
        x = ufl.SpatialCoordinate(mesh)
        bubble = x[0] * (1 - x[0]) * x[1] * (1 - x[1])
        v = ufl.as_vector([bubble * ufl.sin(x[1]), bubble * x[0]])
        sigma = 2 * MU * ufl.sym(ufl.grad(v)) + lam * ufl.div(v) * ufl.Identity(2)
        solver = StokesBrinkman(mesh, mu=MU, gamma=GAMMA, compressible=True, bulk_viscosity=lam)
        velocity, pressure = solver.solve(body_force=-ufl.div(sigma) + GAMMA * v)
        assert pressure is None and solver.constraint_names == []
        sizes.append(max_cell_size(mesh))
        table.append(l2_norm(ufl.inner(velocity - v, velocity - v), mesh))
    assert abs(rates(sizes, table)[0] - 3.0) < 0.3


def test_free_sheet_without_friction_constrains_rigid_motions():
    mesh = rectangle_mesh(1.0, 1.0, 0.25)
    solver = StokesBrinkman(mesh, mu=1.0, gamma=0.0, boundary="free")
    assert solver.constraint_names == ["translation_x", "translation_y", "rotation_z"]
    x = ufl.SpatialCoordinate(mesh)
    velocity, _ = solver.solve(body_force=ufl.as_vector([1.0, 0.0]) + ufl.as_vector([-x[1], x[0]]))
    assert np.abs(velocity.x.array).max() < 1e-10  # a net force and torque: nothing resists, nothing moves


@pytest.mark.parametrize(
    "kwargs",
    [{"mu": 0.0}, {"gamma": -1.0}, {"boundary": "sticky"}, {"boundary": {"north": "noslip"}}],
)
def test_bad_solver_arguments_raise(kwargs):
    with pytest.raises(ValueError):
        StokesBrinkman(rectangle_mesh(1.0, 1.0, 0.5), **kwargs)
