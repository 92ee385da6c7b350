"""Small but realistic run stores for the viz tests: a planar hexagonal sheet with divisions and a
tissue mesh carrying a morphogen and a flow, and a closed shell of cells on an ellipsoid.

Each fixture returns a `KnownStore`: the store path, a species name and the ids of a cell known to
be high and one known to be low in that species at every frame. The tests depend on nothing else,
so the bodies can be replaced by real simulator runs.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pytest
from scipy.spatial import ConvexHull, Delaunay, Voronoi

from morphosim.io import StoreWriter

UNITS = {"length": "µm", "time": "min", "force": "nN"}


@pytest.fixture
def look_at_cell():
    """A function that turns a viz Scene's camera to look straight at a cell from outside the
    tissue and returns the display position (x, y) of the cell's centre."""
    def look(scene, cell_id: int) -> tuple[float, float]:
        cells = scene.cells
        row = int(np.flatnonzero(cells.cell_data["cell_id"] == cell_id)[0])
        centre = cells.points[cells.get_cell(row).point_ids].mean(axis=0)
        outward = np.array([0.0, 0.0, 1.0]) if scene.ranges.is_planar else centre - cells.points.mean(axis=0)
        outward /= np.linalg.norm(outward)
        up = np.cross(outward, [1.0, 0.0, 0.0] if abs(outward[0]) < 0.9 else [0.0, 1.0, 0.0])
        camera = scene.plotter.camera
        camera.focal_point, camera.position, camera.up = centre, centre + 2 * scene.ranges.size * outward, up
        scene.plotter.reset_camera_clipping_range()
        scene.plotter.render()
        renderer = scene.plotter.renderers[0]
        renderer.SetWorldPoint(*centre, 1.0)
        renderer.WorldToDisplay()
        x, y, _ = renderer.GetDisplayPoint()
        return x, y
    return look


class KnownStore(NamedTuple):
    path: str
    species: str
    high_cell: int
    low_cell: int


def polygon_area_perimeter(vertices, cells):
    """Fan area around the vertex mean and perimeter of every polygon (µm², µm)."""
    area, perimeter = [], []
    for cell in cells:
        corners = vertices[cell]
        nxt = np.roll(corners, -1, axis=0)
        centre = corners.mean(axis=0)
        area.append(0.5 * np.linalg.norm(np.cross(corners - centre, nxt - centre), axis=1).sum())
        perimeter.append(np.linalg.norm(nxt - corners, axis=1).sum())
    return np.array(area), np.array(perimeter)


def frame_arrays(vertices, cells, ids, parents, species):
    area, perimeter = polygon_area_perimeter(vertices, cells)
    return {
        "vertices": vertices,
        "cell_vertex_counts": np.array([len(c) for c in cells]),
        "cell_vertices": np.concatenate(cells),
        "cell_ids": np.asarray(ids),
        "parent_ids": np.asarray(parents),
        **{f"species/{name}": values for name, values in species.items()},
        "cell_data/area": area,
        "cell_data/perimeter": perimeter,
    }


def divide(vertices, cells, index):
    """Split polygon `index` through the midpoints of its edge 0 and of the opposite edge; the
    new vertices are inserted into the neighbours that share those edges."""
    poly = list(cells[index])
    n, half = len(poly), len(poly) // 2
    m1, m2 = len(vertices), len(vertices) + 1
    cut_edges = ((poly[0], poly[1], m1), (poly[half], poly[(half + 1) % n], m2))
    vertices = np.vstack([vertices] + [(vertices[a] + vertices[b]) / 2 for a, b, _ in cut_edges])
    cells = [list(c) for c in cells]
    for cell in cells:
        for a, b, m in cut_edges:      # a neighbour runs the shared edge the other way: b -> a
            for i in range(len(cell)):
                if cell[i] == b and cell[(i + 1) % len(cell)] == a:
                    cell.insert(i + 1, m)
                    break
    daughters = [[m1, *poly[1:half + 1], m2], [m2, *poly[half + 1:], poly[0], m1]]
    cells[index:index + 1] = daughters
    return vertices, [np.array(c) for c in cells]


