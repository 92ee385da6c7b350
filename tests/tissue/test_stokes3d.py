"""Stokes–Brinkman in 3D (tetrahedra): an exact polynomial flow on a ball and an ellipsoid,
layered viscosities, convergence orders in a box, direct against iterative solves."""

import numpy as np
import pytest
import ufl
from mpi4py import MPI
from tests.tissue.norms import l2_norm, rates

from petsc4py import PETSc

from dolfinx import fem
from dolfinx.fem import petsc as fem_petsc
from morphosim.tissue import StokesBrinkman, ball_mesh, box_mesh, ellipsoid_surface_mesh, ellipsoid_volume_mesh
from morphosim.tissue.linalg import FactorizedOperator
from morphosim.tissue.meshes import max_cell_size

MU, U, R = 1.3, 0.7, 1.0


def lamb_velocity(x):
    """Lamb's l = 1 interior flow u = U[(1 − 2|x|²/R²) ẑ + z x/R²] (numpy, x: (3, n)).

    With p = −10 μ U z/R²: Δu = −10 U/R² ẑ, so −μΔu + ∇p = 0, and ∇·u = 2z − 4z + 2z = 0 (per
    U/R²). Quadratic, so it lies in the P2 space of any affine mesh."""
    r2 = (x**2).sum(axis=0)
    return U * np.vstack([x[2] * x[0], x[2] * x[1], R**2 - 2 * r2 + x[2] ** 2]) / R**2


def integral(expression, mesh) -> float:
    return mesh.comm.allreduce(fem.assemble_scalar(fem.form(expression * ufl.dx(domain=mesh))), op=MPI.SUM)


def pressure_error(pressure, exact, mesh) -> float:
    """L2 distance up to a constant (the pressure is defined up to one)."""
    mean = integral(pressure - exact, mesh) / integral(ufl.as_ufl(1.0), mesh)
    return l2_norm((pressure - exact - mean) ** 2, mesh)


@pytest.mark.parametrize("shape", ["ball", "ellipsoid"])
def test_lamb_flow_reproduced_to_round_off(shape):
    mesh = ball_mesh(R, 0.35) if shape == "ball" else ellipsoid_volume_mesh((1.4, 0.8, 0.9), 0.35)
    solver = StokesBrinkman(mesh, mu=MU, gamma=0.0, boundary="noslip", solver="direct")
    assert solver.constraint_names == ["pressure_mean"]
    velocity, pressure = solver.solve(wall_velocity=lamb_velocity)
    X = ufl.SpatialCoordinate(mesh)
    exact_v = U * ufl.as_vector([X[2] * X[0], X[2] * X[1], R**2 - 2 * ufl.dot(X, X) + X[2] ** 2]) / R**2
    exact_p = -10 * MU * U * X[2] / R**2
    scale_v = l2_norm(ufl.inner(exact_v, exact_v), mesh)
    assert l2_norm(ufl.inner(velocity - exact_v, velocity - exact_v), mesh) < 1e-12 * scale_v
    assert pressure_error(pressure, exact_p, mesh) < 1e-10 * l2_norm(exact_p**2, mesh)
    # the next solve without wall data is at rest again
    velocity, _ = solver.solve()
    assert np.abs(velocity.x.array).max() == 0.0


def test_layered_viscosity_couette_flow():
    """Two layers z < 1/2 (μ₁) and z > 1/2 (μ₂ = 5 μ₁) sheared by the top wall at speed W:
    v = (a z, 0, 0) below, continuity of v and of the shear stress μ ∂v/∂z at the interface."""
    mu_low, mu_high, speed = 0.4, 2.0, 1.5
    slope_low = speed / (0.5 + 0.5 * mu_low / mu_high)
    slope_high = slope_low * mu_low / mu_high

    def profile(x):
        vx = np.where(x[2] < 0.5, slope_low * x[2], slope_low * 0.5 + slope_high * (x[2] - 0.5))
        return np.vstack([vx, 0 * vx, 0 * vx])

    mesh = box_mesh((1.0, 1.0, 1.0), 0.25)
    solver = StokesBrinkman(mesh, mu=lambda x: np.where(x[2] < 0.5, mu_low, mu_high), gamma=0.0)
    assert solver.mu == mu_high
    velocity, pressure = solver.solve(wall_velocity=profile)
    expected = fem.Function(solver.velocity_space)
    expected.interpolate(profile)
    assert np.abs(velocity.x.array - expected.x.array).max() < 1e-12 * speed
    assert np.abs(pressure.x.array).max() < 1e-11 * mu_high * speed
    # one viscosity everywhere gives the straight profile instead: the layers matter
    uniform, _ = StokesBrinkman(mesh, mu=mu_low).solve(wall_velocity=profile)
    assert np.abs(uniform.x.array - expected.x.array).max() > 0.05 * speed


