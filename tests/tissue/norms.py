"""Shared helpers for the tissue tests: norms and convergence rates."""

import numpy as np
import ufl
from mpi4py import MPI

import morphosim.tissue  # noqa: F401  (imports dolfinx_solver first)
from dolfinx import fem


def l2_norm(expression, mesh, degree: int = 8) -> float:
    """sqrt(∫ expression) for a scalar UFL expression (e.g. inner(e, e))."""
    form = fem.form(expression * ufl.dx(domain=mesh, metadata={"quadrature_degree": degree}))
    return float(np.sqrt(mesh.comm.allreduce(fem.assemble_scalar(form), op=MPI.SUM)))


def rates(sizes, errors) -> np.ndarray:
    """Observed orders log(e_i/e_{i+1}) / log(h_i/h_{i+1}) along a refinement sequence."""
    sizes, errors = np.asarray(sizes), np.asarray(errors)
    ratio = np.log(sizes[:-1] / sizes[1:])
    return np.log(errors[:-1] / errors[1:]) / (ratio[:, None] if errors.ndim == 2 else ratio)
