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

from collections import namedtuple

import numpy as np
from numba import njit

from .boundary import PERIODIC, PLANAR, SHELL, as_boundary, as_kind, displacement, minimum_image, wrap
from .rings import as_rings, ring_edge
from .sheet import INDEX, N_CELLS, N_HALF_EDGES, Sheet, as_mesh

# The per-cell scalar fields of a Geometry, as the kernels take them (the force kernels store these
# and no vectors).
CellScalars = namedtuple("CellScalars", "area signed_area perimeter line_length n_sides sum_squared_edges "
                                        "shortest_edge")
# What the geometry and force kernels take of a sheet: its vertices, boundary and rings (which hold
# the sizes). A parallel region takes the three apart and rebuilds this inside its body.
SheetArrays = namedtuple("SheetArrays", "vertices boundary rings")
# One cell's scalar geometry as a ring kernel measures it.
CellShape = namedtuple("CellShape", "area perimeter line_length n_sides sum_squared_edges shortest_edge")


def sheet_arrays(sheet: Sheet) -> tuple:
    """The sheet as the ring kernels take it, SheetArrays as plain tuples (see .boundary); rings
    rebuilt first if the topology changed."""
    return sheet.vertices, sheet.boundary, sheet.rings().arrays


@njit(inline="always")
def as_sheet(values):
    """The SheetArrays of :func:`sheet_arrays`."""
    vertices, boundary, rings = values
    return SheetArrays(vertices, as_boundary(boundary), as_rings(rings))


@njit(inline="always")
def as_scalars(values):
    """The CellScalars of Geometry.scalars."""
    return CellScalars(*values)


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
        # plain, for the kernels (see .boundary)
        self.scalars = tuple(CellScalars(self.area, self.signed_area, self.perimeter, self.line_length, self.n_sides,
                                         self.sum_squared_edges, self.shortest_edge))

    @property
    def capacity(self) -> int:
        return self.area.shape[0]


def compute_geometry(sheet: Sheet, out: Geometry | None = None) -> Geometry:
    """Fill (or allocate) a :class:`Geometry` for the sheet's active cells."""
    if out is None or out.capacity < sheet.n_cells:
        out = Geometry(sheet.cell_edge.shape[0])
    # planar and shell cells in separate kernels: a loop body that also holds the other
    # geometry's (unused) code compiles into a loop several times slower
    kernel = _shell_geometry if sheet.is_shell else _planar_geometry
    kernel(sheet_arrays(sheet), out.scalars, out.centroid, out.normal)
    return out


# ---------------------------------------------------------------------- ring kernels
# The hot path reads the sheet through its rings (see :mod:`.rings`): one pass over the edges
# computes every edge length once, then one pass over the cells reads its sides contiguously.
# The helpers below are shared by the geometry kernel and the fused force kernel (energy.py).

@njit(inline="always")
def edge_pass(sheet, first, last):
    """rings.edge_data[:, e] for the edges [first, last) (one thread's share), minimum image on periodic
    sheets: on shells (unit vector tail -> head (x, y, z), length); on planar sheets, which live in
    z = 0, (vector tail -> head (x, y), unused, length): the shoelace sums take the vector as it is (a
    multiplication per side less than a unit vector) and the forces divide it by the length
    (bench/RESULTS.md lists the layouts measured against this one)."""
    if sheet.boundary.kind == SHELL:
        shell_edges(sheet, first, last)
    else:
        planar_edges(sheet, first, last)


# Each edge kernel makes two loops: a gather of the vertex pairs, then a branch-free loop over
# contiguous rows that the compiler vectorises (square roots and divisions dominate otherwise).
# They run over views from 0: numba wraps every index that may be negative, which it cannot rule out
# for ``range(first, last)``; for the same reason vertex indices are read as unsigned.

