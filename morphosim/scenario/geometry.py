"""Geometry checks of `validate`: what building the cells would refuse, found before any work is done.

Generated kinds (hexagonal, voronoi, ellipsoid_shell) are checked by their counts (the limits of
the Sheet constructors); explicit polygons are checked cell by cell (indices, orientation, edges
that cross, cells that overlap each other) and then built, as `run` builds them.
"""

from __future__ import annotations

from itertools import chain

import numpy as np
from scipy.spatial import cKDTree

from morphosim.cells import Sheet, SheetError


def geometry_problems(geometry: dict) -> list[tuple[str, str]]:
    """(key path under cells.geometry, message) for each thing a run would refuse."""
    kind = geometry.get("kind")
    if kind == "hexagonal" and geometry.get("periodic"):
        rows, cols = geometry.get("rows"), geometry.get("cols")
        if rows is not None and cols is not None and (rows % 2 or rows < 4 or cols < 3):
            return [("rows", f"a periodic hexagonal sheet needs an even rows >= 4 and cols >= 3, got "
                     f"{rows} x {cols}; make it larger or set periodic: false")]
    if kind == "voronoi" and geometry.get("periodic") and (geometry.get("n_cells") or 9) < 9:
        return [("n_cells", "a periodic voronoi sheet needs n_cells >= 9")]
    if kind == "ellipsoid_shell" and (geometry.get("n_cells") or 4) < 4:
        return [("n_cells", f"a closed shell needs n_cells >= 4, got {geometry['n_cells']}")]
    if kind == "polygons" and geometry.get("vertices") and geometry.get("cells"):
        return polygon_problems(geometry["vertices"], geometry["cells"])
    return []


def polygon_problems(vertices: list, cells: list) -> list[tuple[str, str]]:
    """Problems of explicit polygons: vertices (Nv lists of 2 or 3 numbers) and cells (lists of
    vertex indices, counter-clockwise)."""
    if None in vertices or any(None in vertex for vertex in vertices) or None in cells \
            or any(None in cell for cell in cells):
        return []   # a value of the wrong type, already reported
    if len({len(vertex) for vertex in vertices}) != 1 or len(vertices[0]) not in (2, 3):
        return [("vertices", "every vertex needs the same 2 (x, y) or 3 (x, y, z) coordinates")]
    points = np.asarray(vertices, float)[:, :2]
    n_vertices = len(points)
    problems = []
    for index, cell in enumerate(cells):
        outside = [k for k, vertex in enumerate(cell) if vertex >= n_vertices]
        if outside:
            problems.append((f"cells[{index}][{outside[0]}]", f"vertex index {cell[outside[0]]} is outside "
                             f"[0, {n_vertices}) (there are {n_vertices} vertices)"))
        elif len(set(cell)) != len(cell):
            problems.append((f"cells[{index}]", "visits a vertex twice"))
    if problems:
        return problems
    rings = [points[cell] for cell in cells]
    for index, ring in enumerate(rings):
        crossing = _self_crossing(ring)
        if crossing is not None:
            problems.append((f"cells[{index}]", f"its edges {crossing[0]} and {crossing[1]} cross (a bow-tie); "
                             "list the vertices in order around the cell"))
        elif _signed_area(ring) <= 0:
            problems.append((f"cells[{index}]", "is clockwise (or has no area); list its vertices counter-clockwise"))
    if problems:
        return problems
    overlap = _overlapping_cells(rings)
    if overlap is not None:
        return [(f"cells[{overlap[0]}]", f"overlaps cells[{overlap[1]}]; cells may share edges and corners, "
                 "not area")]
    try:
        Sheet.from_polygons(np.asarray(vertices, float), cells)
    except SheetError as error:
        return [("cells", str(error))]
    return []


def _signed_area(ring: np.ndarray) -> float:
    """A = 1/2 sum_i (x_i y_{i+1} - x_{i+1} y_i), positive counter-clockwise."""
    following = np.roll(ring, -1, axis=0)
    return 0.5 * float(np.sum(ring[:, 0] * following[:, 1] - following[:, 0] * ring[:, 1]))


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]


def _proper_crossings(start_a, end_a, start_b, end_b, tolerance: float) -> np.ndarray:
    """Which pairs of segments cross at a point inside both (not at a shared end, nor touching)."""
    side_a1 = _cross(end_a - start_a, start_b - start_a)
    side_a2 = _cross(end_a - start_a, end_b - start_a)
    side_b1 = _cross(end_b - start_b, start_a - start_b)
    side_b2 = _cross(end_b - start_b, end_a - start_b)
    return (side_a1 * side_a2 < -tolerance) & (side_b1 * side_b2 < -tolerance)


