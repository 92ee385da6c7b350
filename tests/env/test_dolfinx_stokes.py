"""DOLFINx from the wheel solves a Taylor-Hood Stokes problem to its exact solution.

Poiseuille flow in the unit square with mu = 1: v = (y(1-y), 0), p = 2(1 - x).
Then -div(2 mu eps(v)) + grad p = (2 - 2, 0) = 0 and div v = 0; P2-P1 holds this
quadratic velocity and linear pressure exactly, so the discrete error is round-off.
"""

import dolfinx_solver  # noqa: F401  (before dolfinx / petsc4py)
import numpy as np
import ufl
from basix.ufl import element, mixed_element
from dolfinx import fem, mesh
from dolfinx.fem.petsc import LinearProblem
from mpi4py import MPI


def exact_velocity(x):
    return np.vstack([x[1] * (1.0 - x[1]), np.zeros_like(x[0])])


def test_taylor_hood_poiseuille_is_exact():
    domain = mesh.create_unit_square(MPI.COMM_WORLD, 8, 8)
    cell = domain.basix_cell()
    taylor_hood = mixed_element([element("Lagrange", cell, 2, shape=(2,)), element("Lagrange", cell, 1)])
    W = fem.functionspace(domain, taylor_hood)
    (v, p), (w, q) = ufl.TrialFunctions(W), ufl.TestFunctions(W)
    mu = fem.Constant(domain, 1.0)
    eps = lambda u: ufl.sym(ufl.grad(u))  # noqa: E731
    zero = fem.Constant(domain, np.zeros(2))

    # -div(2 mu eps(v)) + grad p = 0,  div v = 0   (weak form, pressure sign made symmetric)
    a = (2 * mu * ufl.inner(eps(v), eps(w)) - p * ufl.div(w) - q * ufl.div(v)) * ufl.dx
    L = ufl.inner(zero, w) * ufl.dx

    V, _ = W.sub(0).collapse()
    v_exact = fem.Function(V)
    v_exact.interpolate(exact_velocity)
    facets = mesh.locate_entities_boundary(domain, 1, lambda x: np.full(x.shape[1], True))
    dofs = fem.locate_dofs_topological((W.sub(0), V), 1, facets)
    bc_velocity = fem.dirichletbc(v_exact, dofs, W.sub(0))
    # Fix the pressure at the corner (0, 0) to its exact value p = 2.
    Q, _ = W.sub(1).collapse()
    p_corner = fem.Function(Q)
    p_corner.x.array[:] = 2.0
    corner = fem.locate_dofs_geometrical((W.sub(1), Q), lambda x: np.isclose(x[0], 0) & np.isclose(x[1], 0))
    bc_pressure = fem.dirichletbc(p_corner, corner, W.sub(1))

    problem = LinearProblem(a, L, bcs=[bc_velocity, bc_pressure], petsc_options_prefix="env_stokes_",
                            petsc_options={"ksp_type": "preonly", "pc_type": "lu", "pc_factor_mat_solver_type": "mumps"})
    solution = problem.solve()
    velocity, pressure = solution.sub(0).collapse(), solution.sub(1).collapse()

    x = ufl.SpatialCoordinate(domain)
    velocity_error = fem.assemble_scalar(fem.form(ufl.inner(velocity - ufl.as_vector((x[1] * (1 - x[1]), 0)),
                                                            velocity - ufl.as_vector((x[1] * (1 - x[1]), 0))) * ufl.dx))
    pressure_error = fem.assemble_scalar(fem.form((pressure - 2 * (1 - x[0])) ** 2 * ufl.dx))
    assert np.sqrt(velocity_error) < 1e-10
    assert np.sqrt(pressure_error) < 1e-9
    # and the flow is not trivially zero: peak speed 1/4 on the centre line
    assert abs(velocity.x.array.reshape(-1, 2)[:, 0].max() - 0.25) < 1e-10
