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

from .rings import ring_edge
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
    inverse = 1.0 / np.sqrt(nx * nx + ny * ny + nz * nz)
    return nx * inverse, ny * inverse, nz * inverse


@njit(inline="always")
def project_on_ellipsoid(vertices, v, radii):
    """Put vertex v back on the ellipsoid along the ray from its centre (a retraction)."""
    x, y, z = vertices[v, 0] / radii[0], vertices[v, 1] / radii[1], vertices[v, 2] / radii[2]
    inverse = 1.0 / np.sqrt(x * x + y * y + z * z)
    vertices[v, 0] *= inverse
    vertices[v, 1] *= inverse
    vertices[v, 2] *= inverse


# ---------------------------------------------------------------------- per-cell geometry
class Geometry:
    """Per-cell geometric quantities of a sheet, in preallocated arrays indexed by cell slot
    (only the first ``sheet.n_cells`` entries are meaningful). Refresh with :func:`compute_geometry`.

    area, signed_area, perimeter, line_length : (n,) lengths^2 / lengths
    centroid, normal : (n, 3)
    n_sides : (n,) int
    sum_squared_edges, shortest_edge : (n,) used by the stable time-step bound
    """

    FIELDS = ("area", "signed_area", "perimeter", "line_length", "sum_squared_edges", "shortest_edge")
    VECTORS = ("centroid", "normal")

    def __init__(self, capacity: int):
        for name in self.FIELDS:
            setattr(self, name, np.zeros(capacity))
        for name in self.VECTORS:
            setattr(self, name, np.zeros((capacity, 3)))
        self.n_sides = np.zeros(capacity, INDEX)

    @property
    def capacity(self) -> int:
        return self.area.shape[0]

    def arrays(self) -> tuple:
        """The arrays the numba kernels fill, as one tuple (this order is unpacked by the kernels)."""
        return (self.area, self.signed_area, self.perimeter, self.line_length, self.centroid, self.normal,
                self.n_sides, self.sum_squared_edges, self.shortest_edge)


def compute_geometry(sheet: Sheet, out: Geometry | None = None) -> Geometry:
    """Fill (or allocate) a :class:`Geometry` for the sheet's active cells."""
    if out is None or out.capacity < sheet.n_cells:
        out = Geometry(sheet.cell_edge.shape[0])
    rings = sheet.rings()
    # planar and shell cells in separate kernels: a loop body that also holds the other
    # geometry's (unused) code compiles into a loop several times slower
    kernel = _shell_geometry if sheet.is_shell else _planar_geometry
    kernel(sheet.vertices, rings.arrays(), sheet.n_cells, sheet.box, sheet.periodic, out.arrays(), rings.scratch)
    return out


# ---------------------------------------------------------------------- ring kernels
# The hot path reads the sheet through its rings (see :mod:`.rings`): one pass over the edges
# computes every edge length once, then one pass over the cells reads its sides contiguously.
# The helpers below are shared by the geometry kernel and the fused force kernel (energy.py).

@njit(inline="always")
def edge_pass(vertices, edge_tail, edge_head, edge_data, box, periodic, shell):
    """edge_data[:, e] for every edge, minimum image on periodic sheets: on shells (unit vector
    tail -> head (x, y, z), length); on planar sheets, which live in z = 0, (vector tail -> head
    (x, y), unused, length): the shoelace sums take the vector as it is (a multiplication per side
    less than a unit vector) and the forces divide it by the length (bench/RESULTS.md lists the
    layouts measured against this one)."""
    if shell:
        shell_edges(vertices, edge_tail, edge_head, edge_data, box, periodic, 0, edge_tail.shape[0])
    else:
        planar_edges(vertices, edge_tail, edge_head, edge_data, box, periodic, 0, edge_tail.shape[0])


# Each edge kernel makes two loops: a gather of the vertex pairs, then a branch-free loop over
# contiguous rows that the compiler vectorises (square roots and divisions dominate otherwise).
# They run over views from 0: numba wraps every index that may be negative, which it cannot rule out
# for ``range(first, last)``; for the same reason vertex indices are read as unsigned.
# The box is copied into values: read from an array the stores might alias, it would be reloaded,
# and divided by, at every edge (with arcp, x / box becomes x * (1 / box) computed once).

@njit(cache=True, error_model="numpy", fastmath={"contract", "arcp"})
def shell_edges(vertices, edge_tail, edge_head, edge_data, box, periodic, first, last):
    """edge_pass of a shell for the edges [first, last) (one thread's share)."""
    ux, uy, uz, lengths = (edge_data[0, first:last], edge_data[1, first:last], edge_data[2, first:last],
                           edge_data[3, first:last])
    tails, heads = edge_tail[first:last], edge_head[first:last]
    for e in range(last - first):  # a shell has no periodic box
        ux[e], uy[e], uz[e] = edge_vector(vertices, np.uint32(tails[e]), np.uint32(heads[e]), box, False)
    for e in range(last - first):
        lengths[e] = np.sqrt(ux[e] * ux[e] + uy[e] * uy[e] + uz[e] * uz[e])
        inverse = 1.0 / lengths[e]
        ux[e] *= inverse
        uy[e] *= inverse
        uz[e] *= inverse


