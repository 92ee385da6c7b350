"""Point location on a fixed triangle mesh (planar or surface) or tetrahedral mesh, in numba.

The mesh never moves (Eulerian tissue), so a uniform bucket grid over the cells is built
once; locating 10^5 points is then one pass over the points, split over numba's threads
(each point is located on its own, so the result does not depend on their number). In a
tetrahedral mesh a point goes to the tetrahedron containing it (distance 0; barycentric coordinates by Cramer's rule),
or, just outside the mesh, to the closest one (the closest point of its faces). On triangles
each point goes to the triangle
closest to it (among the triangles whose margin-inflated bounding box contains the point's
bucket) and gets the barycentric coordinates of its orthogonal projection onto that flat
triangle. Points inside a planar mesh project onto themselves; points on a curved shell that
sit slightly off the piecewise-flat surface are projected onto the nearest flat triangle, and
those barycentric coordinates are then used as reference coordinates of the (possibly curved)
cell, i.e. the point is moved along the triangle's normal onto the discrete surface.

Moving points (cell vertices) travel much less than a triangle per step, so locate_points takes
each point's triangle from the previous call as a guess. A point p at distance d from its guess
whose projection q falls inside it, at distance δ from its edges, keeps it at the cost of one
test when 2d < δ: any other triangle's points y are at least δ from q (they lie beyond t's edges;
this assumes no fold sharper than 90° and no other sheet of the surface within δ), so
|p − y| >= δ − d > d. Inside a planar mesh d is round-off and the test is q inside t. The others
search their bucket; the result is the same as without a guess. A point that left its guess is
first tried in the guess's neighbours across its facets, with the same test: a point kept by
the test in any cell has that cell as its closest, so the result is again a fresh search's. In a tetrahedral mesh the same
test, with δ the distance to the faces, keeps a point strictly inside its previous tetrahedron:
no other tetrahedron contains it. A point just outside the mesh (a cell's apical vertex at the egg's
wall) is closest to its boundary surface, a triangle surface, and the surface test applies to the
boundary face its closest point lies on. A point that fails every test searches its bucket from
the guess's distance, so that most cells there are rejected by the bound of _closer at once.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit, prange


class Simplices(NamedTuple):
    """The cells points are located in (numba-compatible record of arrays).

    corners: (n, 3 or 4, 3) vertex coordinates; altitudes: simplex_altitudes(corners);
    tie_keys: (n,) partition-independent cell keys (ties go to the lowest); neighbours: (n, 3 or
    4) the cell across each facet (opposite vertex k), -1 on the boundary.
    """

    corners: np.ndarray
    altitudes: np.ndarray
    tie_keys: np.ndarray
    neighbours: np.ndarray


class BoundaryStars(NamedTuple):
    """The boundary surface of a tetrahedral mesh, for points just outside it (numba record).

    exterior: (n, 4) facet k of cell t (opposite vertex k) is on the mesh's boundary; vertices: (n,
    4) node index of each corner; the cells with a boundary facet at node v are
    cells[offsets[v]:offsets[v+1]] (the node's star of boundary faces); radius: (nodes,) the
    distance from a boundary node to the far edges of its star (0 off the boundary), so that the
    disk of that radius about it lies in the star. Empty for triangle meshes.
    """

    exterior: np.ndarray
    vertices: np.ndarray
    offsets: np.ndarray
    cells: np.ndarray
    radius: np.ndarray


def boundary_stars(corners: np.ndarray, vertices: np.ndarray, exterior: np.ndarray, num_nodes: int) -> BoundaryStars:
    """BoundaryStars of tetrahedra corners (n, 4, 3) with node indices vertices (n, 4) and exterior
    facets (n, 4) (bool), over num_nodes nodes."""
    cell, facet = np.nonzero(exterior)
    face_corners = np.array([[k for k in range(4) if k != opposite] for opposite in range(4)])[facet]   # (f, 3)
    face_nodes = vertices[cell[:, None], face_corners]
    points = corners[cell[:, None], face_corners]                                      # (f, 3, 3)
    double_area = np.linalg.norm(np.cross(points[:, 1] - points[:, 0], points[:, 2] - points[:, 0]), axis=1)
    # altitude from each corner of a face onto the opposite edge: the star's extent from that node
    altitudes = double_area[:, None] / np.linalg.norm(points[:, [2, 0, 1]] - points[:, [1, 2, 0]], axis=2)
    radius = np.full(num_nodes, np.inf)
    np.minimum.at(radius, face_nodes.ravel(), altitudes.ravel())
    radius[~np.isfinite(radius)] = 0.0
    order = np.argsort(face_nodes.ravel(), kind="stable")
    offsets = np.zeros(num_nodes + 1, dtype=np.int64)
    np.add.at(offsets, face_nodes.ravel() + 1, 1)
    return BoundaryStars(np.ascontiguousarray(exterior), np.ascontiguousarray(vertices, dtype=np.int64),
                         np.cumsum(offsets), np.repeat(cell, 3)[order].astype(np.int64), radius)


def no_boundary_stars(num_cells: int, corners: int) -> BoundaryStars:
    """The empty BoundaryStars of a triangle mesh (its points are on it or projected onto it)."""
    return BoundaryStars(np.zeros((num_cells, corners), bool), np.zeros((num_cells, corners), np.int64),
                         np.zeros(1, np.int64), np.zeros(0, np.int64), np.zeros(0))


class BucketGrid(NamedTuple):
    """build_bucket_grid's result: lower corner, bucket size, buckets per axis, offsets, ids."""

    lo: np.ndarray
    size: float
    shape: np.ndarray
    offsets: np.ndarray
    ids: np.ndarray


@njit(cache=True, inline="always")
def _dot(ux, uy, uz, vx, vy, vz):
    return ux * vx + uy * vy + uz * vz


@njit(cache=True)
def _closest_point_barycentric(p, a, b, c):
    """Barycentric coordinates (of a, b, c) of the point of triangle abc closest to p.

    Ericson, Real-Time Collision Detection, §5.1.5 (scalar arithmetic: no temporary arrays).
    """
    abx, aby, abz = b[0] - a[0], b[1] - a[1], b[2] - a[2]
    acx, acy, acz = c[0] - a[0], c[1] - a[1], c[2] - a[2]
    apx, apy, apz = p[0] - a[0], p[1] - a[1], p[2] - a[2]
    d1 = _dot(abx, aby, abz, apx, apy, apz)
    d2 = _dot(acx, acy, acz, apx, apy, apz)
    if d1 <= 0.0 and d2 <= 0.0:
        return 1.0, 0.0, 0.0
    bpx, bpy, bpz = p[0] - b[0], p[1] - b[1], p[2] - b[2]
    d3 = _dot(abx, aby, abz, bpx, bpy, bpz)
    d4 = _dot(acx, acy, acz, bpx, bpy, bpz)
    if d3 >= 0.0 and d4 <= d3:
        return 0.0, 1.0, 0.0
    vc = d1 * d4 - d3 * d2
    if vc <= 0.0 and d1 >= 0.0 and d3 <= 0.0:
        v = d1 / (d1 - d3)
        return 1.0 - v, v, 0.0
    cpx, cpy, cpz = p[0] - c[0], p[1] - c[1], p[2] - c[2]
    d5 = _dot(abx, aby, abz, cpx, cpy, cpz)
    d6 = _dot(acx, acy, acz, cpx, cpy, cpz)
    if d6 >= 0.0 and d5 <= d6:
        return 0.0, 0.0, 1.0
    vb = d5 * d2 - d1 * d6
    if vb <= 0.0 and d2 >= 0.0 and d6 <= 0.0:
        w = d2 / (d2 - d6)
        return 1.0 - w, 0.0, w
    va = d3 * d6 - d5 * d4
    if va <= 0.0 and (d4 - d3) >= 0.0 and (d5 - d6) >= 0.0:
        w = (d4 - d3) / ((d4 - d3) + (d5 - d6))
        return 0.0, 1.0 - w, w
    denom = 1.0 / (va + vb + vc)
    v = vb * denom
    w = vc * denom
    return 1.0 - v - w, v, w


@njit(cache=True)
def _tetrahedron_barycentric(p, a, b, c, d):
    """Barycentric coordinates of p in tetrahedron abcd (Cramer's rule on [b−a, c−a, d−a])."""
    e1x, e1y, e1z = b[0] - a[0], b[1] - a[1], b[2] - a[2]
    e2x, e2y, e2z = c[0] - a[0], c[1] - a[1], c[2] - a[2]
    e3x, e3y, e3z = d[0] - a[0], d[1] - a[1], d[2] - a[2]
    px, py, pz = p[0] - a[0], p[1] - a[1], p[2] - a[2]
    # cross products e2 × e3, e3 × e1, e1 × e2 are the rows of the inverse times the determinant
    c1x, c1y, c1z = e2y * e3z - e2z * e3y, e2z * e3x - e2x * e3z, e2x * e3y - e2y * e3x
    c2x, c2y, c2z = e3y * e1z - e3z * e1y, e3z * e1x - e3x * e1z, e3x * e1y - e3y * e1x
    c3x, c3y, c3z = e1y * e2z - e1z * e2y, e1z * e2x - e1x * e2z, e1x * e2y - e1y * e2x
    inverse_det = 1.0 / _dot(e1x, e1y, e1z, c1x, c1y, c1z)
    l1 = _dot(px, py, pz, c1x, c1y, c1z) * inverse_det
    l2 = _dot(px, py, pz, c2x, c2y, c2z) * inverse_det
    l3 = _dot(px, py, pz, c3x, c3y, c3z) * inverse_det
    return 1.0 - l1 - l2 - l3, l1, l2, l3


@njit(cache=True)
def build_bucket_grid(triangles, margin, max_buckets):
    """Bucket grid over simplices (n, 3 or 4, 3) (triangles or tetrahedra): each listed in every
    bucket its bounding box, inflated by margin, touches.

    Returns (lower corner (3,), bucket size, buckets per axis (3,), offsets, simplex ids), the
    fields of a BucketGrid, where the simplices of bucket k are ids[offsets[k]:offsets[k+1]].
    """
    n = triangles.shape[0]
    lo = np.empty(3)
    hi = np.empty(3)
    extent = 0.0
    for d in range(3):
        lo[d] = triangles[:, :, d].min() - margin
        hi[d] = triangles[:, :, d].max() + margin
    for t in range(n):
        for d in range(3):
            extent += triangles[t, :, d].max() - triangles[t, :, d].min()
    size = max(extent / (3.0 * n) + 2.0 * margin, 1e-12)  # about one mean triangle per bucket
    shape = np.empty(3, dtype=np.int64)
    while True:
        for d in range(3):
            shape[d] = max(1, int(np.ceil((hi[d] - lo[d]) / size)))
        if shape[0] * shape[1] * shape[2] <= max_buckets:
            break
        size *= 1.25
    counts = np.zeros(shape[0] * shape[1] * shape[2] + 1, dtype=np.int64)
    for sweep in range(2):
        if sweep == 1:
            offsets = np.zeros_like(counts)
            for k in range(counts.size - 1):
                offsets[k + 1] = offsets[k] + counts[k]
            ids = np.empty(offsets[-1], dtype=np.int64)
            fill = offsets.copy()
        for t in range(n):
            i0 = np.empty(3, dtype=np.int64)
            i1 = np.empty(3, dtype=np.int64)
            for d in range(3):
                i0[d] = min(shape[d] - 1, int((triangles[t, :, d].min() - margin - lo[d]) / size))
                i1[d] = min(shape[d] - 1, int((triangles[t, :, d].max() + margin - lo[d]) / size))
            for ix in range(i0[0], i1[0] + 1):
                for iy in range(i0[1], i1[1] + 1):
                    for iz in range(i0[2], i1[2] + 1):
                        k = (ix * shape[1] + iy) * shape[2] + iz
                        if sweep == 0:
                            counts[k] += 1
                        else:
                            ids[fill[k]] = t
                            fill[k] += 1
    return lo, size, shape, offsets, ids


# round-off allowance of the guess test (module doc), relative to the bucket size
_ROUND_OFF = 1e-9


def simplex_altitudes(triangles: np.ndarray) -> np.ndarray:
    """(n, k): distance from each vertex of triangles (n, 3, 3) to the line of the opposite edge,
    or of tetrahedra (n, 4, 3) to the plane of the opposite face (3 volume / face area)."""
    if triangles.shape[1] == 4:
        a, b, c, d = (triangles[:, k] for k in range(4))
        six_volume = np.abs(np.einsum("nd,nd->n", np.cross(b - a, c - a), d - a))
        faces = [(b, c, d), (a, c, d), (a, b, d), (a, b, c)]   # opposite vertex k
        double_areas = np.column_stack([np.linalg.norm(np.cross(q - p, r - p), axis=1) for p, q, r in faces])
        return six_volume[:, None] / double_areas
    opposite = np.linalg.norm(triangles[:, [2, 0, 1]] - triangles[:, [1, 2, 0]], axis=2)
    double_area = np.linalg.norm(np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0]), axis=1)
    return double_area[:, None] / opposite


