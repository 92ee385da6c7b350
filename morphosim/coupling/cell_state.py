"""The per-step cell state every handshake reads.

After the cells have moved and topology has acted, the simulation takes one `CellState`: the
cells' geometry, normals, shape tensors and adjacency are computed at most once from it (on first
use), and the tissue quantities sampled at the cells (strain rates, morphogen levels) are attached
with the time they describe. Gene inputs, the fields' point sources, the failure checks and the
recorded frame all read the same state, so nothing is recomputed within a step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from morphosim.cells import Geometry, Sheet, compute_geometry, neighbours, shape_tensors
from morphosim.cells.bodies import MonolayerBody, SheetBody
from morphosim.cells.monolayer import APICAL_AREA, APICAL_PERIMETER, BASAL_AREA, HEIGHT, VOLUME


@dataclass(eq=False)
class CellState:
    """What the cells look like at `time`, and what the tissue last told them.

    The geometry (areas, perimeters, normals, shape tensors, adjacency) is the apical layer's; the
    centroids are the cells' centres (of a monolayer: inside the cell, between its two layers).

    strain_rates : (Nc, 3, 3) ε(v) of the tissue flow at the centroids, sampled from the last flow
        solve, at `strain_rates_time` (the end of the previous coupling step's motion: one step
        behind the positions when gene inputs read it at the start of the next step).
    accumulated_strain : (Nc,) ∫ tr ε(v) dt along each cell's path up to `strain_rates_time`.
    """

    body: SheetBody | MonolayerBody
    time: float
    strain_rates: np.ndarray
    strain_rates_time: float
    accumulated_strain: np.ndarray
    transport: object = None            # morphosim.tissue.Transport, when the run has morphogens
    species: Callable[[str], np.ndarray] | None = None   # a species' level in every cell, when genes run
    geometry_buffer: Geometry | None = None

    @property
    def sheet(self) -> Sheet:
        return self.body.sheet

    @property
    def model(self):
        return self.body.model

    @property
    def n_cells(self) -> int:
        return self.sheet.n_cells

    @cached_property
    def geometry(self) -> Geometry:
        """Areas, perimeters, centroids, normals of the cells (only the first n_cells rows count)."""
        return compute_geometry(self.sheet, self.geometry_buffer)

    @cached_property
    def centroids(self) -> np.ndarray:
        if self.body.kind == "monolayer":
            return self.body.cell_centres()
        return self.geometry.centroid[: self.n_cells].copy()

    @cached_property
    def measures(self) -> np.ndarray:
        """A monolayer's per-cell table (cells.monolayer: APICAL_AREA, BASAL_AREA, VOLUME, ...)."""
        return self.body.measures()

    @cached_property
    def normals(self) -> np.ndarray:
        return self.geometry.normal[: self.n_cells].copy()

    @cached_property
    def areas(self) -> np.ndarray:
        return self.geometry.area[: self.n_cells].copy()

    @cached_property
    def perimeters(self) -> np.ndarray:
        return self.geometry.perimeter[: self.n_cells].copy()

    @cached_property
    def signed_sizes(self) -> np.ndarray:
        """Signed area (a sheet) or volume (a monolayer) of each cell: non-positive once it turned inside out."""
        if self.body.kind == "monolayer":
            return self.measures[:, VOLUME].copy()
        return self.geometry.signed_area[: self.n_cells].copy()

    @cached_property
    def inverted(self) -> np.ndarray:
        """Slots of cells turned inside out: non-positive area (a sheet) or volume (a monolayer)."""
        return np.flatnonzero(self.signed_sizes <= 0.0)

    @cached_property
    def shape_tensors(self) -> np.ndarray:
        return shape_tensors(self.sheet, self.geometry)

    @cached_property
    def adjacency(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(indptr, indices, contact lengths): cell adjacency in CSR form (cells.neighbours)."""
        return neighbours(self.sheet)

    @cached_property
    def field_levels(self) -> dict[str, np.ndarray]:
        """Every morphogen's concentration at the centroids, {name: (Nc,)}."""
        return self.transport.values_at(self.centroids) if self.transport is not None else {}

    def recorded(self) -> dict[str, np.ndarray]:
        """The per-cell measures a frame records: a sheet's area, perimeter and shape index; a
        monolayer's apical and basal areas, volume, height and apical perimeter; the centroids."""
        if self.body.kind == "monolayer":
            table = self.measures
            data = {name: table[:, column].copy() for name, column in (
                ("apical_area", APICAL_AREA), ("basal_area", BASAL_AREA), ("volume", VOLUME), ("height", HEIGHT),
                ("apical_perimeter", APICAL_PERIMETER))}
        else:
            area, perimeter = self.areas.copy(), self.perimeters.copy()
            data = {"area": area, "perimeter": perimeter,
                    "shape_index": perimeter / np.sqrt(np.maximum(area, 1e-300))}
        data["centroid"] = self.centroids.copy()
        return data
