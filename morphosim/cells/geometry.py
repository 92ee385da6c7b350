"""Cell geometry (numba kernels): areas, perimeters, centroids, edge lengths, shape tensors,
neighbour adjacency with contact lengths, and the ellipsoid surface of shells.

Conventions
-----------
- Centroid = mean of the cell's vertices (wrapped into the box on periodic sheets).
- Planar area = shoelace area of the polygon (signed; positive when counter-clockwise).
- Shell area  = fan area sum_k |(r_k - c) x (r_{k+1} - c)| / 2 around the centroid c; the cell
  normal is the unit sum of those triangle area vectors.
- ``line_length`` = sum over the cell's edges of w * l with w = 1/2 for an edge shared with
  another cell and 1 on the sheet's outer boundary, so that sum_cells lambda_c * line_length_c
  equals sum_edges Lambda_ij l_ij with Lambda_ij the mean lambda of the cells along the edge.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .sheet import INDEX, Sheet


# ---------------------------------------------------------------------- small inline helpers
@njit(inline="always")
def edge_vector(vertices, i, j, box, periodic):
    """r_j - r_i, minimum image in x and y on periodic sheets."""
    dx = vertices[j, 0] - vertices[i, 0]
    dy = vertices[j, 1] - vertices[i, 1]
    dz = vertices[j, 2] - vertices[i, 2]
    if periodic:
        dx -= box[0] * np.floor(dx / box[0] + 0.5)
        dy -= box[1] * np.floor(dy / box[1] + 0.5)
    return dx, dy, dz


@njit(inline="always")
def wrap_vertex(vertices, v, box, periodic):
    if periodic:
        vertices[v, 0] -= box[0] * np.floor(vertices[v, 0] / box[0])
        vertices[v, 1] -= box[1] * np.floor(vertices[v, 1] / box[1])


@njit(inline="always")
def surface_normal(x, y, z, radii):
    """Outward unit normal of the ellipsoid with semi-axes ``radii`` at (x, y, z); +z when planar."""
    if radii[0] <= 0.0:
        return 0.0, 0.0, 1.0
    nx = x / (radii[0] * radii[0])
    ny = y / (radii[1] * radii[1])
    nz = z / (radii[2] * radii[2])
    norm = np.sqrt(nx * nx + ny * ny + nz * nz)
    return nx / norm, ny / norm, nz / norm


@njit(inline="always")
def project_on_ellipsoid(vertices, v, radii):
    """Put vertex v back on the ellipsoid along the ray from its centre (a retraction)."""
    s = np.sqrt((vertices[v, 0] / radii[0]) ** 2 + (vertices[v, 1] / radii[1]) ** 2
                + (vertices[v, 2] / radii[2]) ** 2)
    vertices[v, 0] /= s
    vertices[v, 1] /= s
    vertices[v, 2] /= s


# ---------------------------------------------------------------------- per-cell geometry
class Geometry:
    """Per-cell geometric quantities of a sheet, in preallocated arrays indexed by cell slot
    (only the first ``sheet.n_cells`` entries are meaningful). Refresh with :func:`compute_geometry`.

    area, signed_area, perimeter, line_length : (n,) lengths^2 / lengths
    centroid, normal : (n, 3)
    centroid_gradient : (n, 3) on shells d(fan area)/dc / n_sides (used by the forces)
    n_sides : (n,) int
    sum_squared_edges, shortest_edge : (n,) used by the stable time-step bound
    """

    FIELDS = ("area", "signed_area", "perimeter", "line_length", "sum_squared_edges", "shortest_edge")
    VECTORS = ("centroid", "normal", "centroid_gradient")

    def __init__(self, capacity: int):
        for name in self.FIELDS:
            setattr(self, name, np.zeros(capacity))
        for name in self.VECTORS:
            setattr(self, name, np.zeros((capacity, 3)))
        self.n_sides = np.zeros(capacity, INDEX)

    @property
    def capacity(self) -> int:
        return self.area.shape[0]


def compute_geometry(sheet: Sheet, out: Geometry | None = None) -> Geometry:
    """Fill (or allocate) a :class:`Geometry` for the sheet's active cells."""
    if out is None or out.capacity < sheet.n_cells:
        out = Geometry(sheet.cell_edge.shape[0])
    _cell_geometry(sheet.vertices, sheet.origin, sheet.twin, sheet.next, sheet.face, sheet.cell_edge,
                   sheet.n_cells, sheet.box, sheet.periodic, sheet.is_shell,
                   out.area, out.signed_area, out.perimeter, out.line_length, out.centroid, out.normal,
                   out.centroid_gradient, out.n_sides, out.sum_squared_edges, out.shortest_edge)
    return out


