"""Vertex-model energy and its analytic forces.

    E = sum_cells [ K/2 (A - A0)^2 + Gamma/2 P^2 ] + sum_edges Lambda_ij l_ij,
    Lambda_ij = (lambda_i + lambda_j) / 2   (lambda of the one cell on the sheet's outer boundary)

Each term is a separate object whose energy depends on a cell only through its area A, its
perimeter P and its edge lengths. A term reports its energy and adds its per-cell chain-rule
coefficients (dE/dA, d2E/dA2, dE/dP, d2E/dP2 and the cell's line tension lambda) to a
:class:`Coefficients` block; one fused numba kernel then turns the coefficients into vertex forces

    F_v = - sum_c dE/dA_c dA_c/dr_v - sum_edges (dE/dP_a + dE/dP_b + Lambda_ab) dl/dr_v .

A new term of the same kind (e.g. a different area law) only needs ``energy`` and
``accumulate``; a term of another kind (substrate adhesion, bending) would add its own force
kernel next to :func:`_vertex_forces` and be summed in :meth:`VertexModel.forces`.

Units: with lengths in µm and energies in nN·µm, K is nN/µm^3, Gamma nN/µm, Lambda nN.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .geometry import Geometry, compute_geometry, edge_vector
from .sheet import MAX_DEGREE, Sheet


class ParameterError(ValueError):
    """A mechanical parameter has the wrong shape or value."""


# ---------------------------------------------------------------------- per-cell parameters
def as_per_cell(name: str, value) -> np.ndarray:
    """A scalar becomes a length-1 array (broadcast by the kernels), an array is copied to float."""
    arr = np.atleast_1d(np.asarray(value, float)).copy()
    if arr.ndim != 1:
        raise ParameterError(f"{name} must be a scalar or a 1-D array over cell slots, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ParameterError(f"{name} contains non-finite values")
    return arr


def check_length(name: str, arr: np.ndarray, n_cells: int) -> None:
    if arr.shape[0] not in (1, n_cells):
        raise ParameterError(f"{name} has {arr.shape[0]} entries but the sheet has {n_cells} cells: "
                             "update per-cell parameters after topology events (TopologyEvents.carry)")


@njit(inline="always")
def per_cell(values, c):
    return values[c] if values.shape[0] > 1 else values[0]


class Coefficients:
    """Per-cell chain-rule coefficients that the terms add to (preallocated, slot-indexed)."""

    NAMES = ("dE_dA", "d2E_dA2", "dE_dP", "d2E_dP2", "line_tension")

    def __init__(self, capacity: int):
        for name in self.NAMES:
            setattr(self, name, np.zeros(capacity))

    @property
    def capacity(self) -> int:
        return self.dE_dA.shape[0]

    def zero(self, n: int) -> None:
        for name in self.NAMES:
            getattr(self, name)[:n] = 0.0


# ---------------------------------------------------------------------- energy terms
class AreaElasticity:
    """sum_c K_c/2 (A_c - A0_c)^2. Apoptosis: drive a cell's A0 to 0."""

    parameters = ("K", "A0")

    def __init__(self, K=1.0, A0=1.0):
        self.K = as_per_cell("K", K)
        self.A0 = as_per_cell("A0", A0)

    def energy(self, geometry: Geometry, n: int) -> float:
        return _area_energy(geometry.area, self.K, self.A0, n)

    def accumulate(self, geometry: Geometry, n: int, coefficients: Coefficients) -> None:
        _area_coefficients(geometry.area, self.K, self.A0, n, coefficients.dE_dA, coefficients.d2E_dA2)


class PerimeterContractility:
    """sum_c Gamma_c/2 P_c^2 (actomyosin ring contractility)."""

    parameters = ("Gamma",)

    def __init__(self, Gamma=0.0):
        self.Gamma = as_per_cell("Gamma", Gamma)

    def energy(self, geometry: Geometry, n: int) -> float:
        return _perimeter_energy(geometry.perimeter, self.Gamma, n)

    def accumulate(self, geometry: Geometry, n: int, coefficients: Coefficients) -> None:
        _perimeter_coefficients(geometry.perimeter, self.Gamma, n, coefficients.dE_dP, coefficients.d2E_dP2)