@pytest.fixture(scope="session")
def planar_store(tmp_path_factory) -> KnownStore:
    """7 x 7 hexagonal cells of unit area; frames 1 and 2 each add a division (the second divides
    a daughter of the first); the sheet stretches along x with the flow on the tissue mesh."""
    spacing = np.sqrt(2 / np.sqrt(3))
    rows, cols = np.meshgrid(np.arange(9), np.arange(9), indexing="ij")
    seeds = np.column_stack([(cols + 0.5 * (rows % 2)).ravel(), rows.ravel() * np.sqrt(3) / 2]) * spacing
    voronoi = Voronoi(seeds)
    inner = ((rows > 0) & (rows < 8) & (cols > 0) & (cols < 8)).ravel()
    regions = [np.array(voronoi.regions[voronoi.point_region[i]]) for i in np.flatnonzero(inner)]
    used, flat = np.unique(np.concatenate(regions), return_inverse=True)
    cells = np.split(flat, np.cumsum([len(r) for r in regions])[:-1])
    vertices = np.column_stack([voronoi.vertices[used], np.zeros(len(used))])
    signed = [np.cross(vertices[c[1]] - vertices[c[0]], vertices[c[2]] - vertices[c[1]])[2] for c in cells]
    cells = [c if s > 0 else c[::-1] for c, s in zip(cells, signed)]
    centre = vertices.mean(axis=0)

    ids, parents = list(range(len(cells))), [-1] * len(cells)
    x = np.array([vertices[c, 0].mean() for c in cells])
    level = 0.3 + 0.4 * (x - x.min()) / np.ptp(x)
    high, low = 10, 40
    level[high], level[low] = 1.0, 0.0

    grid_x, grid_y = np.meshgrid(np.linspace(-1.5, 11, 26), np.linspace(-0.5, 7.5, 17))
    mesh_points = np.column_stack([grid_x.ravel(), grid_y.ravel(), np.zeros(grid_x.size)])
    mesh_cells = Delaunay(mesh_points[:, :2]).simplices
    stretch_rate = 0.1   # 1/min
    velocity = np.zeros_like(mesh_points)
    velocity[:, 0] = stretch_rate * (mesh_points[:, 0] - centre[0])
    bmp = np.exp(-((mesh_points[:, 0] - centre[0]) ** 2) / 4.0)

    path = tmp_path_factory.mktemp("stores") / "planar.zarr"
    writer = StoreWriter(path, {"seed": 0, "scenario": {
        "name": "planar_fixture", "units": UNITS,
        "cells": {"geometry": {"kind": "hexagonal", "rows": 7, "cols": 7}}}})
    writer.set_static("mesh_points", mesh_points)
    writer.set_static("mesh_cells", mesh_cells)
    for k, time in enumerate([0.0, 0.5, 1.0, 1.5]):
        if k in (1, 2):
            mother_id = 24 if k == 1 else max(ids) - 1      # the centre cell, then its first daughter
            mother = ids.index(mother_id)
            vertices, cells = divide(vertices, cells, mother)
            ids[mother:mother + 1] = [max(ids) + 1, max(ids) + 2]
            parents[mother:mother + 1] = [mother_id, mother_id]
            level = np.insert(level, mother, level[mother])
        stretched = vertices.copy()
        stretched[:, 0] = centre[0] + (vertices[:, 0] - centre[0]) * np.exp(stretch_rate * time)
        writer.append_frame(time, frame_arrays(stretched, cells, ids, parents,
                                               {"D": level, "N": 1.0 - level}),
                            {"fields/bmp": bmp * (1 + time), "fields/velocity": velocity})
    return KnownStore(str(path), "D", high, low)


@pytest.fixture(scope="session")
def shell_store(tmp_path_factory) -> KnownStore:
    """About 80 cells covering a prolate ellipsoid (the Voronoi dual of the convex hull of
    points on it), turning about its long axis with the tangential flow of the tissue mesh."""
    axes = np.array([2.0, 2.0, 3.0])   # µm
    n = 80
    golden = np.pi * (3 - np.sqrt(5))
    z = 1 - 2 * (np.arange(n) + 0.5) / n
    on_sphere = np.column_stack([np.sqrt(1 - z**2) * np.cos(golden * np.arange(n)),
                                 np.sqrt(1 - z**2) * np.sin(golden * np.arange(n)), z])
    mesh_points = on_sphere * axes
    triangles = ConvexHull(mesh_points).simplices
    # Cell vertices: triangle centroids pushed out onto the ellipsoid.
    centroids = mesh_points[triangles].mean(axis=1)
    vertices = centroids / np.linalg.norm(centroids / axes, axis=1)[:, None]
    cells = []
    for i, point in enumerate(mesh_points):
        around = np.flatnonzero((triangles == i).any(axis=1))
        normal = point / axes**2
        tangent = np.cross(normal, [0.0, 0.0, 1.0]) if abs(point[2]) < 0.99 * axes[2] else np.array([1.0, 0, 0])
        bitangent = np.cross(normal, tangent)
        offsets = vertices[around] - point
        cells.append(around[np.argsort(np.arctan2(offsets @ bitangent, offsets @ tangent))])
    high, low = int(np.argmax(z)), int(np.argmin(z))
    level = 0.5 + 0.2 * np.sin(3 * np.arctan2(mesh_points[:, 1], mesh_points[:, 0]))
    level[high], level[low] = 1.0, 0.0
    angular_speed = 0.5   # rad/min
    velocity = angular_speed * np.column_stack([-mesh_points[:, 1], mesh_points[:, 0], np.zeros(n)])

    path = tmp_path_factory.mktemp("stores") / "shell.zarr"
    writer = StoreWriter(path, {"seed": 0, "scenario": {
        "name": "shell_fixture", "units": UNITS,
        "cells": {"geometry": {"kind": "ellipsoid_shell", "axes": axes.tolist()}}}})
    writer.set_static("mesh_points", mesh_points)
    writer.set_static("mesh_cells", triangles)
    for time in [0.0, 0.5, 1.0]:
        turn = angular_speed * time
        rotation = np.array([[np.cos(turn), -np.sin(turn), 0], [np.sin(turn), np.cos(turn), 0], [0, 0, 1]])
        writer.append_frame(time, frame_arrays(vertices @ rotation.T, cells, np.arange(n),
                                               np.full(n, -1), {"D": level, "N": 1.0 - level}),
                            {"fields/bmp": (mesh_points[:, 2] / axes[2] + 1) / 2, "fields/velocity": velocity})
    return KnownStore(str(path), "D", high, low)