@njit(cache=True)
def _keeps(i, t, points, cells, stars, found, bary, distance, round_off):
    """Try cell t alone for point i; True when the point is well inside it (module doc: 2d < δ),
    so that t is the closest cell whatever the others. A point outside a tetrahedral mesh is
    kept only over the inside of a boundary face of t (its closest point q has one barycentric
    coordinate 0, on an exterior facet); λ_k h_k bounds q's distance to that face's edges from below."""
    found[i], distance[i] = -1, np.inf
    _closer(i, t, points, cells, found, bary, distance)
    corners = cells.corners.shape[1]
    face = -1
    if corners == 4 and distance[i] > 0.0:
        face = _boundary_face(i, t, stars, bary)
        if face < 0:
            return False
    edge_distance = np.inf
    for k in range(corners):
        if k != face:
            edge_distance = min(edge_distance, bary[i, k] * cells.altitudes[t, k])
    return 2.0 * distance[i] + round_off < edge_distance


@njit(cache=True)
def _boundary_face(i, t, stars, bary):
    """The facet of t that point i's closest point lies inside, if it is on the boundary; else -1."""
    face = -1
    for k in range(4):
        if bary[i, k] == 0.0:
            if face >= 0:   # on an edge of the faces
                return -1
            face = k
    if face < 0 or not stars.exterior[t, face]:
        return -1
    return face


