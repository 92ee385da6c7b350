"""The numba Lagrange basis against basix, and the factorized solves (L D Lᵀ and L U)."""

import dolfinx_solver  # noqa: F401  (before petsc4py: loads the MPI library)

import basix
import numpy as np
import pytest
import scipy.sparse as sp
from petsc4py import PETSc

from morphosim.tissue.basis import LagrangeBasis
from morphosim.tissue.linalg import FactorizedOperator


@pytest.mark.parametrize("degree", [1, 2, 3])
@pytest.mark.parametrize("variant", [basix.LagrangeVariant.gll_warped, basix.LagrangeVariant.equispaced])
@pytest.mark.parametrize("cell", [basix.CellType.triangle, basix.CellType.tetrahedron])
def test_basis_matches_basix_values_and_derivatives(degree, variant, cell):
    element = basix.create_element(basix.ElementFamily.P, cell, degree, variant)
    tdim = 2 if cell == basix.CellType.triangle else 3
    rng = np.random.default_rng(degree)
    points = rng.dirichlet(np.ones(tdim + 1), 500)[:, 1:]   # uniform in the reference simplex
    expected = element.tabulate(1, points)[..., 0]
    table = LagrangeBasis(element).tabulate(1, points)
    assert table.shape == expected.shape == (1 + tdim, 500, element.dim)
    assert np.abs(table - expected).max() < 1e-13
    assert np.abs(table[0].sum(axis=1) - 1.0).max() < 1e-14   # partition of unity


def test_basis_rejects_incomplete_elements():
    bubble = basix.create_element(basix.ElementFamily.bubble, basix.CellType.triangle, 3)
    with pytest.raises(ValueError, match="Lagrange"):
        LagrangeBasis(bubble)
    linear = LagrangeBasis(basix.create_element(basix.ElementFamily.P, basix.CellType.triangle, 1))
    with pytest.raises(ValueError, match="derivatives"):
        linear.tabulate(2, np.zeros((1, 2)))


def petsc_matrix(dense: np.ndarray) -> PETSc.Mat:
    csr = sp.csr_matrix(dense)
    A = PETSc.Mat().createAIJ(dense.shape, csr=(csr.indptr, csr.indices, csr.data), comm=PETSc.COMM_SELF)
    A.assemble()
    return A


@pytest.mark.parametrize("symmetric", [True, False])
def test_symmetric_operators_use_ldlt_and_both_solve_exactly(symmetric):
    """A symmetric indefinite saddle-point matrix is factorized L D Lᵀ, a non-symmetric one L U;
    both solve to round-off, with and without a Lagrange-multiplier constraint."""
    rng = np.random.default_rng(4)
    n, m = 40, 8
    K = rng.normal(size=(n, n))
    K = K @ K.T + n * np.eye(n) if symmetric else K + n * np.eye(n)
    C = rng.normal(size=(n, m))
    dense = np.block([[K, C], [C.T if symmetric else rng.normal(size=(m, n)), np.zeros((m, m))]])
    operator = FactorizedOperator(petsc_matrix(dense))
    assert operator.factorization == ("cholesky" if symmetric else "lu")
    b = rng.normal(size=n + m)
    x = PETSc.Vec().createSeq(n + m)
    operator.solve(PETSc.Vec().createWithArray(b.copy()), x)
    assert np.abs(x.getArray() - np.linalg.solve(dense, b)).max() < 1e-12 * np.abs(x.getArray()).max()
    # a constraint c·x = 0 through a multiplier: the solution is the bordered system's
    c = rng.normal(size=n + m)
    constrained = FactorizedOperator(petsc_matrix(dense), [PETSc.Vec().createWithArray(c.copy())])
    assert constrained.factorization == operator.factorization
    constrained.solve(PETSc.Vec().createWithArray(b.copy()), x)
    bordered = np.block([[dense, c[:, None]], [c[None, :], np.zeros((1, 1))]])
    expected = np.linalg.solve(bordered, np.append(b, 0.0))
    assert np.abs(x.getArray() - expected[:-1]).max() < 1e-12 * np.abs(expected).max()
    assert abs(c @ x.getArray()) < 1e-12 * np.abs(c).sum() * np.abs(expected).max()