@njit(cache=True)
def _cell_geometry(vertices, origin, twin, next_, face, cell_edge, n_cells, box, periodic, shell,
                   area, signed_area, perimeter, line_length, centroid, normal, centroid_gradient,
                   n_sides, sum_squared_edges, shortest_edge):
    for c in range(n_cells):
        start = cell_edge[c]
        first = origin[start]
        # walk once: positions relative to the first vertex (unwrapped), edges, shoelace sum
        px = py = pz = 0.0
        sx = sy = sz = 0.0
        shoelace = length = weighted = squares = 0.0
        shortest = np.inf
        k = 0
        h = start
        while True:
            ex, ey, ez = edge_vector(vertices, origin[h], origin[next_[h]], box, periodic)
            sx += px
            sy += py
            sz += pz
            qx, qy = px + ex, py + ey
            shoelace += px * qy - qx * py
            px, py, pz = qx, qy, pz + ez
            l = np.sqrt(ex * ex + ey * ey + ez * ez)
            length += l
            weighted += 0.5 * l if face[twin[h]] >= 0 else l
            squares += l * l
            shortest = min(shortest, l)
            k += 1
            h = next_[h]
            if h == start:
                break
        cx = vertices[first, 0] + sx / k
        cy = vertices[first, 1] + sy / k
        cz = vertices[first, 2] + sz / k
        if periodic:
            cx -= box[0] * np.floor(cx / box[0])
            cy -= box[1] * np.floor(cy / box[1])
        centroid[c, 0], centroid[c, 1], centroid[c, 2] = cx, cy, cz
        perimeter[c] = length
        line_length[c] = weighted
        sum_squared_edges[c] = squares
        shortest_edge[c] = shortest
        n_sides[c] = k
        if not shell:
            area[c] = signed_area[c] = 0.5 * shoelace
            normal[c, 0], normal[c, 1], normal[c, 2] = 0.0, 0.0, 1.0
            continue
        # fan triangles (c, r_k, r_k+1); shells are never periodic so plain differences are fine
        fan = ax = ay = az = gx = gy = gz = 0.0
        h = start
        while True:
            i, j = origin[h], origin[next_[h]]
            mx, my, mz = vertices[i, 0] - cx, vertices[i, 1] - cy, vertices[i, 2] - cz
            nx, ny, nz = vertices[j, 0] - cx, vertices[j, 1] - cy, vertices[j, 2] - cz
            tx, ty, tz = my * nz - mz * ny, mz * nx - mx * nz, mx * ny - my * nx
            t = np.sqrt(tx * tx + ty * ty + tz * tz)
            fan += 0.5 * t
            ax += tx
            ay += ty
            az += tz
            if t > 0.0:  # d|t|/dc summed over triangles: (r_k - r_k+1) x unit(t) / 2
                dx, dy, dz = mx - nx, my - ny, mz - nz
                gx += 0.5 * (dy * tz - dz * ty) / t
                gy += 0.5 * (dz * tx - dx * tz) / t
                gz += 0.5 * (dx * ty - dy * tx) / t
            h = next_[h]
            if h == start:
                break
        area[c] = signed_area[c] = fan
        norm = np.sqrt(ax * ax + ay * ay + az * az)
        normal[c, 0], normal[c, 1], normal[c, 2] = ax / norm, ay / norm, az / norm
        centroid_gradient[c, 0], centroid_gradient[c, 1], centroid_gradient[c, 2] = gx / k, gy / k, gz / k


