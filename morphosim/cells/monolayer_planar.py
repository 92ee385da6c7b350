"""Planar-polarised tension on the monolayer's junctions (the germband's myosin cables).

    E = sum_layers sum_sides beta_ij l_ij sin^2(theta_ij),    beta_ij the mean of the two cells' Lambda_planar,

theta_ij the angle between a side and the tissue axis a (the embryo's anteroposterior axis):
junctions across a (dorsoventral ones) contract, cells intercalate (T1) and the tissue converges
across a and extends along it (Zallen & Wieschaus 2004, Dev. Cell 6:343; Paré et al. 2014, Nature
515:523). The sum runs over the apical sides, and with ``basal=True`` also over the basal ones: the
germband intercalates along the whole lateral face, its basolateral protrusions polarised like the
apical junctions' myosin (Sun et al. 2017, Nat. Cell Biol. 19:375). A monolayer swaps a lateral face
when its mean width (apical + basal side) / 2 is short (cells.monolayer_topology), so with the apical
term alone the basal sides keep the face wide and the cells do not intercalate.

Each layer is a sheet with the monolayer's topology, so this is the sheet's term
(cells.planar_polarity) evaluated on the apical vertices and on the basal ones.
"""

from __future__ import annotations

import numpy as np

from .energy import as_per_cell
from .monolayer import Monolayer
from .planar_polarity import PlanarPolarisedTension, add_planar_forces, planar_energy, planar_stiffness
from .sheet import MAX_DEGREE


class MonolayerPlanarTension:
    """A global monolayer term (energy(m), add_forces(m, apical, basal)) with one per-cell
    parameter, Lambda_planar (force), carried through divisions like the cell terms'."""

    parameters = {"Lambda_planar": 0.0}

    def __init__(self, Lambda_planar=0.0, axis=(1.0, 0.0, 0.0), basal: bool = False):
        self._sheet_term = PlanarPolarisedTension(Lambda_planar, axis)
        self.basal = bool(basal)

    @property
    def Lambda_planar(self) -> np.ndarray:
        return self._sheet_term.Lambda_planar

    @Lambda_planar.setter
    def Lambda_planar(self, values) -> None:
        self._sheet_term.Lambda_planar = as_per_cell("Lambda_planar", values)

    @property
    def axis(self) -> np.ndarray:
        return self._sheet_term.axis

    def _layers(self, m: Monolayer):
        """The half-edge mesh of each layer the term acts on: the sheet's, then (basal) the same
        topology on the basal vertices."""
        arrays, boundary = m.sheet.mesh()
        yield arrays, boundary
        if self.basal:
            yield (m.basal, *arrays[1:]), boundary

    def energy(self, m: Monolayer) -> float:
        axis = self._sheet_term.axis_on(m.sheet)
        return sum(planar_energy(mesh, self.Lambda_planar, axis) for mesh in self._layers(m))

    def add_forces(self, m: Monolayer, apical: np.ndarray, basal: np.ndarray) -> None:
        axis = self._sheet_term.axis_on(m.sheet)
        for mesh, out in zip(self._layers(m), (apical, basal)):
            add_planar_forces(mesh, self.Lambda_planar, axis, out)

    def stiffness_bound(self, m: Monolayer, edge_floor: float = 0.0) -> float:
        """Upper bound on this term's part of the largest Hessian eigenvalue (sides shorter than
        edge_floor, about to swap, count as that long). The layers share no vertex: the larger bound."""
        return float(m.sheet.counts[MAX_DEGREE]) * max(planar_stiffness(mesh, self.Lambda_planar, edge_floor)
                                                       for mesh in self._layers(m))
