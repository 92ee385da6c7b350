"""Cells/tissue -> genes: the per-cell quantities a scenario can feed into SBML parameters.

`INPUTS` is the table of input sources: a scenario's `genes.inputs` maps an SBML parameter onto
one of its names (a name ending in `<...>` takes the rest of the source as its argument, e.g.
`field.bmp`). Each entry is a function of the step's CellState (and that argument) returning one
value per cell. The validator and the README's key table read the names from here. To add a source,
write its function and add one line to the table.

An entry of `genes.inputs` is a source name (`D_nbr: neighbours.mean.D`) or a scaled source
(`D_nbr: {source: neighbours.mean.D, scale: 2.0, offset: 0.1}`), whose value is scale · source + offset.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from numba import njit

from morphosim.cells.geometry import tangent_basis
from morphosim.cells.monolayer import APICAL_AREA, BASAL_AREA, HEIGHT

from .cell_state import CellState


# ---------------------------------------------------------------------- tensor measures
def tangent_eigenvalues(tensors: np.ndarray, normals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Largest and smallest eigenvalue of symmetric 3x3 tensors restricted to the plane normal
    to `normals` (per cell). For planar sheets the normal is z and this is the xy block."""
    t1, t2 = tangent_basis(normals)
    sxx = np.einsum("ci,cij,cj->c", t1, tensors, t1)
    syy = np.einsum("ci,cij,cj->c", t2, tensors, t2)
    sxy = np.einsum("ci,cij,cj->c", t1, tensors, t2)
    mean, radius = 0.5 * (sxx + syy), np.sqrt(0.25 * (sxx - syy) ** 2 + sxy ** 2)
    return mean + radius, mean - radius