def _self_crossing(ring: np.ndarray) -> tuple[int, int] | None:
    """The first two non-adjacent edges of one polygon that cross, or None."""
    n = len(ring)
    first, second = np.triu_indices(n, 2)
    keep = ~((first == 0) & (second == n - 1))   # the last edge is adjacent to the first
    first, second = first[keep], second[keep]
    following = np.roll(ring, -1, axis=0)
    tolerance = 1e-18 * float(np.ptp(ring, axis=0).max()) ** 4
    crossed = _proper_crossings(ring[first], following[first], ring[second], following[second], tolerance)
    if not crossed.any():
        return None
    k = int(np.argmax(crossed))
    return int(first[k]), int(second[k])


def _overlapping_cells(rings: list[np.ndarray]) -> tuple[int, int] | None:
    """Two cells whose insides overlap, or None: an edge of one crosses an edge of the other, or a
    point well inside one (its centroid, halfway from it to each corner, those inside it) is inside the other.
    Candidate pairs come from a k-d tree, so this is about linear in the number of cells."""
    sizes = np.array([len(ring) for ring in rings])
    owner = np.repeat(np.arange(len(rings)), sizes)
    starts = np.concatenate(rings)
    ends = np.concatenate([np.roll(ring, -1, axis=0) for ring in rings])
    scale = float(np.ptp(starts, axis=0).max()) or 1.0
    tolerance = (1e-9 * scale) ** 2 * scale ** 2

    lengths = np.linalg.norm(ends - starts, axis=1)
    pairs = cKDTree(0.5 * (starts + ends)).query_pairs(lengths.max() * (1 + 1e-9), output_type="ndarray")
    pairs = pairs[owner[pairs[:, 0]] != owner[pairs[:, 1]]]
    a, b = pairs[:, 0], pairs[:, 1]
    crossed = _proper_crossings(starts[a], ends[a], starts[b], ends[b], tolerance)
    if crossed.any():
        k = int(np.argmax(crossed))
        return tuple(sorted((int(owner[a[k]]), int(owner[b[k]]))))

    centroids = np.array([ring.mean(axis=0) for ring in rings])
    samples = np.concatenate([centroids, 0.5 * (starts + centroids[owner])])
    sample_owner = np.concatenate([np.arange(len(rings)), owner])
    padded = _padded(rings)
    # a concave cell's samples may fall outside it (in its notch): only those inside it count
    own = _strictly_inside(samples, padded[sample_owner], 1e-9 * scale)
    samples, sample_owner = samples[own], sample_owner[own]
    reach = float(np.linalg.norm(starts - centroids[owner], axis=1).max())
    near = cKDTree(centroids).query_ball_point(samples, reach * (1 + 1e-9), return_sorted=False)
    point = np.repeat(np.arange(len(samples)), [len(cells) for cells in near])
    cell = np.fromiter(chain.from_iterable(near), np.int64, count=len(point))
    keep = cell != sample_owner[point]
    point, cell = point[keep], cell[keep]
    inside = _strictly_inside(samples[point], padded[cell], 1e-9 * scale)
    if inside.any():
        k = int(np.argmax(inside))
        return tuple(sorted((int(sample_owner[point[k]]), int(cell[k]))))
    return None


def _padded(rings: list[np.ndarray]) -> np.ndarray:
    """(n_cells, most corners, 2) corners, short rings padded with their first corner (edges of length 0)."""
    most = max(len(ring) for ring in rings)
    return np.stack([np.concatenate([ring, np.repeat(ring[:1], most - len(ring), axis=0)]) for ring in rings])


def _strictly_inside(points: np.ndarray, rings: np.ndarray, margin: float) -> np.ndarray:
    """Which points (P, 2) lie inside their rings (P, M, 2), by a non-zero winding number, and
    farther than `margin` from the ring's edges."""
    following = np.roll(rings, -1, axis=1)
    edge = following - rings
    offset = points[:, None, :] - rings
    squared = np.einsum("pmi,pmi->pm", edge, edge)
    t = np.clip(np.einsum("pmi,pmi->pm", offset, edge) / np.where(squared > 0, squared, 1.0), 0.0, 1.0)
    distance = np.linalg.norm(offset - t[..., None] * edge, axis=2).min(axis=1)
    y = points[:, None, 1]
    side = _cross(edge, offset)
    upward = (rings[..., 1] <= y) & (following[..., 1] > y) & (side > 0)
    downward = (rings[..., 1] > y) & (following[..., 1] <= y) & (side < 0)
    return (upward.sum(axis=1) != downward.sum(axis=1)) & (distance > margin)