@njit(cache=True)
def _keeps_in_stars(i, t, points, cells, stars, found, bary, distance, round_off):
    """Point i just outside the mesh, near the boundary face of cell t: the closest cell among the
    stars of that face's corners (the boundary faces around it), kept when its closest point q is
    inside a boundary face and 2d < δ, δ = max over the corners v of (radius_v − |q − v|): the
    disk of radius δ about q lies in the stars, the rest of the boundary is farther than δ − d > d
    (the surface argument of the module doc), and every cell beyond it is reached through it."""
    own = -1
    for k in range(4):
        if stars.exterior[t, k]:
            own = k
            break
    if own < 0:
        return False
    found[i], distance[i] = -1, np.inf
    for k in range(4):
        if k != own:
            node = stars.vertices[t, k]
            for m in range(stars.offsets[node], stars.offsets[node + 1]):
                _closer(i, stars.cells[m], points, cells, found, bary, distance)
    best = found[i]
    if best < 0 or _boundary_face(i, best, stars, bary) < 0:
        return False
    corners = cells.corners
    qx, qy, qz = 0.0, 0.0, 0.0
    for k in range(4):
        qx += bary[i, k] * corners[best, k, 0]
        qy += bary[i, k] * corners[best, k, 1]
        qz += bary[i, k] * corners[best, k, 2]
    reach = 0.0
    for k in range(4):
        if k != own:
            node = stars.vertices[t, k]
            v = corners[t, k]
            gap = np.sqrt((qx - v[0]) ** 2 + (qy - v[1]) ** 2 + (qz - v[2]) ** 2)
            reach = max(reach, stars.radius[node] - gap)
    return 2.0 * distance[i] + round_off < reach


