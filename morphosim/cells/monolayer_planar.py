"""Planar-polarised tension on the monolayer's apical junctions (the germband's myosin cables).

    E = sum_apical sides beta_ij l_ij sin^2(theta_ij),    beta_ij the mean of the two cells' Lambda_planar,

theta_ij the angle between the apical side and the tissue axis a (the embryo's anteroposterior axis):
junctions across a (dorsoventral ones) contract, cells intercalate (T1) and the tissue converges
across a and extends along it (Zallen & Wieschaus 2004, Dev. Cell 6:343; Paré et al. 2014, Nature
515:523). The apical layer of a monolayer is a sheet (cells.monolayer), so this is the sheet's term
(cells.planar_polarity) evaluated on it; the basal layer feels nothing.
"""

from __future__ import annotations

import numpy as np

from .energy import as_per_cell
from .monolayer import Monolayer
from .planar_polarity import PlanarPolarisedTension


class ApicalPlanarTension:
    """A global monolayer term (energy(m), add_forces(m, apical, basal)) with one per-cell
    parameter, Lambda_planar (force), carried through divisions like the cell terms'."""

    parameters = {"Lambda_planar": 0.0}

    def __init__(self, Lambda_planar=0.0, axis=(1.0, 0.0, 0.0)):
        self._sheet_term = PlanarPolarisedTension(Lambda_planar, axis)

    @property
    def Lambda_planar(self) -> np.ndarray:
        return self._sheet_term.Lambda_planar

    @Lambda_planar.setter
    def Lambda_planar(self, values) -> None:
        self._sheet_term.Lambda_planar = as_per_cell("Lambda_planar", values)

    @property
    def axis(self) -> np.ndarray:
        return self._sheet_term.axis

    def energy(self, m: Monolayer) -> float:
        return self._sheet_term.edge_energy(m.sheet)

    def add_forces(self, m: Monolayer, apical: np.ndarray, basal: np.ndarray) -> None:
        self._sheet_term.add_forces(m.sheet, apical)

    def stiffness_bound(self, m: Monolayer) -> float:
        return self._sheet_term.stiffness_bound(m.sheet)
