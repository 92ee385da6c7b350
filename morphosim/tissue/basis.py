"""Lagrange basis functions on the reference triangle, tabulated in numba.

A degree-k Lagrange element on a triangle spans exactly the polynomials of degree <= k, so each
basis function is a fixed combination of monomials,

    φ_j(X) = Σ_m C[j, m] X₀^a_m X₁^b_m ,      a_m + b_m <= k .

C is fitted once from basix's own tabulation on the equispaced lattice of degree k (a square,
well-conditioned system), which keeps basix's dof order and sign conventions exactly; each step
then only evaluates the monomial sums, in numba (basix's tabulate costs ~1 ms per 10^4 points).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _tabulate(coefficients, exponents, reference_points, derivatives):
    """Basis values (and first derivatives d/dX₀, d/dX₁): (1 or 3, n_points, n_dofs).

    coefficients: (n_dofs, n_monomials), exponents: (n_monomials, 2).
    """
    n_points = reference_points.shape[0]
    n_dofs, n_monomials = coefficients.shape
    degree = exponents.max()
    table = np.empty((1 + 2 * derivatives, n_points, n_dofs))
    x_powers = np.ones(degree + 1)
    y_powers = np.ones(degree + 1)
    # rows: x^a y^b, then its d/dx and d/dy
    monomials = np.zeros((1 + 2 * derivatives, n_monomials))
    for p in range(n_points):
        for k in range(1, degree + 1):   # by products: numba's integer ** is a slow pow()
            x_powers[k] = x_powers[k - 1] * reference_points[p, 0]
            y_powers[k] = y_powers[k - 1] * reference_points[p, 1]
        for m in range(n_monomials):
            a, b = exponents[m, 0], exponents[m, 1]
            monomials[0, m] = x_powers[a] * y_powers[b]
            if derivatives:
                monomials[1, m] = a * x_powers[a - 1] * y_powers[b] if a > 0 else 0.0
                monomials[2, m] = b * x_powers[a] * y_powers[b - 1] if b > 0 else 0.0
        for row in range(1 + 2 * derivatives):
            for j in range(n_dofs):
                value = 0.0
                for m in range(n_monomials):
                    value += coefficients[j, m] * monomials[row, m]
                table[row, p, j] = value
    return table


class TriangleBasis:
    """The basis of a scalar basix Lagrange element on triangles as monomial coefficients.

    element: basix FiniteElement (scalar; blocked elements pass their sub-element).
    """

    def __init__(self, element):
        degree = element.embedded_superdegree
        self.exponents = np.array([(total - b, b) for total in range(degree + 1) for b in range(total + 1)],
                                  dtype=np.int64)
        if element.dim != len(self.exponents):
            raise ValueError(f"element of dimension {element.dim} does not span exactly the polynomials of "
                             f"degree <= {degree}; use a Lagrange element on triangles")
        lattice = self.exponents[:, ::-1] / max(degree, 1)   # (i/k, j/k), i + j <= k: unisolvent
        vandermonde = np.prod(lattice[:, None, :] ** self.exponents[None, :, :], axis=2)
        values = element.tabulate(0, lattice)[0, :, :, 0]   # (lattice points, dofs)
        #: C, (n_dofs, n_monomials)
        self.coefficients = np.ascontiguousarray(np.linalg.solve(vandermonde, values).T)

    def tabulate(self, derivatives: int, reference_points: np.ndarray) -> np.ndarray:
        """Like basix's tabulate(derivatives, X)[..., 0] for derivatives 0 or 1: (1 or 3, n, dofs)."""
        if derivatives not in (0, 1):
            raise ValueError(f"derivatives must be 0 or 1, got {derivatives!r}")
        return _tabulate(self.coefficients, self.exponents, np.ascontiguousarray(reference_points, dtype=float),
                         derivatives)