def box_exact(mesh):
    """Divergence-free v = (∂ψ/∂y, −∂ψ/∂x, 0), ψ = x²(1−x)² y²(1−y)² z²(1−z)², zero on the unit
    cube's boundary; zero-mean p = sin πx cos πy sin πz."""
    x = ufl.SpatialCoordinate(mesh)
    psi = (x[0] * (1 - x[0]) * x[1] * (1 - x[1]) * x[2] * (1 - x[2])) ** 2
    v = ufl.as_vector([psi.dx(1), -psi.dx(0), 0])
    p = ufl.sin(np.pi * x[0]) * ufl.cos(np.pi * x[1]) * ufl.sin(np.pi * x[2])
    return 64 * v, p   # 64: velocity of order 1e-2 rather than 1e-4


def test_box_taylor_hood_orders():
    gamma = 2.0
    sizes, table = [], []
    for n in (3, 6, 9):
        mesh = box_mesh((1.0, 1.0, 1.0), 1.0 / n)
        v, p = box_exact(mesh)
        f = -ufl.div(2 * MU * ufl.sym(ufl.grad(v))) + ufl.grad(p) + gamma * v
        velocity, pressure = StokesBrinkman(mesh, mu=MU, gamma=gamma).solve(body_force=f)
        grad_error = ufl.grad(velocity) - ufl.grad(v)
        sizes.append(max_cell_size(mesh))
        table.append((l2_norm(ufl.inner(velocity - v, velocity - v), mesh),
                      l2_norm(ufl.inner(grad_error, grad_error), mesh), pressure_error(pressure, p, mesh)))
    orders = rates(sizes, np.array(table))
    assert np.all(np.abs(orders[-1] - [3.0, 2.0, 2.0]) <= 0.3), orders


@pytest.mark.parametrize("boundary", ["noslip", "slip"])
def test_direct_and_iterative_agree(boundary):
    mesh = ball_mesh(R, 0.3)
    x = ufl.SpatialCoordinate(mesh)
    force = ufl.as_vector([x[1] ** 2, -x[0] * x[2], ufl.sin(3 * x[0])])
    viscosity = lambda x: np.where((x**2).sum(axis=0) < 0.25, 10.0, 1.0)  # noqa: E731  (viscous core)
    results = []
    for kind in ("direct", "iterative"):
        solver = StokesBrinkman(mesh, mu=viscosity, gamma=0.5, boundary=boundary, solver=kind, rtol=1e-11)
        assert solver.solver_kind == kind
        velocity, pressure = solver.solve(body_force=force)
        results.append((velocity.x.array.copy(), pressure.x.array.copy()))
    (v_direct, p_direct), (v_iterative, p_iterative) = results
    assert np.abs(v_direct).max() > 1e-3
    assert np.abs(v_iterative - v_direct).max() < 1e-7 * np.abs(v_direct).max()
    assert np.abs(p_iterative - p_direct).max() < 1e-7 * np.abs(p_direct).max()


def test_volume_boundary_and_solver_errors():
    mesh = box_mesh((1.0, 1.0, 1.0), 0.5)
    with pytest.raises(ValueError, match="one kind"):
        StokesBrinkman(mesh, boundary={"left": "slip"})
    with pytest.raises(ValueError, match="solver"):
        StokesBrinkman(mesh, solver="cg")
    with pytest.raises(ValueError, match="mu"):
        StokesBrinkman(mesh, mu=lambda x: -1.0 + 0 * x[0])
    with pytest.raises(ValueError, match="iterative"):
        StokesBrinkman(mesh, boundary="free", gamma=0.0, solver="iterative")