class LineTension:
    """sum_edges Lambda_ij l_ij with Lambda_ij the mean of the adjacent cells' lambda."""

    parameters = ("Lambda",)

    def __init__(self, Lambda=0.0):
        self.Lambda = as_per_cell("Lambda", Lambda)

    def energy(self, geometry: Geometry, n: int) -> float:
        return _line_energy(geometry.line_length, self.Lambda, n)

    def accumulate(self, geometry: Geometry, n: int, coefficients: Coefficients) -> None:
        _line_coefficients(self.Lambda, n, coefficients.line_tension)


@njit(cache=True)
def _area_energy(area, K, A0, n):
    total = 0.0
    for c in range(n):
        d = area[c] - per_cell(A0, c)
        total += 0.5 * per_cell(K, c) * d * d
    return total


@njit(cache=True)
def _area_coefficients(area, K, A0, n, dE_dA, d2E_dA2):
    for c in range(n):
        k = per_cell(K, c)
        dE_dA[c] += k * (area[c] - per_cell(A0, c))
        d2E_dA2[c] += k


@njit(cache=True)
def _perimeter_energy(perimeter, Gamma, n):
    total = 0.0
    for c in range(n):
        total += 0.5 * per_cell(Gamma, c) * perimeter[c] * perimeter[c]
    return total


@njit(cache=True)
def _perimeter_coefficients(perimeter, Gamma, n, dE_dP, d2E_dP2):
    for c in range(n):
        g = per_cell(Gamma, c)
        dE_dP[c] += g * perimeter[c]
        d2E_dP2[c] += g


@njit(cache=True)
def _line_energy(line_length, Lambda, n):
    total = 0.0
    for c in range(n):
        total += per_cell(Lambda, c) * line_length[c]
    return total


@njit(cache=True)
def _line_coefficients(Lambda, n, line_tension):
    for c in range(n):
        line_tension[c] += per_cell(Lambda, c)


