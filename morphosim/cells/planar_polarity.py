"""Planar-polarised line tension: extra tension on the junctions that lie across a tissue axis.

    E_planar = sum_edges beta_ij (l_ij - (e_ij . a)^2 / l_ij) = sum_edges beta_ij l_ij sin^2(theta_ij)

a: unit polarity axis (e.g. the embryo's anteroposterior axis), theta_ij the angle between the
edge and a, beta_ij = (beta_i + beta_j) / 2 the mean of the two cells' planar tension (the one
cell's beta on the sheet's outer boundary). Junctions perpendicular to a (the dorsoventral
junctions of the Drosophila germband, enriched in myosin II: Zallen & Wieschaus 2004, Dev. Cell
6:343; Bertet et al. 2004, Nature 429:667; Rauzi et al. 2008, Nat. Cell Biol. 10:1401) carry the
full extra tension beta, junctions along a none: they shrink, swap neighbours (T1) and the tissue
converges across a and extends along it.

A fixed axis serves planar sheets and the embryo shell alike: on a shell elongated along a, the
part of a junction perpendicular to a is its circumferential (dorsoventral) part. On a planar
sheet the axis is taken in the sheet's plane (its z component is dropped).

Forces, with e = r_j - r_i and u = e . a:

    dE/de = beta (e / l - 2 u a / l + u^2 e / l^3),   F_i = +dE/de,   F_j = -dE/de.

Stiffness: the Hessian of l - u^2/l has norm <= 2 / l (checked numerically), so an edge adds at
most 4 beta / l to the Hessian of its two vertices.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .energy import as_per_cell, per_cell
from .geometry import half_edge_vector
from .sheet import MAX_DEGREE, N_HALF_EDGES, Sheet, as_mesh


def unit_axis(axis) -> np.ndarray:
    axis = np.asarray(axis, float).reshape(-1)
    if axis.shape != (3,) or not np.all(np.isfinite(axis)) or not np.linalg.norm(axis) > 0:
        raise ValueError(f"the planar polarity axis must be a 3-vector with a non-zero part in the sheet, "
                         f"got {axis.tolist()}")
    return axis / np.linalg.norm(axis)


@njit(cache=True)
def _edge_tension(face, twin, h, beta):
    """beta_ij of the edge of half-edge h: mean of its cells, or its one cell on a boundary."""
    a, b = face[h], face[twin[h]]
    if a >= 0 and b >= 0:
        return 0.5 * (per_cell(beta, a) + per_cell(beta, b))
    return per_cell(beta, a if a >= 0 else b)


@njit(cache=True)
def planar_energy(mesh, beta, axis):
    """E_planar of the sheet of ``mesh`` (Sheet.mesh())."""
    mesh = as_mesh(mesh)
    twin, face = mesh.twin, mesh.face
    total = 0.0
    for h in range(mesh.counts[N_HALF_EDGES]):
        if h > twin[h]:       # each edge once
            continue
        ex, ey, ez = half_edge_vector(mesh, h)
        l = np.sqrt(ex * ex + ey * ey + ez * ez)
        u = ex * axis[0] + ey * axis[1] + ez * axis[2]
        total += _edge_tension(face, twin, h, beta) * (l - u * u / l)
    return total


@njit(cache=True)
def add_planar_forces(mesh, beta, axis, out):
    """out[v] += -dE_planar/dr_v for every vertex."""
    mesh = as_mesh(mesh)
    origin, twin, face = mesh.origin, mesh.twin, mesh.face
    for h in range(mesh.counts[N_HALF_EDGES]):
        if h > twin[h]:
            continue
        i, j = origin[h], origin[twin[h]]
        ex, ey, ez = half_edge_vector(mesh, h)
        l = np.sqrt(ex * ex + ey * ey + ez * ez)
        u = ex * axis[0] + ey * axis[1] + ez * axis[2]
        t = _edge_tension(face, twin, h, beta)
        along = t * (1.0 / l + u * u / (l * l * l))      # coefficient of e in dE/de
        across = -2.0 * t * u / l                        # coefficient of a
        gx = along * ex + across * axis[0]
        gy = along * ey + across * axis[1]
        gz = along * ez + across * axis[2]
        out[i, 0] += gx
        out[i, 1] += gy
        out[i, 2] += gz
        out[j, 0] -= gx
        out[j, 1] -= gy
        out[j, 2] -= gz


@njit(cache=True)
def planar_stiffness(mesh, beta, edge_floor):
    """max over edges of 4 |beta_ij| / l_ij (edges shorter than edge_floor count as edge_floor)."""
    mesh = as_mesh(mesh)
    twin, face = mesh.twin, mesh.face
    worst = 0.0
    for h in range(mesh.counts[N_HALF_EDGES]):
        if h > twin[h]:
            continue
        ex, ey, ez = half_edge_vector(mesh, h)
        l = max(np.sqrt(ex * ex + ey * ey + ez * ez), edge_floor)
        worst = max(worst, 4.0 * abs(_edge_tension(face, twin, h, beta)) / l)
    return worst


class PlanarPolarisedTension:
    """sum_edges beta_ij l_ij sin^2(theta_ij): tension on junctions across ``axis``.

    Lambda_planar: scalar or per-cell array (energy / length, like Lambda); axis: 3-vector.
    An edge term: it adds its own forces instead of per-cell chain-rule coefficients.
    """

    parameters = ("Lambda_planar",)

    def __init__(self, Lambda_planar=0.0, axis=(1.0, 0.0, 0.0)):
        self.Lambda_planar = as_per_cell("Lambda_planar", Lambda_planar)
        self.axis = unit_axis(axis)

    def axis_on(self, sheet: Sheet) -> np.ndarray:
        """The unit axis as the sheet sees it: in the xy plane for planar sheets."""
        if sheet.is_shell:
            return self.axis
        return unit_axis(self.axis * [1.0, 1.0, 0.0])

    def edge_energy(self, sheet: Sheet) -> float:
        return planar_energy(sheet.mesh(), self.Lambda_planar, self.axis_on(sheet))

    def add_forces(self, sheet: Sheet, out: np.ndarray) -> None:
        add_planar_forces(sheet.mesh(), self.Lambda_planar, self.axis_on(sheet), out)

    def stiffness_bound(self, sheet: Sheet, edge_floor: float = 0.0) -> float:
        """Upper bound on this term's contribution to the largest Hessian eigenvalue."""
        return float(sheet.counts[MAX_DEGREE]) * planar_stiffness(sheet.mesh(), self.Lambda_planar, edge_floor)
