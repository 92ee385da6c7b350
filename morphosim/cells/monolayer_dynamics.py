"""Dynamics of the 3D monolayer: overdamped motion of both layers' vertices and quasi-static relaxation.

    xi dr/dt = F(r) + xi v_ext,        F = -dE/dr,

for every apical and basal vertex, free in 3D (no projection onto any surface). The explicit step is
split into equal sub-steps no longer than SAFETY * 2 xi / k, k an upper estimate of the stiffness
(the largest Hessian eigenvalue, see :func:`stiffness_bound`), which is the stability bound of
forward Euler.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange
from scipy.optimize import minimize

from ..threads import share
from .energy import ParameterError, kernel_threads, per_cell
from .monolayer import Monolayer, cell_shape, load_cell, new_scratch, side_length
from .monolayer_energy import MonolayerModel, VitellineMembrane, YolkElasticity
from .sheet import MAX_DEGREE

SAFETY = 0.5  # fraction of the forward-Euler bound 2 xi / k used


def stiffness_bound(m: Monolayer, model: MonolayerModel, edge_floor: float = 0.0) -> float:
    """Gershgorin-type estimate of the largest eigenvalue of the energy Hessian.

    Per cell, from its coefficients, shortest edge l_min (apical side or lateral edge), mean edge l and
    face areas (n sides):  a length term w l has Hessian eigenvalues <= 2 w / l; a fan area of tension g,
    <= 2 g l / l_min (thin triangles are the stiff ones); Gamma/2 P^2, <= 2 (Gamma P / l_min + Gamma n);
    K/2 (V - V0)^2, <= K |dV/dr|^2 + K |V - V0| |d2V| with |dV/dr|^2 ~ (Sa^2 + Sb^2 + Sl^2) / n.
    A vertex belongs to at most ``MAX_DEGREE`` cells, so it sees at most that many times the largest cell
    value; the yolk adds K_Y |dV_yolk/dr|^2 ~ K_Y Sb_total^2 / n_vertices, the wall k_w (R / R_min)^2.
    Edges shorter than ``edge_floor`` count as that long.
    """
    rings, layers, scratch = m.kernel_arguments()
    largest_cell, basal_total = _cell_bound(kernel_threads(2 * m.n_vertices), rings, layers, scratch.apical.shape[0],
                                            model.coefficients(m), max(edge_floor, 1e-12))
    bound = int(m.sheet.counts[MAX_DEGREE]) * largest_cell
    for term in model.global_terms:
        if isinstance(term, YolkElasticity):
            bound += term.stiffness * basal_total ** 2 / m.n_vertices
        elif isinstance(term, VitellineMembrane):
            bound += term.stiffness * np.prod(term.radii) ** (2 / 3) / term.radii.min() ** 2
        elif hasattr(term, "stiffness_bound"):
            bound += term.stiffness_bound(m)
    return bound


@njit(cache=True)
def _cell_bound(n_threads, rings, layers, width, coefficients, edge_floor):
    """(largest per-cell bound of stiffness_bound's docstring, sum of the basal areas); each thread takes
    a fixed share of the cells, the maximum and the sum (in cell order) come after, so the result does
    not depend on the thread count (NaN for the bound if a cell's is)."""
    n_cells = rings.cell_start.size - 1
    cell_bounds, basal_areas = np.empty(n_cells), np.empty(n_cells)
    for thread in prange(n_threads):
        first, last = share(n_cells, thread, n_threads)
        _cell_bounds(rings, layers, new_scratch(width), coefficients, edge_floor, first, last,
                     cell_bounds, basal_areas)
    largest, basal_total = 0.0, 0.0
    for c in range(n_cells):
        if np.isnan(cell_bounds[c]):
            return np.nan, np.nan
        largest = max(largest, cell_bounds[c])
        basal_total += basal_areas[c]
    return largest, basal_total


@njit(cache=True)
def _cell_bounds(rings, layers, scratch, coefficients, edge_floor, first_cell, last_cell, out, basal_areas):
    """out[c] = the bound of cell c (stiffness_bound's docstring), basal_areas[c] its basal area, for
    first_cell <= c < last_cell."""
    for c in range(first_cell, last_cell):
        first, n = load_cell(rings, layers, scratch, c)
        apical_area, basal_area, volume, perimeter, lateral, _ = cell_shape(rings, scratch, first, n,
                                                                            layers.orientation)
        shortest, edges = np.inf, 0.0
        for k in range(n):
            side = side_length(scratch, n, k)[3]
            dx = scratch.basal[k, 0] - scratch.apical[k, 0]
            dy = scratch.basal[k, 1] - scratch.apical[k, 1]
            dz = scratch.basal[k, 2] - scratch.apical[k, 2]
            height = np.sqrt(dx * dx + dy * dy + dz * dz)
            shortest = min(shortest, side, height)
            edges += side + height
        shortest = max(shortest, edge_floor)
        mean_edge = 0.5 * edges / n
        tension = (abs(per_cell(coefficients.apical_tension, c)) + abs(per_cell(coefficients.basal_tension, c))
                   + 2 * abs(per_cell(coefficients.lateral_tension, c)))
        contractility = abs(per_cell(coefficients.contractility, c))
        stiffness = per_cell(coefficients.volume_stiffness, c)
        pressure = abs(stiffness * volume + per_cell(coefficients.volume_slope, c))
        areas = apical_area**2 + basal_area**2 + (2 * lateral) ** 2
        out[c] = (2 * tension * mean_edge / shortest
                  + 2 * (abs(per_cell(coefficients.line_tension, c)) + contractility * perimeter) / shortest
                  + 2 * contractility * n + abs(stiffness) * areas / n + pressure * 2 * mean_edge)
        basal_areas[c] = basal_area


class MonolayerOverdamped:
    """Forward-Euler integration of xi dr/dt = F + xi v_ext with the stability bound enforced."""

    def __init__(self, model: MonolayerModel, xi: float = 1.0, min_edge_length: float = 0.0):
        self.model = model
        self.xi = float(xi)
        if not np.isfinite(self.xi) or self.xi <= 0:
            raise ParameterError(f"xi must be a positive friction coefficient, got {xi!r}")
        # edges shorter than this (about to swap by T1) do not set the bound, as in the 2D integrator
        self.min_edge_length = float(min_edge_length)

    def stable_dt(self, m: Monolayer) -> float:
        return SAFETY * 2.0 * self.xi / max(stiffness_bound(m, self.model, self.min_edge_length), 1e-300)

    def step(self, m: Monolayer, dt: float, v_ext: tuple | None = None) -> int:
        """Advance by ``dt`` in equal sub-steps within the stability bound (re-estimated each sub-step);
        ``v_ext`` is (apical, basal) external velocities, (n_vertices, 3) each. Returns the sub-step count."""
        remaining, substeps = float(dt), 0
        forces = (np.empty((m.n_vertices, 3)), np.empty((m.n_vertices, 3)))
        while remaining > 0:
            h = min(remaining, self.stable_dt(m))
            if remaining - h < 1e-12 * dt:
                h = remaining
            self.model.forces(m, out=forces)
            for layer, force, k in ((m.apical_positions, forces[0], 0), (m.basal_positions, forces[1], 1)):
                layer += (h / self.xi) * force
                if v_ext is not None:
                    layer += h * v_ext[k]
            remaining -= h
            substeps += 1
        wrap(m)
        return substeps


def wrap(m: Monolayer) -> None:
    """Put the vertices of a periodic monolayer back into the box (x, y)."""
    sheet = m.sheet
    if sheet.periodic:
        for layer in (m.apical_positions, m.basal_positions):
            layer[:, :2] -= sheet.box[:2] * np.floor(layer[:, :2] / sheet.box[:2])


def relax(m: Monolayer, model: MonolayerModel, *, tolerance: float = 1e-7, max_steps: int = 20_000) -> dict:
    """Quasi-static equilibrium by L-BFGS (scipy) on all apical and basal positions.

    Stops when the largest vertex force is below ``tolerance`` (or after ``max_steps`` iterations).
    Returns {"steps", "max_force", "energy", "converged"}.
    """
    nv = m.n_vertices
    forces = (np.empty((nv, 3)), np.empty((nv, 3)))

    def set_positions(x):
        m.apical_positions[:] = x[: 3 * nv].reshape(nv, 3)
        m.basal_positions[:] = x[3 * nv:].reshape(nv, 3)

    def energy_and_gradient(x):
        set_positions(x)
        model.forces(m, out=forces)
        return model.energy(m), -np.concatenate([forces[0].ravel(), forces[1].ravel()])

    x0 = np.concatenate([m.apical_positions.ravel(), m.basal_positions.ravel()])
    result = minimize(energy_and_gradient, x0, jac=True, method="L-BFGS-B",
                      options={"maxiter": max_steps, "gtol": tolerance, "ftol": 0.0, "maxcor": 20})
    set_positions(result.x)
    wrap(m)
    model.forces(m, out=forces)
    max_force = float(max(np.abs(forces[0]).max(), np.abs(forces[1]).max()))
    return {"steps": int(result.nit), "max_force": max_force, "energy": model.energy(m),
            "converged": bool(max_force < tolerance)}


relax_monolayer = relax  # the package-level name (cells.relax is the 2D sheet's)
