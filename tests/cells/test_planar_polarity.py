"""Planar-polarised tension: exact forces, and convergent extension by oriented intercalation."""

import numpy as np
import pytest

from morphosim.cells import (AreaElasticity, LineTension, Overdamped, PerimeterContractility,
                             PlanarPolarisedTension, Sheet, VertexModel, apply_topology, cell_centroids)
from tests.cells.test_forces import finite_difference_gradient


def model_with_polarity(K, A0, Gamma, Lambda, Lambda_planar, axis):
    return VertexModel(terms=[AreaElasticity(K, A0), PerimeterContractility(Gamma), LineTension(Lambda),
                              PlanarPolarisedTension(Lambda_planar, axis)])


@pytest.mark.parametrize("kind", ["planar", "periodic", "shell"])
def test_forces_are_minus_energy_gradient(kind, rng, small_sheet):
    sheet = small_sheet(kind)
    n = sheet.n_cells
    model = model_with_polarity(rng.uniform(0.5, 2.0, n), rng.uniform(0.6, 1.4, n), 0.05, 0.1,
                                rng.uniform(0.1, 0.5, n), axis=(0.3, 0.2, 1.0))
    forces = model.forces(sheet)
    gradient = finite_difference_gradient(sheet, model)
    assert np.abs(forces + gradient).max() / np.abs(forces).max() < 1e-6


def test_energy_is_tension_times_length_across_the_axis():
    """One unit square, axis along x: the two vertical sides (across the axis) carry
    Lambda_planar each, the horizontal ones nothing; an axis at 45 degrees gives half of each;
    on a planar sheet only the axis' part in the plane counts."""
    square = Sheet.from_polygons([[0, 0], [1, 0], [1, 1], [0, 1]], [[0, 1, 2, 3]])
    for axis, expected in (((1, 0, 0), 2 * 0.3), ((1, 1, 0), 4 * 0.3 * 0.5), ((0, 1, 5), 2 * 0.3)):
        term = PlanarPolarisedTension(0.3, axis)
        assert term.edge_energy(square) == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError, match="non-zero part in the sheet"):
        PlanarPolarisedTension(0.3, (0, 0, 1)).edge_energy(square)


def extension(Lambda_planar, steps=800, dt=0.05):
    """A fluid-like open patch (shape index p0 = 3.9) with tension on junctions across x: spread of
    the cell centroids along x and y relative to the start, and the number of T1 swaps."""
    sheet = Sheet.voronoi(144, box=(12, 12), lloyd=3, seed=4)
    model = model_with_polarity(1.0, 1.0, 0.1, -0.39, Lambda_planar, axis=(1, 0, 0))
    integrator = Overdamped(model, xi=1.0, min_edge_length=0.05)
    start = cell_centroids(sheet)
    swaps = 0
    for _ in range(steps):
        integrator.step(sheet, dt)
        swaps += apply_topology(sheet, t1_length=0.05).n_t1
    assert sheet.check()
    spread = cell_centroids(sheet)[:, :2].std(axis=0) / start[:, :2].std(axis=0)
    return spread[0], spread[1], swaps


def test_polarised_tension_drives_convergent_extension():
    """Junctions across the axis shrink and swap: the patch lengthens along the axis and narrows
    across it (Bertet et al. 2004; Rauzi et al. 2008). Without polarity it keeps its shape."""
    along, across, swaps = extension(0.2)
    assert along > 1.05 and across < 0.9 and along / across > 1.2 and swaps > 20
    along, across, _ = extension(0.0)
    assert abs(along / across - 1) < 0.05
