"""Dynamics of the 3D monolayer: overdamped motion of both layers' vertices and quasi-static relaxation.

    xi dr/dt = F(r) + xi v_ext,        F = -dE/dr,

for every apical and basal vertex, free in 3D (no projection onto any surface). The explicit step is
split into sub-steps no longer than SAFETY * 2 xi / k, k an upper estimate of the stiffness (the
largest Hessian eigenvalue, see :func:`stiffness_bound`), which is the stability bound of forward
Euler. Within one step the cells are measured for k once, and again only when the vertices have
moved far enough for k to have grown by REMEASURE (StiffnessTracker); every sub-step's force pass
measures the cells on the way, so a re-measure costs no pass of its own.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange
from scipy.optimize import minimize

from ..threads import share
from .boundary import wrap_points
from .energy import ParameterError, kernel_threads
from .monolayer import Monolayer, cell_shape, load_cell, new_scratch
from .monolayer_energy import (APICAL, BASAL, BASAL_PERIMETER, CELL_VOLUME, CONTRACTILITY, HEIGHTS, LATERAL, LINE,
                               MEAN_EDGE, N_INGREDIENTS, PERIMETER, SHORTEST, SIDES, SLOPE, STIFFNESS, TENSION,
                               MonolayerModel, VitellineMembrane, YolkElasticity, store_ingredients)
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
    edge_floor = max(edge_floor, 1e-12)
    return _total_bound(m, model, _bound_within(cell_ingredients(m, model), edge_floor, 0.0), edge_floor)


def _total_bound(m: Monolayer, model: MonolayerModel, cells: tuple[float, float], edge_floor: float) -> float:
    """The bound from (largest per-cell bound, sum of the basal areas) and the global terms (their
    edges shorter than edge_floor count as that long); the global terms are measured where m is."""
    largest_cell, basal_total = cells
    bound = int(m.sheet.counts[MAX_DEGREE]) * largest_cell
    for term in model.global_terms:
        if isinstance(term, YolkElasticity):
            bound += term.stiffness * basal_total ** 2 / m.n_vertices
        elif isinstance(term, VitellineMembrane):
            bound += term.stiffness * np.prod(term.radii) ** (2 / 3) / term.radii.min() ** 2
        elif hasattr(term, "stiffness_bound"):
            bound += term.stiffness_bound(m, edge_floor)
    return bound


def cell_ingredients(m: Monolayer, model: MonolayerModel) -> np.ndarray:
    """(n_cells, N_INGREDIENTS) per cell: shortest edge (apical side or lateral), mean edge, apical and basal
    perimeters, apical and basal areas, lateral share, sum of the lateral edges, volume, sides, and the
    coefficients the bound reads (columns SHORTEST, ... of .monolayer_energy); the force pass measures
    the same, bit for bit, when given an array for them (MonolayerModel.forces)."""
    rings, layers, scratch = m.kernel_arguments()
    out = np.empty((m.n_cells, N_INGREDIENTS))
    _cell_ingredients(kernel_threads(2 * m.n_vertices), rings, layers, scratch.apical.shape[0],
                      model.coefficients(m), out)
    return out


@njit(cache=True)
def _cell_ingredients(n_threads, rings, layers, width, coefficients, out):
    """cell_ingredients; each thread takes a fixed share of the cells (the same for any thread count)."""
    n_cells = rings.cell_start.size - 1
    for thread in prange(n_threads):
        first, last = share(n_cells, thread, n_threads)
        _ingredients(rings, layers, new_scratch(width), coefficients, first, last, out)


@njit(cache=True)
def _ingredients(rings, layers, scratch, coefficients, first_cell, last_cell, out):
    for c in range(first_cell, last_cell):
        first, n = load_cell(rings, layers, scratch, c)
        apical_area, basal_area, volume, perimeter, lateral, _ = cell_shape(rings, scratch, first, n,
                                                                            layers.orientation)
        store_ingredients(scratch, coefficients, c, n, (apical_area, basal_area, volume, perimeter, lateral), out)


@njit(cache=True)
def _bound_within(ingredients, edge_floor, reach):
    """(largest per-cell bound of stiffness_bound's docstring, sum of the basal areas) for any positions
    within `reach` of those the ingredients were measured at (reach 0: at those positions), each the
    largest the measures can take there. With every vertex moved by at most reach = d: an edge changes
    by <= 2d; a fan face of n sides and perimeter P by <= n d P + 2 n d^2 (each of its vectors from the
    fan centre, at most P/2 long, by <= 2d); a lateral quad by <= 4 d P_quad + 8 d^2; the cell's volume
    by <= d times the area of its fan triangles, each <= |u| |w| / 2 with |u| <= P/2 + 2d. NaN if a
    cell's is."""
    largest, basal_total = 0.0, 0.0
    d = reach
    for c in range(ingredients.shape[0]):
        g = ingredients[c]
        n = g[SIDES]
        shortest = max(g[SHORTEST] - 2 * d, edge_floor)
        mean_edge = g[MEAN_EDGE] + 2 * d
        perimeter = g[PERIMETER] + 2 * n * d
        apical = g[APICAL] + n * d * g[PERIMETER] + 2 * n * d * d
        basal = g[BASAL] + n * d * g[BASAL_PERIMETER] + 2 * n * d * d
        quads = g[PERIMETER] + g[BASAL_PERIMETER] + 2 * g[HEIGHTS]   # the lateral quads' perimeters, summed
        lateral = g[LATERAL] + 4 * d * quads + 8 * n * d * d
        triangles = (0.5 * n * ((0.5 * g[PERIMETER] + 2 * d) ** 2 + (0.5 * g[BASAL_PERIMETER] + 2 * d) ** 2)
                     + 0.5 * quads**2 + 8 * d * quads + 8 * n * d * d)   # >= the fan triangles' area
        stiffness = g[STIFFNESS]
        pressure = abs(stiffness * g[CELL_VOLUME] + g[SLOPE]) + abs(stiffness) * d * triangles
        areas = apical**2 + basal**2 + (2 * lateral) ** 2
        cell = (2 * g[TENSION] * mean_edge / shortest + 2 * (g[LINE] + g[CONTRACTILITY] * perimeter) / shortest
                + 2 * g[CONTRACTILITY] * n + abs(stiffness) * areas / n + pressure * 2 * mean_edge)
        if np.isnan(cell):
            return np.nan, np.nan
        largest = max(largest, cell)
        basal_total += basal
    return largest, basal_total


@njit(cache=True)
def _largest_move(positions, origin):
    """The largest distance of a vertex from where it was, positions and origin (n, 3)."""
    largest = 0.0
    for v in range(positions.shape[0]):
        dx, dy, dz = positions[v, 0] - origin[v, 0], positions[v, 1] - origin[v, 1], positions[v, 2] - origin[v, 2]
        largest = max(largest, dx * dx + dy * dy + dz * dz)
    return np.sqrt(largest)


# a sub-step re-measures the cells when the bound within reach of the last measures exceeds the bound
# at them by more than this factor (sub-steps up to ~5 % shorter than with fresh measures, but fewer passes)
REMEASURE = 1.05


class StiffnessTracker:
    """stiffness_bound along a motion: the cells are measured once, and while the vertices stay close
    to where they were, the bound is that of any positions within the largest move (_bound_within),
    an upper estimate of stiffness_bound at the current positions that costs no pass over the cells.
    Global terms other than the yolk and the membrane (whose bound does not grow with the motion)
    are evaluated anew every time. ``measured``: the cells' ingredients at m's current positions when
    a force pass has them (else they are measured here); a force pass may write those of later positions
    into ``fresh``, so that a re-measure takes them instead of a pass over the cells (bound(fresh=True))."""

    def __init__(self, m: Monolayer, model: MonolayerModel, edge_floor: float = 0.0,
                 measured: np.ndarray | None = None):
        self.m, self.model, self.edge_floor = m, model, max(edge_floor, 1e-12)
        self.tracks = all(isinstance(term, (YolkElasticity, VitellineMembrane)) for term in model.global_terms)
        self.fresh = np.empty((m.n_cells, N_INGREDIENTS))
        self.ingredients = cell_ingredients(m, model) if measured is None else measured.copy()
        self._measured_here()

    def _measured_here(self) -> None:
        """The bound at the ingredients just taken, measured at m's current positions."""
        m = self.m
        self.origin = (m.apical_positions.copy(), m.basal_positions.copy())
        self.measured = _total_bound(m, self.model, _bound_within(self.ingredients, self.edge_floor, 0.0),
                                     self.edge_floor)

    def _measure(self, fresh: bool) -> None:
        if fresh:   # the force pass's ingredients become the measures; their array the next one's
            self.ingredients, self.fresh = self.fresh, self.ingredients
        else:
            self.ingredients = cell_ingredients(self.m, self.model)
        self._measured_here()

    def bound(self, fresh: bool = False) -> float:
        """An upper estimate of stiffness_bound(m, model, edge_floor) at m's current positions; with
        ``fresh``, ``self.fresh`` holds the cells' ingredients at those positions."""
        m = self.m
        if not self.tracks:
            self._measure(fresh)
            return self.measured
        reach = max(_largest_move(m.apical_positions, self.origin[0]), _largest_move(m.basal_positions, self.origin[1]))
        if reach == 0.0:
            return self.measured
        bound = _total_bound(m, self.model, _bound_within(self.ingredients, self.edge_floor, reach), self.edge_floor)
        if bound > REMEASURE * self.measured:
            self._measure(fresh)
            return self.measured
        return bound


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
        return self._stable(stiffness_bound(m, self.model, self.min_edge_length))

    def _stable(self, bound: float) -> float:
        return SAFETY * 2.0 * self.xi / max(bound, 1e-300)

    def forces(self, m: Monolayer, out: tuple | None = None) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray]:
        """((apical, basal) forces, the cells' ingredients of the stiffness bound) at m's positions,
        in one force pass: what :meth:`step` can start from."""
        ingredients = np.empty((m.n_cells, N_INGREDIENTS))
        return self.model.forces(m, out=out, ingredients=ingredients), ingredients

    def step(self, m: Monolayer, dt: float, v_ext: tuple | None = None, forces: tuple | None = None,
             ingredients: np.ndarray | None = None) -> int:
        """Advance by ``dt`` in sub-steps within the stability bound (an upper estimate of it at every
        sub-step: StiffnessTracker); ``v_ext`` is (apical, basal) external velocities, (n_vertices, 3)
        each. ``forces`` (apical, basal) and ``ingredients`` (:meth:`forces`), when the caller has them
        at m's current positions, start the first sub-step (else it measures them). Every later sub-step
        measures its forces and the cells' ingredients in one pass. Returns the sub-step count."""
        remaining, substeps = float(dt), 0
        if remaining <= 0:
            wrap(m)
            return substeps
        buffers = (np.empty((m.n_vertices, 3)), np.empty((m.n_vertices, 3)))
        if forces is None:
            forces, ingredients = self.forces(m, out=buffers)
        tracker = StiffnessTracker(m, self.model, self.min_edge_length, measured=ingredients)
        bound = tracker.bound()
        while True:
            h = min(remaining, self._stable(bound))
            if remaining - h < 1e-12 * dt:
                h = remaining
            for layer, force, k in ((m.apical_positions, forces[0], 0), (m.basal_positions, forces[1], 1)):
                layer += (h / self.xi) * force
                if v_ext is not None:
                    layer += h * v_ext[k]
            remaining -= h
            substeps += 1
            if remaining <= 0:
                break
            forces = self.model.forces(m, out=buffers, ingredients=tracker.fresh)
            bound = tracker.bound(fresh=True)
        wrap(m)
        return substeps


def wrap(m: Monolayer) -> None:
    """Put the vertices of a periodic monolayer back into the box (x, y)."""
    for layer in (m.apical_positions, m.basal_positions):
        wrap_points(m.sheet.boundary, layer)


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