# ---------------------------------------------------------------------- the model
class VertexModel:
    """Sum of energy terms; by default the standard area / perimeter / line-tension model.

    ``K, A0, Gamma, Lambda`` are scalars or arrays over cell slots (length n_cells). Update
    them every step in place with :meth:`set_parameters` (no reallocation when the length is
    unchanged). After topology events call :meth:`carry` (or set fresh arrays).
    """

    def __init__(self, K=1.0, A0=1.0, Gamma=0.0, Lambda=0.0, terms=None):
        self.terms = list(terms) if terms is not None else [
            AreaElasticity(K, A0), PerimeterContractility(Gamma), LineTension(Lambda)]
        # cell terms feed the fused kernel; edge terms (add_forces) add their own forces
        self.cell_terms = [term for term in self.terms if not hasattr(term, "add_forces")]
        self.edge_terms = [term for term in self.terms if hasattr(term, "add_forces")]
        self.geometry = Geometry(0)
        self.coefficients = Coefficients(0)

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(name for term in self.terms for name in term.parameters)

    # parameters ---------------------------------------------------------------------------
    def _owner(self, name):
        for term in self.terms:
            if name in term.parameters:
                return term
        raise ParameterError(f"no energy term has a parameter named {name!r}")

    def __getattr__(self, name):  # model.K, model.A0, ... read the owning term's array
        if name in ("terms", "cell_terms", "edge_terms", "geometry", "coefficients"):
            raise AttributeError(name)
        for term in self.terms:
            if name in term.parameters:
                return getattr(term, name)
        raise AttributeError(name)

    def set_parameters(self, **values) -> None:
        """Set per-cell (or scalar) parameters, writing in place when the length is unchanged."""
        for name, value in values.items():
            term = self._owner(name)
            current = getattr(term, name)
            new = np.asarray(value, float)
            if new.ndim <= 1 and np.atleast_1d(new).shape == current.shape and np.all(np.isfinite(new)):
                current[:] = new
            else:
                setattr(term, name, as_per_cell(name, value))

    def carry(self, events) -> None:
        """Remap per-cell parameter arrays through topology events (daughters copy mothers)."""
        for term in self.terms:
            for name in term.parameters:
                arr = getattr(term, name)
                if arr.shape[0] > 1:
                    setattr(term, name, events.carry(arr))

    # evaluation ---------------------------------------------------------------------------
    def update(self, sheet: Sheet) -> Geometry:
        """Recompute geometry and chain-rule coefficients for the current vertex positions."""
        n = sheet.n_cells
        for term in self.terms:
            for name in term.parameters:
                check_length(name, getattr(term, name), n)
        self.geometry = compute_geometry(sheet, self.geometry)
        if self.coefficients.capacity < n:
            self.coefficients = Coefficients(sheet.cell_edge.shape[0])
        self.coefficients.zero(n)
        for term in self.cell_terms:
            term.accumulate(self.geometry, n, self.coefficients)
        return self.geometry

    def energy(self, sheet: Sheet) -> float:
        geometry = compute_geometry(sheet, self.geometry)
        self.geometry = geometry
        return float(sum(term.energy(geometry, sheet.n_cells) for term in self.cell_terms)
                     + sum(term.edge_energy(sheet) for term in self.edge_terms))

    def forces(self, sheet: Sheet, out: np.ndarray | None = None) -> np.ndarray:
        """F = -dE/dr for every active vertex, (n_vertices, 3). Not projected on shells."""
        self.update(sheet)
        if out is None:
            out = np.empty((sheet.n_vertices, 3))
        c = self.coefficients
        _vertex_forces(sheet.vertices, sheet.origin, sheet.twin, sheet.next, sheet.face, sheet.vertex_edge,
                       sheet.n_vertices, sheet.box, sheet.periodic, sheet.is_shell, self.geometry.centroid,
                       self.geometry.centroid_gradient, c.dE_dA, c.dE_dP, c.line_tension, out)
        for term in self.edge_terms:
            term.add_forces(sheet, out)
        return out

    def stiffness_bound(self, sheet: Sheet, edge_floor: float = 0.0) -> float:
        """Upper bound on the largest eigenvalue of the energy Hessian (energy / length^2) for the
        geometry and coefficients of the last :meth:`update`/:meth:`forces` call.

        Per cell, lambda_max(H_c) <= d2E/dA2 |grad A|^2 + |dE/dA| rho(hess A) + d2E/dP2 |grad P|^2
        + 4 max(dE/dP + lambda, 0) / l_min, with |grad A|^2 <= sum l^2, rho(hess A) <= 1,
        |grad P|^2 <= 4 n (planar, exact bounds). Summing over cells, a vertex shared by at most
        d cells gives lambda_max(H) <= d max_c lambda_max(H_c). On shells the fan-area bounds are
        doubled (an estimate, checked by the tests rather than proved).

        Edges shorter than ``edge_floor`` count as ``edge_floor`` long: an edge collapsing under
        tension would otherwise shrink the bound, and the time step, geometrically towards zero
        (it is the T1 swap, not the integrator, that must resolve it).
        """
        g, c = self.geometry, self.coefficients
        shell_factor = 2.0 if sheet.is_shell else 1.0
        per_cell_max = _stiffness_bound(g.n_sides, g.sum_squared_edges, g.shortest_edge, c.dE_dA, c.d2E_dA2,
                                        c.dE_dP, c.d2E_dP2, c.line_tension, sheet.n_cells, shell_factor, edge_floor)
        return (float(sheet.counts[MAX_DEGREE]) * per_cell_max
                + sum(term.stiffness_bound(sheet, edge_floor) for term in self.edge_terms))