@njit(cache=True, error_model="numpy", fastmath={"contract", "arcp"})
def planar_edges(vertices, edge_tail, edge_head, edge_data, box, periodic, first, last):
    """edge_pass of a planar sheet for the edges [first, last) (one thread's share)."""
    dx, dy, lengths = edge_data[0, first:last], edge_data[1, first:last], edge_data[3, first:last]
    tails, heads = edge_tail[first:last], edge_head[first:last]
    box = (box[0], box[1])  # see the comment above
    # one loop for each value of periodic, a constant in it (tested inside, the loop is slower)
    if periodic:
        _planar_edge_vectors(vertices, tails, heads, dx, dy, box, True)
    else:
        _planar_edge_vectors(vertices, tails, heads, dx, dy, box, False)
    for e in range(last - first):
        lengths[e] = np.sqrt(dx[e] * dx[e] + dy[e] * dy[e])


@njit(inline="always")
def _planar_edge_vectors(vertices, tails, heads, dx, dy, box, periodic):
    for e in range(tails.shape[0]):
        dx[e], dy[e], _ = edge_vector(vertices, np.uint32(tails[e]), np.uint32(heads[e]), box, periodic)


@njit(inline="always")
def ring_side(ring_code, edge_data, k):
    """Side k of a shell ring as the cell runs along it: (unit vector x, y, z, length, line weight)."""
    e, sign, weight = ring_edge(ring_code[np.uint32(k)])  # unsigned: see rings.ring_edge
    return sign * edge_data[0, e], sign * edge_data[1, e], sign * edge_data[2, e], edge_data[3, e], weight


@njit(inline="always")
def planar_cell(cell_start, ring_code, edge_data, c):
    """Shoelace area, perimeter, line length, centroid offset from the cell's first vertex (x, y),
    sum of squared sides and shortest side of planar cell c."""
    start = cell_start[c]
    n = cell_start[c + 1] - start
    px = py = sx = sy = twice_area = perimeter = line = squares = 0.0
    shortest = np.inf
    for i in range(n):
        e, sign, weight = ring_edge(ring_code[np.uint32(start + i)])  # unsigned: see rings.ring_edge
        ex, ey, length = sign * edge_data[0, e], sign * edge_data[1, e], edge_data[3, e]
        sx += px
        sy += py
        twice_area += px * ey - py * ex  # p x (p + e) with p the vertex relative to the first
        px += ex
        py += ey
        perimeter += length
        line += weight * length
        squares += length * length
        shortest = min(shortest, length)
    return 0.5 * twice_area, perimeter, line, sx / n, sy / n, squares, shortest


@njit(inline="always")
def shell_cell(cell_start, ring_code, edge_data, c, scratch):
    """Fan geometry of shell cell c around its centroid. Returns (fan area, perimeter, line length,
    centroid offset from the first vertex (3), area vector (3), centroid gradient of the fan area
    divided by the number of sides (3), sum of squared sides, shortest side); leaves the vertices
    relative to the centroid in scratch[0:3] and the unit triangle normals in scratch[3:6]."""
    start, n = cell_start[c], cell_start[c + 1] - cell_start[c]
    px = py = pz = sx = sy = sz = perimeter = line = squares = 0.0
    shortest = np.inf
    for i in range(n):
        ux, uy, uz, length, weight = ring_side(ring_code, edge_data, start + i)
        scratch[0, i], scratch[1, i], scratch[2, i] = px, py, pz
        sx += px
        sy += py
        sz += pz
        px += ux * length
        py += uy * length
        pz += uz * length
        perimeter += length
        line += weight * length
        squares += length * length
        shortest = min(shortest, length)
    ox, oy, oz = sx / n, sy / n, sz / n
    for i in range(n):
        scratch[0, i] -= ox
        scratch[1, i] -= oy
        scratch[2, i] -= oz
    fan = ax = ay = az = gx = gy = gz = 0.0
    for i in range(n):  # triangle (centroid, r_i, r_i+1): t = m x q
        j = i + 1 if i + 1 < n else 0
        mx, my, mz = scratch[0, i], scratch[1, i], scratch[2, i]
        qx, qy, qz = scratch[0, j], scratch[1, j], scratch[2, j]
        tx, ty, tz = my * qz - mz * qy, mz * qx - mx * qz, mx * qy - my * qx
        t = np.sqrt(tx * tx + ty * ty + tz * tz)
        fan += 0.5 * t
        ax += tx
        ay += ty
        az += tz
        if t > 0.0:
            tx, ty, tz = tx / t, ty / t, tz / t
            # d|t|/dc summed over triangles: (r_i - r_i+1) x unit(t) / 2
            dx, dy, dz = mx - qx, my - qy, mz - qz
            gx += 0.5 * (dy * tz - dz * ty)
            gy += 0.5 * (dz * tx - dx * tz)
            gz += 0.5 * (dx * ty - dy * tx)
        scratch[3, i], scratch[4, i], scratch[5, i] = tx, ty, tz
    return (fan, perimeter, line, ox, oy, oz, ax, ay, az, gx / n, gy / n, gz / n, squares, shortest)