def strain_rate_measures(strain_rates: np.ndarray, normals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(trace, anisotropy e1 - e2) of per-cell strain-rate tensors in the tangent plane."""
    largest, smallest = tangent_eigenvalues(strain_rates, normals)
    return largest + smallest, largest - smallest


@njit(cache=True)
def neighbour_mean(indptr, indices, contact, values, weighted):
    """Mean of `values` over each cell's neighbours (CSR adjacency), plain or weighted by contact
    length. A cell without neighbours gets 0. Serial: a few reads per cell are less work than
    waking the thread pool."""
    n = indptr.shape[0] - 1
    out = np.zeros(n)
    for c in range(n):
        total = 0.0
        weight = 0.0
        for k in range(indptr[c], indptr[c + 1]):
            w = contact[k] if weighted else 1.0
            total += w * values[indices[k]]
            weight += w
        if weight > 0.0:
            out[c] = total / weight
    return out


# ---------------------------------------------------------------------- the input sources
def areal_strain(cells: CellState, _: str) -> np.ndarray:
    """A/A0 − 1: the cell's area against its target area (dimensionless)."""
    return cells.areas / np.maximum(cells.model.A0, 1e-300) - 1.0


def _against_reference(cells: CellState, column: int, reference: str) -> np.ndarray:
    return cells.measures[:, column] / np.maximum(cells.body.reference[reference], 1e-300) - 1.0


def apical_strain(cells: CellState, _: str) -> np.ndarray:
    """A_apical/A_apical,ref − 1 of a monolayer cell, against its apical area when the run began
    (daughters: half their mother's); negative when the apex is compressed (dimensionless)."""
    return _against_reference(cells, APICAL_AREA, "apical_area")


def basal_strain(cells: CellState, _: str) -> np.ndarray:
    """A_basal/A_basal,ref − 1 of a monolayer cell, against its basal area when the run began
    (dimensionless)."""
    return _against_reference(cells, BASAL_AREA, "basal_area")


def height_strain(cells: CellState, _: str) -> np.ndarray:
    """h/h_ref − 1: the monolayer cell's apical–basal height against its height when the run
    began; negative when the cell shortens (dimensionless)."""
    return _against_reference(cells, HEIGHT, "height")


def aspect_ratio(cells: CellState, _: str) -> np.ndarray:
    """h/√A_apical of a monolayer cell: above 1 columnar, below 1 squamous (dimensionless)."""
    return cells.measures[:, HEIGHT] / np.sqrt(np.maximum(cells.measures[:, APICAL_AREA], 1e-300))


def embryo_coordinate(cells: CellState, axis: str) -> np.ndarray:
    """Position on the embryo (cells on an ellipsoid of radii a, b, c along x, y, z): `ap` =
    (x/a + 1)/2, 0 at the anterior pole (−x) and 1 at the posterior; `dv` = the angle from the
    ventral midline (−z) around the x axis over π, 0 ventral and 1 dorsal (dimensionless)."""
    a, b, c = cells.sheet.radii
    x, y, z = cells.centroids.T
    if axis == "ap":
        return np.clip(0.5 * (x / a + 1.0), 0.0, 1.0)
    return np.abs(np.arctan2(y / b, -z / c)) / np.pi


def shape_anisotropy(cells: CellState, _: str) -> np.ndarray:
    """(s1 − s2)/(s1 + s2) of the cell's shape tensor in its tangent plane: 0 for a regular polygon
    (dimensionless)."""
    largest, smallest = tangent_eigenvalues(cells.shape_tensors, cells.normals)
    total = largest + smallest
    return np.divide(largest - smallest, total, out=np.zeros_like(total), where=total > 0)


def strain_rate_trace(cells: CellState, _: str) -> np.ndarray:
    """tr ε(v) of the flow at the centroid in the tangent plane: areal expansion rate (1/time);
    sampled at the end of the previous step's motion."""
    return strain_rate_measures(cells.strain_rates, cells.normals)[0]


def strain_rate_anisotropy(cells: CellState, _: str) -> np.ndarray:
    """e1 − e2 of ε(v) in the tangent plane (1/time); sampled at the end of the previous step's motion."""
    return strain_rate_measures(cells.strain_rates, cells.normals)[1]


def accumulated_strain(cells: CellState, _: str) -> np.ndarray:
    """∫ tr ε(v) dt along the cell's path, daughters inheriting their mother's (dimensionless);
    non-zero only for a compressible flow."""
    return cells.accumulated_strain.copy()


def centroid_coordinate(cells: CellState, axis: str) -> np.ndarray:
    """The centroid's x, y or z coordinate (length): a positional signal for patterning."""
    return cells.centroids[:, "xyz".index(axis)].copy()


def field_level(cells: CellState, name: str) -> np.ndarray:
    """Concentration of morphogen `name` at the centroid (amount/length², on the tissue mesh)."""
    return cells.field_levels[name]


def neighbour_mean_of(cells: CellState, species: str) -> np.ndarray:
    """Mean of a species over the adjacent cells (the species' units)."""
    indptr, indices, contact = cells.adjacency
    return neighbour_mean(indptr, indices, contact, cells.species(species), False)


def contact_mean_of(cells: CellState, species: str) -> np.ndarray:
    """Mean of a species over the adjacent cells, weighted by shared edge length (the species' units)."""
    indptr, indices, contact = cells.adjacency
    return neighbour_mean(indptr, indices, contact, cells.species(species), True)


@dataclass(frozen=True)
class InputSource:
    """One entry of INPUTS: the function, and the scenario section it needs (None: always there)."""

    compute: Callable[[CellState, str], np.ndarray]
    needs: str | None = None
    choices: tuple[str, ...] | None = None     # the arguments it accepts, when they are few
    cells: str | None = None                   # "sheet", "monolayer" or "shell" (either, on an ellipsoid) if only there

    @property
    def doc(self) -> str:
        return " ".join(self.compute.__doc__.split())


INPUTS: dict[str, InputSource] = {
    "strain.areal": InputSource(areal_strain, cells="sheet"),
    "strain.apical": InputSource(apical_strain, cells="monolayer"),
    "strain.basal": InputSource(basal_strain, cells="monolayer"),
    "strain.height": InputSource(height_strain, cells="monolayer"),
    "shape.aspect": InputSource(aspect_ratio, cells="monolayer"),
    "strain.anisotropy": InputSource(shape_anisotropy),
    "strain_rate.trace": InputSource(strain_rate_trace, needs="tissue.flow"),
    "strain_rate.anisotropy": InputSource(strain_rate_anisotropy, needs="tissue.flow"),
    "strain.accumulated": InputSource(accumulated_strain, needs="tissue.flow"),
    "position.<axis>": InputSource(centroid_coordinate, choices=("x", "y", "z")),
    "embryo.<axis>": InputSource(embryo_coordinate, choices=("ap", "dv"), cells="shell"),
    "field.<name>": InputSource(field_level, needs="tissue.fields"),
    "neighbours.mean.<species>": InputSource(neighbour_mean_of),
    "neighbours.contact_mean.<species>": InputSource(contact_mean_of),
}


def find_input(source: str) -> tuple[InputSource, str] | None:
    """The table entry of a source name and its argument (the `<...>` part, or ""), or None."""
    if source in INPUTS:
        return INPUTS[source], ""
    for name, entry in INPUTS.items():
        prefix = name.partition("<")[0]
        argument = source[len(prefix):]
        if name.endswith(">") and source.startswith(prefix) and argument \
                and (entry.choices is None or argument in entry.choices):
            return entry, argument
    return None


def input_source(spec: str | Mapping) -> str:
    """The source name of a `genes.inputs` entry: the name itself, or the `source` of {source, scale, offset}."""
    return spec if isinstance(spec, str) else spec["source"]


def input_value(cells: CellState, spec: str | Mapping) -> np.ndarray:
    """Per-cell values of one gene input: a source name of INPUTS (argument included), or
    {source, scale, offset} for scale · source + offset (scale 1 and offset 0 when left out)."""
    source = input_source(spec)
    found = find_input(source)
    if found is None:
        raise ValueError(f"unknown input source {source!r}; use one of {', '.join(INPUTS)}")
    entry, argument = found
    values = entry.compute(cells, argument)
    if isinstance(spec, str):
        return values
    return spec.get("scale", 1.0) * values + spec.get("offset", 0.0)
