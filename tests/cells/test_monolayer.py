"""Monolayer data: extrusion of every kind of sheet, per-cell measures against closed forms, check()."""

import numpy as np
import pytest

from morphosim.cells import Sheet, SheetError, cell_areas
from morphosim.cells.monolayer import Monolayer


@pytest.mark.parametrize("apical", ["out", "in"])
def test_extruded_flat_sheets_are_right_prisms(apical):
    """A planar polygon extruded by h is a right prism: V = A h, both faces of area A, lateral area
    P h; the basal layer lies at z = -h (apical out) or +h (apical in)."""
    for sheet in (Sheet.hexagonal(4, 6, periodic=True, cell_area=1.3), Sheet.voronoi(25, box=(5, 5), lloyd=2, seed=4),
                  Sheet.from_polygons([(0, 0), (2, 0), (2, 1), (0, 1), (3, 0.5)], [[0, 1, 2, 3], [1, 4, 2]])):
        m = Monolayer.from_sheet(sheet, 0.7, apical=apical)
        assert m.check()
        area = cell_areas(sheet)
        np.testing.assert_allclose(m.apical_areas(), area, rtol=1e-12)
        np.testing.assert_allclose(m.basal_areas(), area, rtol=1e-12)
        np.testing.assert_allclose(m.volumes(), 0.7 * area, rtol=1e-12)
        np.testing.assert_allclose(m.heights(), 0.7, rtol=1e-12)
        np.testing.assert_allclose(m.basal_positions[:, 2], -0.7 if apical == "out" else 0.7)
        np.testing.assert_array_equal(m.ids, sheet.ids)
        np.testing.assert_array_equal(m.parents, sheet.parents)


def test_hexagonal_prism_lateral_area():
    m = Monolayer.from_sheet(Sheet.hexagonal(4, 4, periodic=True, cell_area=1.0), 0.5)
    side = np.sqrt(2 / (3 * np.sqrt(3)))
    measures = m.measures()
    np.testing.assert_allclose(measures[:, 3], 6 * side, rtol=1e-12)   # apical perimeter
    np.testing.assert_allclose(measures[:, 4], 3 * side * 0.5, rtol=1e-12)  # six faces shared: half each
    np.testing.assert_allclose(measures[:, 5], 3 * side, rtol=1e-12)


@pytest.mark.parametrize("apical", ["out", "in"])
def test_shell_extrusion_fills_the_layer_between_two_surfaces(apical):
    """On a sphere of radius R extruded by h inward (apical out) the cells fill the spherical layer
    between R - h and R: their volumes add up to 4 pi/3 (R^3 - (R - h)^3) to the discretisation error
    of flat fans, and the yolk (inside the basal surface) to about 4 pi/3 (R - h)^3; outward (apical
    in) the layer lies between R and R + h."""
    radius, h = 2.0, 0.2
    sheet = Sheet.ellipsoid_shell(300, radii=(radius,) * 3, seed=5)
    m = Monolayer.from_sheet(sheet, h, apical=apical)
    assert m.check()
    inner, outer = (radius - h, radius) if apical == "out" else (radius, radius + h)
    layer = 4 * np.pi / 3 * (outer**3 - inner**3)
    print(f"apical {apical}: sum V {m.volumes().sum():.4f}, shell layer {layer:.4f}; yolk {m.yolk_volume():.3f}")
    assert abs(m.volumes().sum() / layer - 1) < 0.02
    basal_radius = inner if apical == "out" else outer
    assert abs(m.yolk_volume() / (4 * np.pi / 3 * basal_radius**3) - 1) < 0.02
    assert m.reference_yolk_volume == pytest.approx(m.yolk_volume())
    np.testing.assert_allclose(m.heights(), h, rtol=1e-12)


def test_check_finds_inverted_cells_and_bad_arguments():
    m = Monolayer.from_sheet(Sheet.hexagonal(3, 3), 0.5)
    m.basal_positions[:, 2] = 0.5  # basal layer above the apical one: every cell turned inside out
    with pytest.raises(SheetError, match="oriented into the cell"):
        m.check()
    m = Monolayer.from_sheet(Sheet.hexagonal(3, 3), 0.5)
    m.basal_positions[0, 0] = np.nan
    with pytest.raises(SheetError, match="not finite"):
        m.check()
    with pytest.raises(SheetError, match="height"):
        Monolayer.from_sheet(Sheet.hexagonal(3, 3), -1.0)
    with pytest.raises(SheetError, match="apical"):
        Monolayer.from_sheet(Sheet.hexagonal(3, 3), 1.0, apical="up")