@njit(cache=True)
def _stiffness_bound(n_sides, sum_squared_edges, shortest_edge, dE_dA, d2E_dA2, dE_dP, d2E_dP2, line_tension,
                     n_cells, shell_factor, edge_floor):
    worst = 0.0
    for c in range(n_cells):
        s = shell_factor * (d2E_dA2[c] * sum_squared_edges[c] + abs(dE_dA[c]))
        s += d2E_dP2[c] * 4.0 * n_sides[c]
        s += 4.0 * max(dE_dP[c] + line_tension[c], 0.0) / max(shortest_edge[c], edge_floor)
        worst = max(worst, s)
    return worst


@njit(cache=True)
def _vertex_forces(vertices, origin, twin, next_, face, vertex_edge, n_vertices, box, periodic, shell,
                   centroid, centroid_gradient, dE_dA, dE_dP, line_tension, out):
    """Gather the force on each vertex by turning around it (h -> next[twin[h]] visits every
    half-edge leaving v). Each vertex writes only its own row (so the loop can run in parallel)."""
    for v in range(n_vertices):
        h0 = vertex_edge[v]
        px, py, pz = edge_vector(vertices, v, origin[twin[h0]], box, periodic)  # previous leaving edge
        fx = fy = fz = 0.0
        h = h0
        while True:
            h = next_[twin[h]]
            ex, ey, ez = edge_vector(vertices, v, origin[twin[h]], box, periodic)
            l = np.sqrt(ex * ex + ey * ey + ez * ez)
            a = face[h]
            b = face[twin[h]]
            # tension of the edge: perimeter terms of both cells + mean line tension
            tension = 0.0
            if a >= 0 and b >= 0:
                tension = dE_dP[a] + dE_dP[b] + 0.5 * (line_tension[a] + line_tension[b])
            elif a >= 0:
                tension = dE_dP[a] + line_tension[a]
            else:
                tension = dE_dP[b] + line_tension[b]
            fx += tension * ex / l
            fy += tension * ey / l
            fz += tension * ez / l
            if a >= 0:  # area term of cell a, whose ring runs (prev) -> v -> (next) along h
                pressure = dE_dA[a]
                if not shell:  # shoelace: dA/dr_v = perp(r_next - r_prev) / 2, perp(x, y) = (y, -x)
                    fx -= pressure * 0.5 * (ey - py)
                    fy += pressure * 0.5 * (ex - px)
                else:  # fan area: direct terms of the two triangles at v + centroid term
                    mx = vertices[v, 0] - centroid[a, 0]
                    my = vertices[v, 1] - centroid[a, 1]
                    mz = vertices[v, 2] - centroid[a, 2]
                    nx, ny, nz = ex + mx, ey + my, ez + mz  # r_next - c
                    qx, qy, qz = px + mx, py + my, pz + mz  # r_prev - c
                    # triangle (c, v, next): t = m x n, gradient n x unit(t) / 2
                    tx, ty, tz = my * nz - mz * ny, mz * nx - mx * nz, mx * ny - my * nx
                    t = np.sqrt(tx * tx + ty * ty + tz * tz)
                    gx, gy, gz = centroid_gradient[a, 0], centroid_gradient[a, 1], centroid_gradient[a, 2]
                    if t > 0.0:
                        gx += 0.5 * (ny * tz - nz * ty) / t
                        gy += 0.5 * (nz * tx - nx * tz) / t
                        gz += 0.5 * (nx * ty - ny * tx) / t
                    # triangle (c, prev, v): s = q x m, gradient unit(s) x q / 2
                    sx, sy, sz = qy * mz - qz * my, qz * mx - qx * mz, qx * my - qy * mx
                    s = np.sqrt(sx * sx + sy * sy + sz * sz)
                    if s > 0.0:
                        gx += 0.5 * (sy * qz - sz * qy) / s
                        gy += 0.5 * (sz * qx - sx * qz) / s
                        gz += 0.5 * (sx * qy - sy * qx) / s
                    fx -= pressure * gx
                    fy -= pressure * gy
                    fz -= pressure * gz
            px, py, pz = ex, ey, ez
            if h == h0:
                break
        out[v, 0], out[v, 1], out[v, 2] = fx, fy, fz