@njit(cache=True, error_model="numpy", fastmath={"contract", "arcp"})
def shell_edges(sheet, first, last):
    """edge_pass of a shell for the edges [first, last)."""
    edge_data = sheet.rings.edge_data
    ux, uy, uz, lengths = (edge_data[0, first:last], edge_data[1, first:last], edge_data[2, first:last],
                           edge_data[3, first:last])
    tails, heads = sheet.rings.edge_tail[first:last], sheet.rings.edge_head[first:last]
    _edge_vectors_loop(sheet.vertices, tails, heads, ux, uy, uz, as_kind(sheet.boundary, SHELL))
    for e in range(last - first):
        lengths[e] = np.sqrt(ux[e] * ux[e] + uy[e] * uy[e] + uz[e] * uz[e])
        inverse = 1.0 / lengths[e]
        ux[e] *= inverse
        uy[e] *= inverse
        uz[e] *= inverse


@njit(cache=True, error_model="numpy", fastmath={"contract", "arcp"})
def planar_edges(sheet, first, last):
    """edge_pass of a planar sheet for the edges [first, last)."""
    edge_data, vertices, boundary = sheet.rings.edge_data, sheet.vertices, sheet.boundary
    dx, dy, lengths = edge_data[0, first:last], edge_data[1, first:last], edge_data[3, first:last]
    tails, heads = sheet.rings.edge_tail[first:last], sheet.rings.edge_head[first:last]
    # one loop for each kind, a constant in it (tested inside, the loop is slower)
    if boundary.kind == PERIODIC:
        _edge_vectors_loop(vertices, tails, heads, dx, dy, dy, as_kind(boundary, PERIODIC))
    else:
        _edge_vectors_loop(vertices, tails, heads, dx, dy, dy, as_kind(boundary, PLANAR))
    for e in range(last - first):
        lengths[e] = np.sqrt(dx[e] * dx[e] + dy[e] * dy[e])


@njit(inline="always")
def _edge_vectors_loop(vertices, tails, heads, dx, dy, dz, boundary):
    """(dx, dy, dz)[e] = r_head - r_tail; planar kinds store x and y only (dz is not written, nor the
    z column read)."""
    for e in range(tails.shape[0]):
        x, y, z = displacement(boundary, vertices, np.uint32(tails[e]), np.uint32(heads[e]))
        dx[e], dy[e] = x, y
        if boundary.kind == SHELL:
            dz[e] = z


@njit(inline="always")
def ring_side(ring_code, edge_data, k):
    """Side k of a shell ring as the cell runs along it: (unit vector x, y, z, length, line weight)."""
    e, sign, weight = ring_edge(ring_code[np.uint32(k)])  # unsigned: see rings.ring_edge
    return sign * edge_data[0, e], sign * edge_data[1, e], sign * edge_data[2, e], edge_data[3, e], weight


@njit(inline="always")
def planar_cell(cell_start, ring_code, edge_data, c):
    """(CellShape, centroid offset from the cell's first vertex x, y) of planar cell c: shoelace area,
    perimeter, line length, sides, sum of squared sides, shortest side."""
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
    return CellShape(0.5 * twice_area, perimeter, line, n, squares, shortest), sx / n, sy / n


@njit(inline="always")
def shell_cell(cell_start, ring_code, edge_data, c, scratch):
    """Fan geometry of shell cell c around its centroid. Returns (CellShape with the fan area,
    centroid offset from the first vertex (x, y, z), area vector (x, y, z), centroid gradient of the
    fan area divided by the number of sides (x, y, z)); leaves the vertices relative to the centroid
    in scratch[0:3] and the unit triangle normals in scratch[3:6]."""
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
    return CellShape(fan, perimeter, line, n, squares, shortest), (ox, oy, oz), (ax, ay, az), (gx / n, gy / n, gz / n)


@njit(inline="always")
def store_scalars(scalars, c, shape):
    """Write cell c's CellShape into the CellScalars arrays."""
    scalars.area[c] = scalars.signed_area[c] = shape.area
    scalars.perimeter[c] = shape.perimeter
    scalars.line_length[c] = shape.line_length
    scalars.n_sides[c] = shape.n_sides
    scalars.sum_squared_edges[c] = shape.sum_squared_edges
    scalars.shortest_edge[c] = shape.shortest_edge