# ---------------------------------------------------------------------- public per-cell views
def cell_areas(sheet: Sheet) -> np.ndarray:
    return compute_geometry(sheet).area[: sheet.n_cells].copy()


def cell_perimeters(sheet: Sheet) -> np.ndarray:
    return compute_geometry(sheet).perimeter[: sheet.n_cells].copy()


def cell_centroids(sheet: Sheet) -> np.ndarray:
    return compute_geometry(sheet).centroid[: sheet.n_cells].copy()


def cell_normals(sheet: Sheet) -> np.ndarray:
    return compute_geometry(sheet).normal[: sheet.n_cells].copy()


def edge_vectors(sheet: Sheet) -> np.ndarray:
    """(n_half_edges, 3) vectors from origin to destination of every half-edge (minimum image)."""
    out = np.empty((sheet.n_half_edges, 3))
    _edge_vectors(sheet.vertices, sheet.origin, sheet.twin, sheet.n_half_edges, sheet.box, sheet.periodic, out)
    return out


def edge_lengths(sheet: Sheet) -> np.ndarray:
    """(n_half_edges,) length of every half-edge (twins have equal lengths)."""
    return np.linalg.norm(edge_vectors(sheet), axis=1)


@njit(cache=True)
def _edge_vectors(vertices, origin, twin, n_half_edges, box, periodic, out):
    for h in range(n_half_edges):
        out[h, 0], out[h, 1], out[h, 2] = edge_vector(vertices, origin[h], origin[twin[h]], box, periodic)


def surface_normals(sheet: Sheet, points: np.ndarray | None = None) -> np.ndarray:
    """Outward unit normals of the sheet's surface at ``points`` (default: its vertices);
    +z everywhere on planar sheets."""
    pts = sheet.positions if points is None else np.asarray(points, float)
    if not sheet.is_shell:
        return np.tile([0.0, 0.0, 1.0], (len(pts), 1))
    n = pts / sheet.radii**2
    return n / np.linalg.norm(n, axis=1)[:, None]


def shape_tensors(sheet: Sheet) -> np.ndarray:
    """(n_cells, 3, 3) vertex shape tensor S_c = mean_k (r_k - c)(r_k - c)^T (lengths^2).

    Its largest eigenvector (within the tangent plane) is the cell's long axis; the anisotropy
    (s1 - s2)/(s1 + s2) of the two tangent eigenvalues measures elongation."""
    geometry = compute_geometry(sheet)
    out = np.zeros((sheet.n_cells, 3, 3))
    _shape_tensors(sheet.vertices, sheet.origin, sheet.next, sheet.cell_edge, sheet.n_cells, sheet.box,
                   sheet.periodic, geometry.centroid, out)
    return out


@njit(cache=True)
def _shape_tensors(vertices, origin, next_, cell_edge, n_cells, box, periodic, centroid, out):
    for c in range(n_cells):
        start = h = cell_edge[c]
        k = 0
        while True:
            # vertex relative to the centroid: edge_vector works on two vertex rows, so use the
            # minimum image of (r - c) directly
            dx = vertices[origin[h], 0] - centroid[c, 0]
            dy = vertices[origin[h], 1] - centroid[c, 1]
            dz = vertices[origin[h], 2] - centroid[c, 2]
            if periodic:
                dx -= box[0] * np.floor(dx / box[0] + 0.5)
                dy -= box[1] * np.floor(dy / box[1] + 0.5)
            d = (dx, dy, dz)
            for a in range(3):
                for b in range(3):
                    out[c, a, b] += d[a] * d[b]
            k += 1
            h = next_[h]
            if h == start:
                break
        for a in range(3):
            for b in range(3):
                out[c, a, b] /= k


