"""Planar-polarised tension on a monolayer: forces are minus the energy's gradient in both layers,
the basal sides feel it only with basal=True, and junctions along the axis feel none."""

import numpy as np
import pytest

from morphosim.cells import Sheet
from morphosim.cells.monolayer import Monolayer
from morphosim.cells.monolayer_planar import MonolayerPlanarTension


def egg_monolayer() -> Monolayer:
    sheet = Sheet.ellipsoid_shell(40, radii=(1.6, 1.0, 1.0), seed=3)
    m = Monolayer.from_sheet(sheet, 0.2)
    m.basal_positions[:] += np.random.default_rng(1).normal(0.0, 0.01, m.basal_positions.shape)
    return m


@pytest.mark.parametrize("basal", [False, True])
def test_forces_are_minus_the_energy_gradient_in_both_layers(basal):
    m = egg_monolayer()
    term = MonolayerPlanarTension(np.linspace(0.5, 1.5, m.n_cells), axis=(1.0, 0.2, 0.0), basal=basal)
    apical, basal_forces = np.zeros((m.n_vertices, 3)), np.zeros((m.n_vertices, 3))
    term.add_forces(m, apical, basal_forces)
    step = 1e-6
    for layer, forces in ((m.apical_positions, apical), (m.basal_positions, basal_forces)):
        for vertex in (0, 7, 23):
            for axis in range(3):
                layer[vertex, axis] += step
                up = term.energy(m)
                layer[vertex, axis] -= 2 * step
                down = term.energy(m)
                layer[vertex, axis] += step
                assert forces[vertex, axis] == pytest.approx(-(up - down) / (2 * step), abs=1e-7)
    assert np.abs(apical).max() > 0.1
    assert (np.abs(basal_forces).max() > 0.1) == basal


def test_sides_along_the_axis_carry_no_planar_energy():
    m = egg_monolayer()
    squash = np.array([1.0, 0.0, 0.0])
    for layer in (m.apical_positions, m.basal_positions):   # flatten both layers onto lines along x
        layer[:] *= squash
    term = MonolayerPlanarTension(1.0, axis=(1.0, 0.0, 0.0), basal=True)
    assert term.energy(m) == pytest.approx(0.0, abs=1e-12)
    both = term.energy(egg_monolayer())
    apical_only = MonolayerPlanarTension(1.0, axis=(1.0, 0.0, 0.0)).energy(egg_monolayer())
    assert both > 1.5 * apical_only > 0
