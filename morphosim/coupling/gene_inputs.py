"""Cells/tissue -> genes: the per-cell quantities a scenario can feed into SBML parameters.

Input sources (names used in a scenario's `genes.inputs`):

    strain.areal                 A/A0 - 1                                   (cell shape)
    strain.anisotropy            (s1 - s2)/(s1 + s2) of the cell shape tensor's tangent eigenvalues
    strain_rate.trace            tr ε(v) at the centroid: areal expansion rate (1/time)
    strain_rate.anisotropy       e1 - e2 of ε(v) in the tangent plane (1/time)
    strain.accumulated           ∫ tr ε(v) dt along the cell's path (daughters inherit it)
    position.x | .y | .z         centroid coordinate (a positional signal for patterning)
    field.<name>                 morphogen concentration at the centroid
    neighbours.mean.<species>    mean of a species over adjacent cells
    neighbours.contact_mean.<species>   the same, weighted by shared edge length
"""

from __future__ import annotations

import numpy as np
from numba import njit

from morphosim.cells.geometry import tangent_basis


@njit(cache=True)
def neighbour_mean(indptr, indices, contact, values, weighted):
    """Mean of `values` over each cell's neighbours (CSR adjacency), plain or weighted by contact
    length. A cell without neighbours gets 0. Serial: ~6 reads per cell is far less work than
    waking a thread pool, whose idle OpenMP workers then spin and slow the rest of the step."""
    n = indptr.shape[0] - 1
    out = np.zeros(n)
    for c in range(n):
        total = 0.0
        weight = 0.0
        for k in range(indptr[c], indptr[c + 1]):
            w = contact[k] if weighted else 1.0
            total += w * values[indices[k]]
            weight += w
        if weight > 0.0:
            out[c] = total / weight
    return out


def tangent_eigenvalues(tensors: np.ndarray, normals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Largest and smallest eigenvalue of symmetric 3x3 tensors restricted to the plane normal
    to `normals` (per cell). For planar sheets the normal is z and this is the xy block."""
    t1, t2 = tangent_basis(normals)
    sxx = np.einsum("ci,cij,cj->c", t1, tensors, t1)
    syy = np.einsum("ci,cij,cj->c", t2, tensors, t2)
    sxy = np.einsum("ci,cij,cj->c", t1, tensors, t2)
    mean, radius = 0.5 * (sxx + syy), np.sqrt(0.25 * (sxx - syy) ** 2 + sxy ** 2)
    return mean + radius, mean - radius


def shape_anisotropy(shape_tensors: np.ndarray, normals: np.ndarray) -> np.ndarray:
    """(s1 - s2)/(s1 + s2) of the cell shape tensor in the tangent plane: 0 for a regular polygon."""
    largest, smallest = tangent_eigenvalues(shape_tensors, normals)
    total = largest + smallest
    return np.divide(largest - smallest, total, out=np.zeros_like(total), where=total > 0)


def strain_rate_measures(strain_rates: np.ndarray, normals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(trace, anisotropy e1 - e2) of per-cell strain-rate tensors in the tangent plane."""
    largest, smallest = tangent_eigenvalues(strain_rates, normals)
    return largest + smallest, largest - smallest