def long_axes(sheet: Sheet) -> np.ndarray:
    """(n_cells, 3) unit long axis of every cell, taken in the cell's tangent plane."""
    tensors = shape_tensors(sheet)
    normals = cell_normals(sheet)
    t1, t2 = tangent_basis(normals)
    # 2x2 tensor in the tangent basis; its leading eigenvector in closed form
    sxx = np.einsum("ci,cij,cj->c", t1, tensors, t1)
    syy = np.einsum("ci,cij,cj->c", t2, tensors, t2)
    sxy = np.einsum("ci,cij,cj->c", t1, tensors, t2)
    angle = 0.5 * np.arctan2(2 * sxy, sxx - syy)
    return np.cos(angle)[:, None] * t1 + np.sin(angle)[:, None] * t2


def tangent_basis(normals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two unit tangent vectors (t1, t2) with t1 x t2 = n for each row of ``normals``."""
    helper = np.where(np.abs(normals[:, [0]]) < 0.9, [[1.0, 0.0, 0.0]], [[0.0, 1.0, 0.0]])
    t1 = helper - np.einsum("ij,ij->i", helper, normals)[:, None] * normals
    t1 /= np.linalg.norm(t1, axis=1)[:, None]
    return t1, np.cross(normals, t1)


# ---------------------------------------------------------------------- adjacency
def neighbours(sheet: Sheet) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cell adjacency in CSR form: the neighbours of cell slot c are
    ``indices[indptr[c]:indptr[c+1]]`` with shared contact lengths ``contact[...]`` (a neighbour
    sharing several edges appears once, with the summed length). Outside (-1) is not listed."""
    n = sheet.n_cells
    counts = np.zeros(n, np.int64)
    _count_neighbours(sheet.twin, sheet.next, sheet.face, sheet.cell_edge, n, counts)
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(counts, out=indptr[1:])
    indices = np.empty(indptr[n], INDEX)
    contact = np.empty(indptr[n])
    _fill_neighbours(sheet.vertices, sheet.origin, sheet.twin, sheet.next, sheet.face, sheet.cell_edge, n,
                     sheet.box, sheet.periodic, indptr, indices, contact)
    return indptr, indices, contact


@njit(inline="always")
def _seen_before(twin, next_, face, start, h, b):
    """Whether neighbour b already appeared on the loop from ``start`` up to (excluding) h."""
    e = start
    while e != h:
        if face[twin[e]] == b:
            return True
        e = next_[e]
    return False


@njit(cache=True)
def _count_neighbours(twin, next_, face, cell_edge, n_cells, counts):
    for c in range(n_cells):
        start = h = cell_edge[c]
        k = 0
        while True:
            b = face[twin[h]]
            if b >= 0 and not _seen_before(twin, next_, face, start, h, b):
                k += 1
            h = next_[h]
            if h == start:
                break
        counts[c] = k


@njit(cache=True)
def _fill_neighbours(vertices, origin, twin, next_, face, cell_edge, n_cells, box, periodic, indptr,
                     indices, contact):
    for c in range(n_cells):
        start = h = cell_edge[c]
        k = indptr[c]
        while True:
            b = face[twin[h]]
            if b >= 0:
                ex, ey, ez = edge_vector(vertices, origin[h], origin[twin[h]], box, periodic)
                l = np.sqrt(ex * ex + ey * ey + ez * ez)
                slot = -1
                for s in range(indptr[c], k):
                    if indices[s] == b:
                        slot = s
                if slot < 0:
                    indices[k] = b
                    contact[k] = l
                    k += 1
                else:
                    contact[slot] += l
            h = next_[h]
            if h == start:
                break
