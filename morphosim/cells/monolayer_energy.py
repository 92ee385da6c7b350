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
from numba import njit

from .energy import ParameterError, as_per_cell, check_length, per_cell
from .monolayer import (APICAL_AREA, APICAL_PERIMETER, BASAL_AREA, LATERAL_SHARE, LINE_SHARE, VOLUME, Monolayer,
                        fan_face, lateral_face, load_cell, side_length, side_share, surface_volume)

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


class VitellineMembrane:
    """k_w/2 sum_v max(0, R (rho_v - 1))^2 over apical vertices: the rigid egg shell of radii R_i."""

    def __init__(self, radii, stiffness: float = 100.0):
        self.radii = np.asarray(radii, float)
        self.stiffness = float(stiffness)
        if self.radii.shape != (3,) or np.any(self.radii <= 0):
            raise ParameterError(f"vitelline radii must be three positive lengths, got {radii!r}")
        if not np.isfinite(self.stiffness) or self.stiffness < 0:
            raise ParameterError(f"vitelline stiffness must be a non-negative number, got {stiffness!r}")

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


@njit(cache=True)
def cell_forces(rings, layers, scratch, coefficients, apical_force, basal_force):
    """Add every cell's force -dE_c/dr (see the module docstring) to the apical and basal force rows."""
    s = layers.orientation
    for c in range(rings.cell_start.shape[0] - 1):
        first, n = load_cell(rings, layers, scratch, c)
        # volume and perimeter first: dE/dV and dE/dPa multiply their gradients
        triple = fan_face(scratch.apical, n, scratch.apical_gradient, 0.0, 0.0)[1]
        triple -= fan_face(scratch.basal, n, scratch.basal_gradient, 0.0, 0.0)[1]
        perimeter = 0.0
        for k in range(n):
            triple += lateral_face(scratch, n, k, 0.0, 0.0)[1]
            perimeter += side_length(scratch, n, k)[3]
        volume = s * triple / 6.0
        dE_dV = per_cell(coefficients.volume_stiffness, c) * volume + per_cell(coefficients.volume_slope, c)
        w = s * dE_dV / 6.0  # dE/dT of every face's triple sum
        fan_face(scratch.apical, n, scratch.apical_gradient, per_cell(coefficients.apical_tension, c), w)
        fan_face(scratch.basal, n, scratch.basal_gradient, per_cell(coefficients.basal_tension, c), -w)
        lateral_tension = per_cell(coefficients.lateral_tension, c)
        line_tension = per_cell(coefficients.line_tension, c)
        dE_dP = per_cell(coefficients.contractility, c) * perimeter
        for k in range(n):
            share = side_share(rings.ring_code, first + k)
            lateral_face(scratch, n, k, share * lateral_tension, w)
            dx, dy, dz, length = side_length(scratch, n, k)
            if length > 0.0:
                g = (dE_dP + share * line_tension) / length
                j = k + 1 if k + 1 < n else 0
                scratch.apical_gradient[j, 0] += g * dx
                scratch.apical_gradient[j, 1] += g * dy
                scratch.apical_gradient[j, 2] += g * dz
                scratch.apical_gradient[k, 0] -= g * dx
                scratch.apical_gradient[k, 1] -= g * dy
                scratch.apical_gradient[k, 2] -= g * dz
        for k in range(n):
            v = rings.ring_vertex[first + k]
            for d in range(3):
                apical_force[v, d] -= scratch.apical_gradient[k, d]
                basal_force[v, d] -= scratch.basal_gradient[k, d]


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

    def forces(self, m: Monolayer, out: tuple | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(apical, basal) forces -dE/dr, each (n_vertices, 3); ``out`` reuses two such arrays."""
        nv = m.n_vertices
        apical, basal = out if out is not None else (np.empty((nv, 3)), np.empty((nv, 3)))
        apical[:] = 0.0
        basal[:] = 0.0
        rings, layers, scratch = m.kernel_arguments()
        cell_forces(rings, layers, scratch, self.coefficients(m), apical, basal)
        for t in self.global_terms:
            t.add_forces(m, apical, basal)
        return apical, basal
