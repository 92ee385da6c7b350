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

from morphosim.cells import Geometry, Sheet, VertexModel, compute_geometry, neighbours, shape_tensors


@dataclass(eq=False)
class CellState:
    """What the cells look like at `time`, and what the tissue last told them.

    strain_rates : (Nc, 3, 3) ε(v) of the tissue flow at the centroids, sampled from the last flow
        solve, at `strain_rates_time` (the end of the previous coupling step's motion: one step
        behind the positions when gene inputs read it at the start of the next step).
    accumulated_strain : (Nc,) ∫ tr ε(v) dt along each cell's path up to `strain_rates_time`.
    """

    sheet: Sheet
    model: VertexModel
    time: float
    strain_rates: np.ndarray
    strain_rates_time: float
    accumulated_strain: np.ndarray
    transport: object = None            # morphosim.tissue.Transport, when the run has morphogens
    species: Callable[[str], np.ndarray] | None = None   # a species' level in every cell, when genes run
    geometry_buffer: Geometry | None = None

    @property
    def n_cells(self) -> int:
        return self.sheet.n_cells

    @cached_property
    def geometry(self) -> Geometry:
        """Areas, perimeters, centroids, normals of the cells (only the first n_cells rows count)."""
        return compute_geometry(self.sheet, self.geometry_buffer)

    @cached_property
    def centroids(self) -> np.ndarray:
        return self.geometry.centroid[: self.n_cells].copy()

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
