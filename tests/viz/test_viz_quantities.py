"""Cell geometry, shape index and lineage against exact values."""

import numpy as np
import pytest

import morphosim
from viz.lineage import Lineage
from viz.quantities import time_label, label, polygon_area_perimeter


def regular_polygon(n, side, centre=(0.0, 0.0)):
    radius = side / (2 * np.sin(np.pi / n))
    angles = 2 * np.pi * np.arange(n) / n
    return np.column_stack([centre[0] + radius * np.cos(angles), centre[1] + radius * np.sin(angles), np.zeros(n)])


def test_area_perimeter_and_shape_index_of_exact_polygons():
    hexagon = regular_polygon(6, side=0.5)
    l_shape = np.array([[0, 0, 0], [2, 0, 0], [2, 1, 0], [1, 1, 0], [1, 2, 0], [0, 2, 0]], float)   # not convex
    vertices = np.vstack([hexagon, l_shape + [5, 0, 0]])
    area, perimeter = polygon_area_perimeter(vertices, [np.arange(6), np.arange(6, 12)])
    np.testing.assert_allclose(area, [3 * np.sqrt(3) / 2 * 0.25, 3.0], rtol=1e-12)
    np.testing.assert_allclose(perimeter, [3.0, 8.0], rtol=1e-12)
    assert perimeter[0] / np.sqrt(area[0]) == pytest.approx(np.sqrt(8 * np.sqrt(3)), rel=1e-12)  # 3.722


def test_tilted_and_saddle_polygons():
    """A unit square turned in 3D keeps area 1. A saddle quadrilateral (corners alternately at
    heights +h and -h) has fan triangles whose normals tilt symmetrically about the mean normal,
    so its area is that of its projection on the mean plane, 2, whatever h."""
    square = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], float)
    turn = np.array([[1, 0, 0], [0, np.cos(0.7), -np.sin(0.7)], [0, np.sin(0.7), np.cos(0.7)]])
    saddle = np.array([[1, 0, 0.3], [0, 1, -0.3], [-1, 0, 0.3], [0, -1, -0.3]])
    area, perimeter = polygon_area_perimeter(np.vstack([square @ turn.T, saddle]), [np.arange(4), np.arange(4, 8)])
    np.testing.assert_allclose(area, [1.0, 2.0], rtol=1e-12)
    np.testing.assert_allclose(perimeter, [4.0, 4 * np.sqrt(2 + 0.6**2)], rtol=1e-12)


def test_lineage_walks_parents_and_children_across_generations():
    lineage = Lineage({1: -1, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: -1})
    assert lineage.ancestors(6) == [4, 2, 1]
    assert lineage.ancestors(7) == []
    assert lineage.descendants(1) == [2, 3, 4, 5, 6]
    assert lineage.descendants(6) == []


@pytest.mark.parametrize("store_fixture", ["planar_store", "shell_store"])
def test_lineage_of_a_store_is_consistent(store_fixture, request):
    run = morphosim.open_run(request.getfixturevalue(store_fixture).path)
    lineage = Lineage.from_run(run)
    for k in range(len(run.times)):
        frame = run.frame(k)
        for cell, parent in zip(frame.cell_ids.tolist(), frame.parent_ids.tolist()):
            assert lineage.ancestors(cell)[:1] == ([parent] if parent >= 0 else [])
            assert all(cell in lineage.descendants(ancestor) for ancestor in lineage.ancestors(cell))


def test_labels_carry_the_run_units():
    units = {"length": "µm", "time": "min", "force": "nN"}
    assert label("area", units) == "area [µm²]"
    assert label("speed", units) == "speed [µm/min]"
    assert label("D", units) == "D"
    assert label("area", {}) == "area (dimensionless)"       # a run without units is never labelled µm
    assert time_label(2.5, {}) == "t = 2.5 (dimensionless)" and time_label(2.5, units) == "t = 2.5 min"


def test_periodic_cells_are_drawn_whole_across_the_seam():
    """Every cell of a periodic sheet is drawn with its true area and no wider than a cell,
    including the cells whose vertices are wrapped to opposite sides of the box."""
    from morphosim.cells import Sheet
    from morphosim.io.run import Frame
    from viz.meshes import cell_polydata

    sheet = Sheet.hexagonal(4, 6, periodic=True)
    sheet.vertices[: sheet.n_vertices, :2] += 0.3    # shift so that cells straddle both seams
    sheet.vertices[: sheet.n_vertices, :2] %= sheet.box[:2]
    n = sheet.n_cells
    frame = Frame(time=0.0, vertices=sheet.positions, cells=sheet.cells(), cell_ids=sheet.ids,
                  parent_ids=sheet.parents, periodic_box=sheet.box[:2])
    polygons = cell_polydata(frame).compute_cell_sizes(length=False, volume=False)
    assert np.allclose(polygons.cell_data["Area"], 1.0)            # hexagonal(): unit cell area
    widths = [np.ptp(polygons.get_cell(c).points[:, :2], axis=0) for c in range(n)]
    assert np.max(widths) < 1.5
    straddling = [c for c in range(n) if np.ptp(sheet.positions[frame.cells[c], 0]) > 0.5 * sheet.box[0]]
    assert straddling                                              # the seam is really crossed
