"""Lagrange basis functions on the reference triangle or tetrahedron, tabulated in numba.

A degree-k Lagrange element on a simplex spans exactly the polynomials of degree <= k, so each
basis function is a fixed combination of monomials,

    φ_j(X) = Σ_m C[j, m] X₀^a_m X₁^b_m (X₂^c_m) ,      a_m + b_m (+ c_m) <= k .

C is fitted once from basix's own tabulation on the equispaced lattice of degree k (a square,
well-conditioned system), which keeps basix's dof order and sign conventions exactly; each step
then only evaluates the monomial sums, in numba, rather than calling basix's tabulate, which is
slower per call (figures in bench/RESULTS.md).
"""

from __future__ import annotations

import itertools

import numpy as np
from numba import njit


@njit(cache=True)
def _tabulate(coefficients, exponents, reference_points, derivatives):
    """Basis values (and first derivatives d/dX_r): (1 or 1 + tdim, n_points, n_dofs).

    coefficients: (n_dofs, n_monomials), exponents: (n_monomials, tdim).
    """
    n_points, tdim = reference_points.shape
    n_dofs, n_monomials = coefficients.shape
    degree = exponents.max()
    rows = 1 + tdim * derivatives
    table = np.empty((rows, n_points, n_dofs))
    powers = np.ones((tdim, degree + 1))
    # rows: the monomial, then its derivative along each reference axis
    monomials = np.zeros((rows, n_monomials))
    for p in range(n_points):
        for r in range(tdim):
            for k in range(1, degree + 1):   # by products: numba's integer ** is a slow pow()
                powers[r, k] = powers[r, k - 1] * reference_points[p, r]
        for m in range(n_monomials):
            value = 1.0
            for r in range(tdim):
                value *= powers[r, exponents[m, r]]
            monomials[0, m] = value
            if derivatives:
                for r in range(tdim):
                    a = exponents[m, r]
                    if a == 0:
                        monomials[1 + r, m] = 0.0
                        continue
                    value = float(a)
                    for s in range(tdim):
                        value *= powers[s, exponents[m, s] - (1 if s == r else 0)]
                    monomials[1 + r, m] = value
        for row in range(rows):
            for j in range(n_dofs):
                value = 0.0
                for m in range(n_monomials):
                    value += coefficients[j, m] * monomials[row, m]
                table[row, p, j] = value
    return table


class LagrangeBasis:
    """The basis of a scalar basix Lagrange element on triangles or tetrahedra as monomial
    coefficients.

    element: basix FiniteElement (scalar; blocked elements pass their sub-element).
    """

    def __init__(self, element):
        degree = element.embedded_superdegree
        tdim = len(element.points[0])
        self.exponents = np.array(
            sorted((e for e in itertools.product(range(degree + 1), repeat=tdim) if sum(e) <= degree),
                   key=lambda e: (sum(e), e[::-1])), dtype=np.int64).reshape(-1, tdim)
        if element.dim != len(self.exponents):
            raise ValueError(f"element of dimension {element.dim} does not span exactly the polynomials of "
                             f"degree <= {degree}; use a Lagrange element on triangles or tetrahedra")
        lattice = self.exponents / max(degree, 1)   # (i/k, j/k, ...), i + j + ... <= k: unisolvent
        vandermonde = np.prod(lattice[:, None, :] ** self.exponents[None, :, :], axis=2)
        values = element.tabulate(0, lattice)[0, :, :, 0]   # (lattice points, dofs)
        #: C, (n_dofs, n_monomials)
        self.coefficients = np.ascontiguousarray(np.linalg.solve(vandermonde, values).T)

    def tabulate(self, derivatives: int, reference_points: np.ndarray) -> np.ndarray:
        """Like basix's tabulate(derivatives, X)[..., 0] for derivatives 0 or 1: (1 or 1 + tdim, n, dofs)."""
        if derivatives not in (0, 1):
            raise ValueError(f"derivatives must be 0 or 1, got {derivatives!r}")
        return _tabulate(self.coefficients, self.exponents, np.ascontiguousarray(reference_points, dtype=float),
                         derivatives)