@njit(inline="always")
def cell_centroid(vertices, first, ox, oy, oz, boundary):
    """Centroid from the cell's first vertex and the mean offset of its vertices from it (wrapped
    into the box on periodic sheets)."""
    cx, cy = wrap(boundary, vertices[first, 0] + ox, vertices[first, 1] + oy)
    return cx, cy, vertices[first, 2] + oz


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def _planar_geometry(sheet, scalars, centroid, normal):
    sheet, scalars = as_sheet(sheet), as_scalars(scalars)
    rings, vertices, cell_start = sheet.rings, sheet.vertices, sheet.rings.cell_start
    edge_pass(sheet, 0, rings.edge_tail.shape[0])
    for c in range(rings.n_cells):
        shape, ox, oy = planar_cell(cell_start, rings.ring_code, rings.edge_data, c)
        store_scalars(scalars, c, shape)
        centroid[c, 0], centroid[c, 1], centroid[c, 2] = cell_centroid(
            vertices, rings.ring_vertex[cell_start[c]], ox, oy, 0.0, sheet.boundary)
        normal[c, 0], normal[c, 1], normal[c, 2] = 0.0, 0.0, 1.0


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def _shell_geometry(sheet, scalars, centroid, normal):
    sheet, scalars = as_sheet(sheet), as_scalars(scalars)
    rings, vertices, cell_start = sheet.rings, sheet.vertices, sheet.rings.cell_start
    edge_pass(sheet, 0, rings.edge_tail.shape[0])
    for c in range(rings.n_cells):
        shape, (ox, oy, oz), (ax, ay, az), _ = shell_cell(cell_start, rings.ring_code, rings.edge_data, c,
                                                          rings.scratch)
        store_scalars(scalars, c, shape)
        centroid[c, 0], centroid[c, 1], centroid[c, 2] = cell_centroid(
            vertices, rings.ring_vertex[cell_start[c]], ox, oy, oz, sheet.boundary)
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
    _edge_vectors(sheet.mesh(), out)
    return out


def edge_lengths(sheet: Sheet) -> np.ndarray:
    """(n_half_edges,) length of every half-edge (twins have equal lengths)."""
    return np.linalg.norm(edge_vectors(sheet), axis=1)


@njit(cache=True)
def _edge_vectors(mesh, out):
    mesh = as_mesh(mesh)
    for h in range(mesh.counts[N_HALF_EDGES]):
        out[h, 0], out[h, 1], out[h, 2] = half_edge_vector(mesh, h)


@njit(inline="always")
def half_edge_vector(mesh, h):
    """Origin -> destination of half-edge h (minimum image on periodic sheets)."""
    return displacement(mesh.boundary, mesh.vertices, mesh.origin[h], mesh.origin[mesh.twin[h]])


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
    _shape_tensors(sheet.mesh(), geometry.centroid, out)
    return out


@njit(cache=True)
def _shape_tensors(mesh, centroid, out):
    mesh = as_mesh(mesh)
    vertices, origin, next_, cell_edge = mesh.vertices, mesh.origin, mesh.next, mesh.cell_edge
    d = np.empty(3)
    for c in range(mesh.counts[N_CELLS]):
        start = h = cell_edge[c]
        k = 0
        while True:
            d[0], d[1], d[2] = minimum_image(mesh.boundary, vertices[origin[h], 0] - centroid[c, 0],
                                             vertices[origin[h], 1] - centroid[c, 1],
                                             vertices[origin[h], 2] - centroid[c, 2])
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
    mesh = sheet.mesh()
    _count_neighbours(mesh, counts)
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(counts, out=indptr[1:])
    indices = np.empty(indptr[n], INDEX)
    contact = np.empty(indptr[n])
    _fill_neighbours(mesh, indptr, indices, contact)
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
def _count_neighbours(mesh, counts):
    mesh = as_mesh(mesh)
    twin, next_, face, cell_edge = mesh.twin, mesh.next, mesh.face, mesh.cell_edge
    for c in range(mesh.counts[N_CELLS]):
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
def _fill_neighbours(mesh, indptr, indices, contact):
    mesh = as_mesh(mesh)
    twin, next_, face, cell_edge = mesh.twin, mesh.next, mesh.face, mesh.cell_edge
    for c in range(mesh.counts[N_CELLS]):
        start = h = cell_edge[c]
        k = indptr[c]
        while True:
            b = face[twin[h]]
            if b >= 0:
                ex, ey, ez = half_edge_vector(mesh, h)
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