def test_free_egg_without_friction_balances_power_and_carries_no_rigid_motion():
    """The traction-free egg (the perivitelline fluid as a pressure reservoir): six rigid motions are
    constrained, on the sparse operator with six unknowns pinned. The solution must balance power, ∫ f·v = ∫ 2μ ε(v):ε(v), carry no rigid mode,
    and be at rest under a pure rigid-mode load."""
    mesh = ellipsoid_volume_mesh((250.0, 90.0, 90.0), 60.0, shell=40.0, shell_mesh_size=30.0)
    solver = StokesBrinkman(mesh, mu=MU, gamma=0.0, boundary="free", solver="direct")
    assert solver.constraint_names == ["translation_x", "translation_y", "translation_z",
                                       "rotation_x", "rotation_y", "rotation_z"]
    assert solver.solver.constraint_method == "pinned"
    x = ufl.SpatialCoordinate(mesh)
    force = ufl.as_vector([x[1] * x[2], -x[0] ** 2 / 250.0, ufl.sin(x[0] / 40.0) * x[1] / 90.0])
    velocity, _ = solver.solve(body_force=force)
    epsilon = ufl.sym(ufl.grad(velocity))
    dissipation = integral(2 * MU * ufl.inner(epsilon, epsilon), mesh)
    assert dissipation > 0.0
    # the load's rigid-mode part is absorbed by the multipliers, so measure power against the projected load
    power = integral(ufl.inner(force, velocity), mesh)
    assert abs(power - dissipation) < 1e-9 * dissipation
    for mode in [ufl.as_vector(e) for e in np.eye(3)] + [ufl.cross(ufl.as_vector(e), x) for e in np.eye(3)]:
        mode_norm = integral(ufl.inner(mode, mode), mesh) ** 0.5
        assert abs(integral(ufl.inner(mode, velocity), mesh)) < 1e-10 * mode_norm * integral(ufl.inner(velocity, velocity), mesh) ** 0.5
    speed = np.abs(velocity.x.array).max()  # solve() reuses its Function: keep the scale
    rigid, _ = solver.solve(body_force=ufl.as_vector([1.0, 0.0, 0.0]) + ufl.cross(ufl.as_vector([0.0, 1.0, 0.0]), x))
    assert np.abs(rigid.x.array).max() < 1e-10 * speed


@pytest.mark.parametrize("boundary", ["free", "slip", "noslip"])
def test_pinned_factorization_solves_the_bordered_system(boundary):
    """The constraints that remove a null space (six rigid motions of the free ball, the pressure
    constant under slip or no-slip) are imposed on a sparse operator with
    as many unknowns pinned; velocity, pressure and multipliers are the bordered system's to
    round-off."""
    mesh = ball_mesh(R, 0.4)
    solver = StokesBrinkman(mesh, mu=MU, gamma=0.0, boundary=boundary, solver="direct")
    expected_names = {"free": ["translation_x", "translation_y", "translation_z", "rotation_x", "rotation_y",
                               "rotation_z"], "slip": ["pressure_mean"], "noslip": ["pressure_mean"]}[boundary]
    assert solver.constraint_names == expected_names
    assert solver.solver.constraint_method == "pinned"
    _, constraints, _ = solver._null_space_constraints(None)
    bordered = FactorizedOperator(solver.matrix, constraints)
    assert bordered.constraint_method == "bordered"
    x = ufl.SpatialCoordinate(mesh)
    # a load with a net force and torque: the multipliers take them
    force = ufl.as_vector([1.0 + x[1] * x[2], -x[0] ** 2 + 0.5 * x[2], ufl.sin(2 * x[0]) * x[1]])
    velocity, pressure = solver.solve(body_force=force)
    load = fem_petsc.assemble_vector(solver._body_force_form(force))
    load.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
    fem_petsc.set_bc(load, solver.bcs)
    reference = load.duplicate()
    bordered.solve(load, reference)
    pinned = solver._solution.x.petsc_vec.getArray()
    assert np.abs(pinned).max() > 1e-3
    assert np.abs(pinned - reference.getArray()).max() < 1e-10 * np.abs(reference.getArray()).max()
    multipliers = bordered.multipliers()   # a force's multiplier: its part along the mode (none on the pressure)
    load_scale = np.abs(load.getArray()).max()
    assert np.abs(multipliers).max() > (1e-3 * load_scale if boundary == "free" else -1.0)
    assert np.abs(solver.solver.multipliers() - multipliers).max() < 1e-10 * load_scale


def test_constraints_that_are_no_null_vectors_stay_bordered():
    """On a closed surface the pressure constant is no null vector (∫ q div_Γ w ≠ 0 for normal w):
    the candidate fails the check, and the constraints go to the bordered system."""
    solver = StokesBrinkman(ellipsoid_surface_mesh((1.0, 1.0, 1.0), 0.5), mu=MU, gamma=0.0)
    assert solver.constraint_names == ["pressure_mean", "rotation_x", "rotation_y", "rotation_z"]
    assert solver.solver.constraint_method == "bordered"
