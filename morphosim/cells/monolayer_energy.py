"""Energy of the 3D monolayer (:mod:`.monolayer`) and its analytic forces.

    E = sum_cells [ ga Sa + gb Sb + K_V/2 (V - V0)^2 + Gamma/2 Pa^2 ] + sum_lateral faces gl Sl
        + sum_apical sides Lambda l + K_Y/2 (V_yolk - V_yolk0)^2 + E_wall,

    gl, Lambda of a face / side shared by two cells = the mean of their values (of the one cell on the
    outer boundary of an open sheet),
    E_wall = k_w/2 sum_apical v max(0, R (rho_v - 1))^2,   rho = sqrt(sum_i (x_i / R_i)^2),  R = (R_1 R_2 R_3)^(1/3)

(the vitelline membrane: a one-sided penalty on apical vertices outside the ellipsoid of radii R_i; R
makes rho - 1 a length, the distance outside the membrane on a sphere).

Terms compose as in the 2D model: a *cell term* adds per-cell coefficients to :class:`CellCoefficients`,

    E_c = ga Sa + gb Sb + gl L_c + lambda l_c + K/2 V^2 + k1 V + Gamma/2 Pa^2   (+ a constant),

(L_c, l_c the cell's lateral and line shares, see :data:`.monolayer.LATERAL_SHARE`) and reports its
energy from the per-cell measures; one numba kernel then computes every cell's forces,

    F = - sum_c [ ga dSa/dr + gb dSb/dr + sum_k w_k gl dSl_k/dr + (Gamma Pa + w_k lambda) dl_k/dr
                  + (K V + k1) dV/dr ],          w_k = 1/2 shared, 1 on the boundary.

A *global term* (yolk, membrane) has its own ``energy(m)`` and ``add_forces(m, apical, basal)``.
Every coefficient is a scalar or an array over cell slots.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit, prange

from ..threads import barrier, share
from .energy import ParameterError, as_per_cell, check_length, kernel_threads, per_cell
from .monolayer import (APICAL_AREA, APICAL_PERIMETER, BASAL_AREA, LATERAL_SHARE, LINE_SHARE, VOLUME, Monolayer,
                        fan_face, lateral_face, load_cell, new_scratch, side_length, side_share, surface_volume)

CellCoefficients = namedtuple("CellCoefficients", "apical_tension basal_tension lateral_tension line_tension "
                                                  "contractility volume_stiffness volume_slope")


class Coefficients3D:
    """Per-cell coefficients the cell terms add to (length-1 arrays until a term adds a per-cell one)."""

    def __init__(self):
        self.values = {name: np.zeros(1) for name in CellCoefficients._fields}

    def add(self, name: str, values: np.ndarray) -> None:
        self.values[name] = self.values[name] + values

    def record(self) -> CellCoefficients:
        return CellCoefficients(**self.values)


class MonolayerTerm:
    """Base of the energy terms: ``parameters`` maps each parameter name to its default; the
    constructor stores every one as a per-cell array (length 1 for a scalar)."""

    parameters: dict = {}

    def __init__(self, **values):
        unknown = set(values) - set(self.parameters)
        if unknown:
            raise ParameterError(f"{type(self).__name__} has no parameter {sorted(unknown)}: "
                                 f"use {sorted(self.parameters)}")
        for name, default in self.parameters.items():
            setattr(self, name, as_per_cell(name, values.get(name, default)))

    def check(self, n_cells: int) -> None:
        for name in self.parameters:
            check_length(name, getattr(self, name), n_cells)


class SurfaceTensions(MonolayerTerm):
    """ga Sa + gb Sb per cell + gl Sl per lateral face (gl the mean of the face's two cells)."""

    parameters = {"apical_tension": 0.0, "basal_tension": 0.0, "lateral_tension": 0.0}

    def energy(self, measures: np.ndarray) -> float:
        return float(np.sum(self.apical_tension * measures[:, APICAL_AREA] + self.basal_tension * measures[:, BASAL_AREA]
                            + self.lateral_tension * measures[:, LATERAL_SHARE]))

    def accumulate(self, coefficients: Coefficients3D) -> None:
        coefficients.add("apical_tension", self.apical_tension)
        coefficients.add("basal_tension", self.basal_tension)
        coefficients.add("lateral_tension", self.lateral_tension)


class VolumeElasticity(MonolayerTerm):
    """K_V/2 (V - V0)^2 per cell. Apoptosis: drive a cell's V0 to 0."""

    parameters = {"volume_stiffness": 1.0, "V0": 1.0}

    def energy(self, measures: np.ndarray) -> float:
        return float(np.sum(0.5 * self.volume_stiffness * (measures[:, VOLUME] - self.V0) ** 2))

    def accumulate(self, coefficients: Coefficients3D) -> None:
        coefficients.add("volume_stiffness", self.volume_stiffness)
        coefficients.add("volume_slope", -self.volume_stiffness * self.V0)


class ApicalContractility(MonolayerTerm):
    """Gamma/2 Pa^2 per cell (actomyosin ring of the apical perimeter)."""

    parameters = {"Gamma": 0.0}

    def energy(self, measures: np.ndarray) -> float:
        return float(np.sum(0.5 * self.Gamma * measures[:, APICAL_PERIMETER] ** 2))

    def accumulate(self, coefficients: Coefficients3D) -> None:
        coefficients.add("contractility", self.Gamma)


class ApicalLineTension(MonolayerTerm):
    """Lambda l per apical side (Lambda the mean of the side's two cells)."""

    parameters = {"Lambda": 0.0}

    def energy(self, measures: np.ndarray) -> float:
        return float(np.sum(self.Lambda * measures[:, LINE_SHARE]))

    def accumulate(self, coefficients: Coefficients3D) -> None:
        coefficients.add("line_tension", self.Lambda)


class YolkElasticity:
    """K_Y/2 (V_yolk - V_yolk0)^2, V_yolk the volume inside the basal surface of a closed shell;
    ``target=None`` takes the monolayer's ``reference_yolk_volume`` (its yolk volume when built)."""

    def __init__(self, stiffness: float, target: float | None = None):
        self.stiffness = float(stiffness)
        self.target = None if target is None else float(target)
        if not np.isfinite(self.stiffness) or self.stiffness < 0:
            raise ParameterError(f"yolk_stiffness must be a non-negative number, got {stiffness!r}")

    def _excess(self, m: Monolayer) -> float:
        target = m.reference_yolk_volume if self.target is None else self.target
        return m.yolk_volume() - target

    def energy(self, m: Monolayer) -> float:
        return 0.5 * self.stiffness * self._excess(m) ** 2

    def add_forces(self, m: Monolayer, apical: np.ndarray, basal: np.ndarray) -> None:
        rings, layers, scratch = m.kernel_arguments()
        weight = self.stiffness * self._excess(m)
        surface_volume(rings, layers.basal, scratch.basal, scratch.basal_gradient, weight, basal)


class Squeeze(namedtuple("Squeeze", "axis fraction start ramp")):
    """The egg pressed along one axis: the membrane's radius along ``axis`` (0, 1, 2) shrinks by
    ``fraction`` linearly over ``ramp`` from time ``start``, then stays,

        R_axis(t) = R_axis (1 - fraction min(1, max(0, (t - start) / ramp))),

    as when Farge (2003, Curr. Biol. 13:1365) compressed embryos laterally by ~10 % of their width."""

    def factor(self, time: float) -> float:
        return 1.0 - self.fraction * min(1.0, max(0.0, (time - self.start) / self.ramp))


class VitellineMembrane:
    """k_w/2 sum_v max(0, R (rho_v - 1))^2 over apical vertices: the rigid egg shell of radii R_i
    (``squeeze``: a :class:`Squeeze` that presses it in time, see :meth:`set_time`)."""

    def __init__(self, radii, stiffness: float = 100.0, squeeze: Squeeze | None = None):
        self.rest_radii = np.asarray(radii, float)
        self.radii = self.rest_radii.copy()
        self.stiffness = float(stiffness)
        self.squeeze = squeeze
        if self.radii.shape != (3,) or np.any(self.radii <= 0):
            raise ParameterError(f"vitelline radii must be three positive lengths, got {radii!r}")
        if not np.isfinite(self.stiffness) or self.stiffness < 0:
            raise ParameterError(f"vitelline stiffness must be a non-negative number, got {stiffness!r}")
        if squeeze is not None and not (squeeze.axis in (0, 1, 2) and 0.0 <= squeeze.fraction < 1.0 and squeeze.ramp > 0):
            raise ParameterError(f"squeeze needs an axis 0-2, a fraction in [0, 1) and a positive ramp, got {squeeze!r}")

    def set_time(self, time: float) -> None:
        """The membrane's radii at this time (unchanged without a squeeze)."""
        if self.squeeze is not None:
            self.radii = self.rest_radii.copy()
            self.radii[self.squeeze.axis] *= self.squeeze.factor(time)

    def energy(self, m: Monolayer) -> float:
        return _wall(m.apical_positions, self.radii, self.stiffness, np.empty((0, 3)))

    def add_forces(self, m: Monolayer, apical: np.ndarray, basal: np.ndarray) -> None:
        _wall(m.apical_positions, self.radii, self.stiffness, apical)


@njit(cache=True)
def _wall(positions, radii, stiffness, forces):
    """E_wall and, when ``forces`` has rows, F -= dE_wall/dr, with d rho/dx_i = x_i / (R_i^2 rho)."""
    scale = (radii[0] * radii[1] * radii[2]) ** (1.0 / 3.0)
    energy = 0.0
    for v in range(positions.shape[0]):
        x, y, z = positions[v, 0] / radii[0], positions[v, 1] / radii[1], positions[v, 2] / radii[2]
        rho = np.sqrt(x * x + y * y + z * z)
        if rho <= 1.0:
            continue
        excess = scale * (rho - 1.0)
        energy += 0.5 * stiffness * excess * excess
        if forces.shape[0] > 0:
            pull = stiffness * excess * scale / rho
            forces[v, 0] -= pull * x / radii[0]
            forces[v, 1] -= pull * y / radii[1]
            forces[v, 2] -= pull * z / radii[2]
    return energy


# The forces are gathered, as in the 2D kernels (:mod:`.energy`): each cell writes -dE_c/dr at its
# k-th apical and basal vertex into row k of its ring (side_forces), then each vertex sums the rows of the
# cells around it (Rings.vertex_sides, padded with a zero row), in one parallel region with a barrier
# between the two passes (morphosim.threads). Every row has one writer and every sum a fixed order, so
# the forces are the same, bit for bit, for any number of threads.
SideForces = namedtuple("SideForces", "vertex_sides apical basal width")  # width: scratch rows per cell


@njit(inline="always")
def cell_gradient(ring_code, scratch, coefficients, c, first, n, orientation):
    """dE_c/dr of the loaded cell c into scratch.apical_gradient and basal_gradient, every face evaluated
    once: the tensions' area gradients go straight in, the volume's triple sum and the perimeter are
    summed with their gradients kept apart, then added times dE/dV = K V + k1 and dE/dP = Gamma P.
    Returns (apical area, basal area, volume, apical perimeter, lateral share), the values, bit for bit,
    of :func:`.monolayer.cell_shape` (the same operations in the same order)."""
    s = orientation
    apical, basal = scratch.apical_gradient, scratch.basal_gradient
    apical_area, triple = fan_face(scratch.apical, n, apical, per_cell(coefficients.apical_tension, c),
                                   scratch.apical_volume_gradient, 1.0)
    basal_area, basal_triple = fan_face(scratch.basal, n, basal, per_cell(coefficients.basal_tension, c),
                                        scratch.basal_volume_gradient, -1.0)
    triple -= basal_triple  # the basal face runs in reverse ring order
    lateral_tension = per_cell(coefficients.lateral_tension, c)
    line_tension = per_cell(coefficients.line_tension, c)
    perimeter = lateral = 0.0
    for k in range(n):
        share = side_share(ring_code, first + k)
        area, lateral_triple = lateral_face(scratch, n, k, share * lateral_tension, 1.0)
        lateral += share * area
        triple += lateral_triple
        dx, dy, dz, length = side_length(scratch, n, k)
        perimeter += length
        if length > 0.0:
            j = k + 1 if k + 1 < n else 0
            ux, uy, uz = dx / length, dy / length, dz / length
            line = share * line_tension
            perimeter_gradient = scratch.perimeter_gradient
            perimeter_gradient[j, 0] += ux
            perimeter_gradient[j, 1] += uy
            perimeter_gradient[j, 2] += uz
            perimeter_gradient[k, 0] -= ux
            perimeter_gradient[k, 1] -= uy
            perimeter_gradient[k, 2] -= uz
            apical[j, 0] += line * ux
            apical[j, 1] += line * uy
            apical[j, 2] += line * uz
            apical[k, 0] -= line * ux
            apical[k, 1] -= line * uy
            apical[k, 2] -= line * uz
    volume = s * triple / 6.0
    w = s * (per_cell(coefficients.volume_stiffness, c) * volume + per_cell(coefficients.volume_slope, c)) / 6.0
    dE_dP = per_cell(coefficients.contractility, c) * perimeter
    for k in range(n):
        for d in range(3):
            apical[k, d] += w * scratch.apical_volume_gradient[k, d] + dE_dP * scratch.perimeter_gradient[k, d]
            basal[k, d] += w * scratch.basal_volume_gradient[k, d]
    return apical_area, basal_area, volume, perimeter, lateral


# columns of a cell's row of the stiffness bound's ingredients (.monolayer_dynamics.cell_ingredients),
# which the force pass can fill on the way (it has measured every one of them)
(SHORTEST, MEAN_EDGE, PERIMETER, BASAL_PERIMETER, APICAL, BASAL, LATERAL, HEIGHTS, CELL_VOLUME, SIDES, TENSION,
 LINE, CONTRACTILITY, STIFFNESS, SLOPE) = range(15)
N_INGREDIENTS = 15
_NO_INGREDIENTS = np.empty((0, N_INGREDIENTS))   # the force pass without them


@njit(inline="always")
def store_ingredients(scratch, coefficients, c, n, shape, out):
    """Row c of the bound's ingredients from the loaded cell c and its cell_shape values `shape`
    (apical area, basal area, volume, perimeter, lateral share): shortest edge (apical side or
    lateral), mean edge, basal perimeter, sum of the lateral edges, sides and the coefficients."""
    apical_area, basal_area, volume, perimeter, lateral = shape
    shortest, edges, heights, basal_perimeter = np.inf, 0.0, 0.0, 0.0
    for k in range(n):
        side = side_length(scratch, n, k)[3]
        j = k + 1 if k + 1 < n else 0
        dx = scratch.basal[k, 0] - scratch.apical[k, 0]
        dy = scratch.basal[k, 1] - scratch.apical[k, 1]
        dz = scratch.basal[k, 2] - scratch.apical[k, 2]
        height = np.sqrt(dx * dx + dy * dy + dz * dz)
        dx = scratch.basal[j, 0] - scratch.basal[k, 0]
        dy = scratch.basal[j, 1] - scratch.basal[k, 1]
        dz = scratch.basal[j, 2] - scratch.basal[k, 2]
        basal_perimeter += np.sqrt(dx * dx + dy * dy + dz * dz)
        shortest = min(shortest, side, height)
        edges += side + height
        heights += height
    out[c, SHORTEST], out[c, MEAN_EDGE] = shortest, 0.5 * edges / n
    out[c, PERIMETER], out[c, BASAL_PERIMETER] = perimeter, basal_perimeter
    out[c, APICAL], out[c, BASAL], out[c, LATERAL] = apical_area, basal_area, lateral
    out[c, HEIGHTS], out[c, CELL_VOLUME], out[c, SIDES] = heights, volume, n
    out[c, TENSION] = (abs(per_cell(coefficients.apical_tension, c)) + abs(per_cell(coefficients.basal_tension, c))
                       + 2 * abs(per_cell(coefficients.lateral_tension, c)))
    out[c, LINE] = abs(per_cell(coefficients.line_tension, c))
    out[c, CONTRACTILITY] = abs(per_cell(coefficients.contractility, c))
    out[c, STIFFNESS] = per_cell(coefficients.volume_stiffness, c)
    out[c, SLOPE] = per_cell(coefficients.volume_slope, c)


@njit(cache=True)
def _cell_pass(rings, layers, coefficients, first_cell, last_cell, sides, ingredients):
    """-dE_c/dr of cells [first_cell, last_cell) into their ring rows of sides.apical and sides.basal,
    and their rows of the bound's ingredients when that array has rows."""
    scratch = new_scratch(sides.width)
    for c in range(first_cell, last_cell):
        first, n = load_cell(rings, layers, scratch, c)
        shape = cell_gradient(rings.ring_code, scratch, coefficients, c, first, n, layers.orientation)
        if ingredients.shape[0] > 0:
            store_ingredients(scratch, coefficients, c, n, shape, ingredients)
        for k in range(n):
            for d in range(3):
                sides.apical[first + k, d] = -scratch.apical_gradient[k, d]
                sides.basal[first + k, d] = -scratch.basal_gradient[k, d]


@njit(cache=True)
def _vertex_pass(sides, first_vertex, last_vertex, apical_force, basal_force):
    """F_v = the sum of v's ring rows (over the cells around v, in a fixed order)."""
    for v in range(first_vertex, last_vertex):
        ax = ay = az = bx = by = bz = 0.0
        for r in range(sides.vertex_sides.shape[1]):
            row = sides.vertex_sides[v, r]
            ax += sides.apical[row, 0]
            ay += sides.apical[row, 1]
            az += sides.apical[row, 2]
            bx += sides.basal[row, 0]
            by += sides.basal[row, 1]
            bz += sides.basal[row, 2]
        apical_force[v, 0], apical_force[v, 1], apical_force[v, 2] = ax, ay, az
        basal_force[v, 0], basal_force[v, 1], basal_force[v, 2] = bx, by, bz


@njit(cache=True)
def _force_passes(thread, n_threads, arrivals, rings, layers, coefficients, sides, forces, ingredients):
    """One thread's share of the cells, a barrier, then its share of the vertices."""
    n_cells = rings.cell_start.shape[0] - 1
    first, last = share(n_cells, thread, n_threads)
    _cell_pass(rings, layers, coefficients, first, last, sides, ingredients)
    barrier(arrivals, n_threads, 1)
    apical_force, basal_force = forces
    first, last = share(apical_force.shape[0], thread, n_threads)
    _vertex_pass(sides, first, last, apical_force, basal_force)


@njit(cache=True, parallel=True)
def _force_region(n_threads, arrivals, rings, layers, coefficients, sides, forces, ingredients):
    for thread in prange(n_threads):
        _force_passes(thread, n_threads, arrivals, rings, layers, coefficients, sides, forces, ingredients)


@njit(cache=True)
def cell_forces(n_threads, rings, layers, coefficients, sides, forces, ingredients):
    """Set forces = (apical, basal), each (n_vertices, 3), to -dE/dr of the cell terms, and, when
    ingredients (n_cells, N_INGREDIENTS) has rows, every cell's row of the stiffness bound's ingredients,
    on n_threads threads (one: without a parallel region, which would wake the others)."""
    arrivals = np.zeros(1, np.int64)
    if n_threads == 1:
        _force_passes(0, 1, arrivals, rings, layers, coefficients, sides, forces, ingredients)
    else:
        _force_region(n_threads, arrivals, rings, layers, coefficients, sides, forces, ingredients)


def side_forces(m: Monolayer) -> SideForces:
    """The ring-row work arrays of the force gather for m's current rings (kept until they change)."""
    rings = m.sheet.rings()
    cached = getattr(m, "_side_forces", None)
    if cached is None or cached[0] is not rings:
        n_sides = rings.ring_vertex.shape[0]
        # the last row stays zero: the padding of vertex_sides
        cached = (rings, SideForces(rings.vertex_sides, np.zeros((n_sides + 1, 3)), np.zeros((n_sides + 1, 3)),
                                    max(rings.max_sides, 4)))
        m._side_forces = cached
    return cached[1]


class MonolayerModel:
    """The monolayer energy as a list of terms (see the module docstring).

    ``MonolayerModel(apical_tension, basal_tension, lateral_tension, volume_stiffness, V0, Gamma=0,
    Lambda=0, yolk_stiffness=None, vitelline=None)`` builds the standard terms; ``vitelline`` is a
    :class:`VitellineMembrane` or the radii of one (default stiffness); ``terms`` replaces or extends
    them (pass ``terms=[...]`` with the keyword defaults to use only your own).
    """

    def __init__(self, apical_tension=1.0, basal_tension=1.0, lateral_tension=1.0, volume_stiffness=1.0, V0=1.0,
                 Gamma=0.0, Lambda=0.0, yolk_stiffness=None, vitelline=None, terms=None, yolk_volume=None):
        self.terms = [SurfaceTensions(apical_tension=apical_tension, basal_tension=basal_tension,
                                      lateral_tension=lateral_tension),
                      VolumeElasticity(volume_stiffness=volume_stiffness, V0=V0)]
        if np.any(np.asarray(Gamma) != 0):
            self.terms.append(ApicalContractility(Gamma=Gamma))
        if np.any(np.asarray(Lambda) != 0):
            self.terms.append(ApicalLineTension(Lambda=Lambda))
        if yolk_stiffness is not None:
            self.terms.append(YolkElasticity(yolk_stiffness, yolk_volume))
        if vitelline is not None:
            self.terms.append(vitelline if isinstance(vitelline, VitellineMembrane) else VitellineMembrane(vitelline))
        if terms is not None:
            self.terms.extend(terms)

    @property
    def cell_terms(self) -> list:
        return [t for t in self.terms if isinstance(t, MonolayerTerm)]

    @property
    def global_terms(self) -> list:
        return [t for t in self.terms if not isinstance(t, MonolayerTerm)]

    def set_time(self, time: float) -> None:
        """Move the terms that depend on time (a squeezed vitelline membrane) to this time."""
        for t in self.global_terms:
            if hasattr(t, "set_time"):
                t.set_time(time)

    def term(self, kind: type):
        """The model's (first) term of this class, e.g. ``model.term(VolumeElasticity).V0``."""
        for t in self.terms:
            if isinstance(t, kind):
                return t
        raise ParameterError(f"the model has no {kind.__name__} term")

    def carry(self, events) -> None:
        """Remap every per-cell parameter array through a topology event record (daughters copy their
        mother's values) and halve the daughters' V0 (each inherits half the mother's volume)."""
        for t in self.terms:
            for name in getattr(t, "parameters", ()):
                values = getattr(t, name)
                if values.shape[0] > 1:
                    setattr(t, name, events.carry(values))
        if len(events.divisions):
            for t in self.cell_terms:
                if isinstance(t, VolumeElasticity):
                    if t.V0.shape[0] == 1:
                        t.V0 = np.full(events.n_cells, t.V0[0])
                    t.V0[events.divisions.ravel()] *= 0.5

    def coefficients(self, m: Monolayer) -> CellCoefficients:
        block = Coefficients3D()
        for t in self.cell_terms:
            t.check(m.n_cells)
            t.accumulate(block)
        return block.record()

    def energy(self, m: Monolayer) -> float:
        measures = m.measures()
        total = 0.0
        for t in self.cell_terms:
            t.check(m.n_cells)
            total += t.energy(measures)
        for t in self.global_terms:
            total += t.energy(m)
        return total

    def forces(self, m: Monolayer, out: tuple | None = None,
               ingredients: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(apical, basal) forces -dE/dr, each (n_vertices, 3); ``out`` reuses two such arrays.
        ``ingredients``, an (n_cells, N_INGREDIENTS) array, also gets the cells' ingredients of the
        stiffness bound at these positions (.monolayer_dynamics.cell_ingredients), measured on the way."""
        nv = m.n_vertices
        apical, basal = out if out is not None else (np.empty((nv, 3)), np.empty((nv, 3)))
        rings, layers = m.kernel_arguments()[:2]
        if ingredients is None:
            ingredients = _NO_INGREDIENTS
        elif ingredients.shape != (m.n_cells, N_INGREDIENTS):
            raise ParameterError(f"ingredients must have shape ({m.n_cells}, {N_INGREDIENTS}), got {ingredients.shape}")
        cell_forces(kernel_threads(2 * nv), rings, layers, self.coefficients(m), side_forces(m), (apical, basal),
                    ingredients)
        for t in self.global_terms:
            t.add_forces(m, apical, basal)
        return apical, basal