@njit(cache=True, parallel=True)
def locate_points(points, cells, stars, grid, margin, search_radius, guess):
    """Closest cell (Simplices) and barycentric coordinates for each point (n, 3).

    stars: BoundaryStars of a tetrahedral mesh (no_boundary_stars for triangles). grid: BucketGrid
    of the cells. guess: (n,) cell index per point from a previous call, or -1 (new points); a
    point well inside its guess or one of the guess's neighbours, or just outside the mesh and well
    within the boundary stars around its guess, keeps the closest cell found there (module doc);
    the result is the same as without the guess.
    The bucket of a point lists every cell within `margin` of it; a point farther than that from
    all of them (rare: off a curved surface, or outside the mesh) is compared with every cell,
    and is left unlocated (-1) beyond search_radius.
    Returns (cell index or -1; barycentric (n, 3 or 4); distance from the point to the cell).
    Ties (a point whose closest point is on a facet shared by two cells) go to the cell with
    the lowest tie_keys value.
    """
    triangles = cells.corners
    lo, size, shape, offsets, ids = grid.lo, grid.size, grid.shape, grid.offsets, grid.ids
    round_off = _ROUND_OFF * size
    n = points.shape[0]
    found = -np.ones(n, dtype=np.int64)
    bary = np.zeros((n, triangles.shape[1]))
    distance = np.full(n, np.inf)
    for i in prange(n):
        p = points[i]
        t = guess[i]
        if t >= 0:
            if _keeps(i, t, points, cells, stars, found, bary, distance, round_off):
                continue
            if triangles.shape[1] == 4 and distance[i] > 0.0 and _keeps_in_stars(i, t, points, cells, stars, found,
                                                                                 bary, distance, round_off):
                continue
            kept = False
            for k in range(cells.neighbours.shape[1]):
                neighbour = cells.neighbours[t, k]
                if neighbour >= 0 and _keeps(i, neighbour, points, cells, stars, found, bary, distance, round_off):
                    kept = True
                    break
            if kept:
                continue
            # moved farther: search as a new point, the guess's distance bounding the search (the
            # closest cell is the same: the guess is in the point's bucket when within margin of it)
            found[i], distance[i] = -1, np.inf
            _closer(i, t, points, cells, found, bary, distance)
        k = 0
        outside = False
        for d in range(3):
            cell = int(np.floor((p[d] - lo[d]) / size))
            if cell < 0 or cell >= shape[d]:
                outside = True
            k = k * shape[d] + min(max(cell, 0), shape[d] - 1)
        first, last = (0, 0) if outside else (offsets[k], offsets[k + 1])
        if triangles.shape[1] == 4:   # the tetrahedra containing the point first (cheap), then, if none, the closest
            for m in range(first, last):
                t = ids[m]
                l0, l1, l2, l3 = _tetrahedron_barycentric(p, triangles[t, 0], triangles[t, 1], triangles[t, 2],
                                                          triangles[t, 3])
                if min(min(l0, l1), min(l2, l3)) >= 0.0:
                    _closer(i, t, points, cells, found, bary, distance)
        if triangles.shape[1] == 3 or distance[i] > 0.0:   # (every tetrahedron at distance 0 was tried above)
            for m in range(first, last):
                _closer(i, ids[m], points, cells, found, bary, distance)
        if distance[i] > margin:
            for t in range(triangles.shape[0]):
                _closer(i, t, points, cells, found, bary, distance)
            if distance[i] > search_radius:
                found[i] = -1
    return found, bary, distance