@njit(inline="always")
def store_scalars(c, area, perimeter, line, n, squares, shortest, area_, signed_area, perimeter_, line_length,
                  n_sides, sum_squared_edges, shortest_edge):
    """Write cell c's scalar quantities into the Geometry arrays."""
    area_[c] = signed_area[c] = area
    perimeter_[c] = perimeter
    line_length[c] = line
    n_sides[c] = n
    sum_squared_edges[c] = squares
    shortest_edge[c] = shortest


@njit(inline="always")
def cell_centroid(vertices, first, ox, oy, oz, box, periodic):
    """Centroid from the cell's first vertex and the mean offset of its vertices from it."""
    cx, cy = vertices[first, 0] + ox, vertices[first, 1] + oy
    if periodic:
        cx -= box[0] * np.floor(cx / box[0])
        cy -= box[1] * np.floor(cy / box[1])
    return cx, cy, vertices[first, 2] + oz


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def _planar_geometry(vertices, rings, n_cells, box, periodic, geometry, scratch):
    cell_start, ring_vertex, ring_code, edge_tail, edge_head, edge_data = rings
    (area_, signed_area, perimeter_, line_length, centroid, normal, n_sides, sum_squared_edges,
     shortest_edge) = geometry
    edge_pass(vertices, edge_tail, edge_head, edge_data, box, periodic, False)
    for c in range(n_cells):
        area, perimeter, line, ox, oy, squares, shortest = planar_cell(cell_start, ring_code, edge_data, c)
        store_scalars(c, area, perimeter, line, cell_start[c + 1] - cell_start[c], squares, shortest, area_,
                      signed_area, perimeter_, line_length, n_sides, sum_squared_edges, shortest_edge)
        centroid[c, 0], centroid[c, 1], centroid[c, 2] = cell_centroid(vertices, ring_vertex[cell_start[c]], ox, oy,
                                                                       0.0, box, periodic)
        normal[c, 0], normal[c, 1], normal[c, 2] = 0.0, 0.0, 1.0


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def _shell_geometry(vertices, rings, n_cells, box, periodic, geometry, scratch):
    cell_start, ring_vertex, ring_code, edge_tail, edge_head, edge_data = rings
    (area_, signed_area, perimeter_, line_length, centroid, normal, n_sides, sum_squared_edges,
     shortest_edge) = geometry
    edge_pass(vertices, edge_tail, edge_head, edge_data, box, periodic, True)
    for c in range(n_cells):
        (area, perimeter, line, ox, oy, oz, ax, ay, az, _, _, _, squares,
         shortest) = shell_cell(cell_start, ring_code, edge_data, c, scratch)
        store_scalars(c, area, perimeter, line, cell_start[c + 1] - cell_start[c], squares, shortest, area_,
                      signed_area, perimeter_, line_length, n_sides, sum_squared_edges, shortest_edge)
        centroid[c, 0], centroid[c, 1], centroid[c, 2] = cell_centroid(vertices, ring_vertex[cell_start[c]], ox, oy,
                                                                       oz, box, periodic)
        norm = np.sqrt(ax * ax + ay * ay + az * az)
        normal[c, 0], normal[c, 1], normal[c, 2] = ax / norm, ay / norm, az / norm


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
    +z everywhere on planar sheets (the direction a monolayer is extruded along)."""
    pts = sheet.positions if points is None else np.asarray(points, float)
    if not sheet.is_shell:
        return np.tile([0.0, 0.0, 1.0], (len(pts), 1))
    n = pts / sheet.radii**2
    return n / np.linalg.norm(n, axis=1)[:, None]


def shape_tensors(sheet: Sheet, geometry: Geometry | None = None) -> np.ndarray:
    """(n_cells, 3, 3) vertex shape tensor S_c = mean_k (r_k - c)(r_k - c)^T (lengths^2).

    Its largest eigenvector (within the tangent plane) is the cell's long axis; the anisotropy
    (s1 - s2)/(s1 + s2) of the two tangent eigenvalues measures elongation. `geometry`: the
    sheet's current geometry, when the caller has it (else it is computed)."""
    geometry = geometry or compute_geometry(sheet)
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