@njit(cache=True)
def _triangle_distance(p, a, b, c):
    """Distance from p to triangle abc and the barycentric coordinates of the closest point."""
    l0, l1, l2 = _closest_point_barycentric(p, a, b, c)
    dist = 0.0
    for d in range(3):
        dist += (p[d] - (l0 * a[d] + l1 * b[d] + l2 * c[d])) ** 2
    return np.sqrt(dist), l0, l1, l2


@njit(cache=True)
def _closer(i, t, points, cells, found, bary, distance):
    """Keep simplex t for point i if it is closer than the current one.

    Outside a tetrahedron, the distance to the plane of a face with λ_k < 0, −λ_k h_k (h_k the
    altitude), bounds the distance from below: a tetrahedron that cannot beat the current one
    is skipped before its faces are searched (most of a bucket for a point inside the mesh)."""
    p = points[i]
    triangles, altitudes, tie_keys = cells.corners, cells.altitudes, cells.tie_keys
    if triangles.shape[1] == 3:
        dist, l0, l1, l2 = _triangle_distance(p, triangles[t, 0], triangles[t, 1], triangles[t, 2])
        l3 = 0.0
    else:
        a, b, c, d = triangles[t, 0], triangles[t, 1], triangles[t, 2], triangles[t, 3]
        l0, l1, l2, l3 = _tetrahedron_barycentric(p, a, b, c, d)
        dist = 0.0
        if min(min(l0, l1), min(l2, l3)) < 0.0:   # outside: the closest point of the faces it sees
            bound = max(max(-l0 * altitudes[t, 0], -l1 * altitudes[t, 1]),
                        max(-l2 * altitudes[t, 2], -l3 * altitudes[t, 3]))
            if bound > distance[i]:
                return
            dist = np.inf
            if l0 < 0.0:
                f, m1, m2, m3 = _triangle_distance(p, b, c, d)
                if f < dist:
                    dist, l0, l1, l2, l3 = f, 0.0, m1, m2, m3
            if l1 < 0.0:
                f, m0, m2, m3 = _triangle_distance(p, a, c, d)
                if f < dist:
                    dist, l0, l1, l2, l3 = f, m0, 0.0, m2, m3
            if l2 < 0.0:
                f, m0, m1, m3 = _triangle_distance(p, a, b, d)
                if f < dist:
                    dist, l0, l1, l2, l3 = f, m0, m1, 0.0, m3
            if l3 < 0.0:
                f, m0, m1, m2 = _triangle_distance(p, a, b, c)
                if f < dist:
                    dist, l0, l1, l2, l3 = f, m0, m1, m2, 0.0
    if dist < distance[i] or (dist == distance[i] and tie_keys[t] < tie_keys[found[i]]):
        distance[i] = dist
        found[i] = t
        bary[i, 0], bary[i, 1], bary[i, 2] = l0, l1, l2
        if bary.shape[1] == 4:
            bary[i, 3] = l3
