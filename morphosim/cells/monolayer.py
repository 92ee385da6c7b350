"""A 3D epithelial monolayer: every cell a prism-like polyhedron that can fold.

Cell c of the apical :class:`~.sheet.Sheet` is the polygon a_0 ... a_{n-1} (its ring, counter-clockwise
seen from the sheet's outside). The basal polygon b_0 ... b_{n-1} has the same vertex indices: basal
vertex v sits below apical vertex v and the lateral edge joins them. Each apical side a_k -> a_{k+1}
carries one lateral face, the (generally non-planar) quad

    (a_k, b_k, b_{k+1}, a_{k+1}),

shared with the neighbour across that side. So the basal layer has the apical topology; only its
positions are new. Non-planar faces are the fans of triangles around their vertex centroid,

    S_f = sum_k |(p_k - c_f) x (p_{k+1} - c_f)| / 2,       c_f = mean_k p_k,

and a cell's volume is the divergence theorem over the same triangles (closed surface, so any
origin; the kernels take the cell's first apical vertex, which makes periodic sheets work by
minimum images):

    V = s / 6 sum_faces sum_k c_f . (p_k x p_{k+1}),

with the apical and lateral faces in the orders above, the basal face in reverse ring order, and
s = +1 when the apical side faces the sheet's outside (``apical="out"``: +z of a planar sheet, away
from the centre of a shell), -1 when it faces inward.

Layout: ``sheet`` holds the apical layer (its vertices are the apical positions, its half-edges, cell
ids and parents are the monolayer's); ``basal`` the basal positions by vertex slot, with the sheet's
capacity.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit

from .boundary import Boundary, minimum_image, minimum_images
from .geometry import surface_normals
from .sheet import Sheet, SheetError

# numba-compatible argument groups of the monolayer kernels
CellRings = namedtuple("CellRings", "cell_start ring_vertex ring_code")
# (the sheet's Boundary fields flat after the positions: a parallel region cannot take a nested tuple)
Layers = namedtuple("Layers", "apical basal orientation kind lx ly a b c")
# per-cell work rows (max_sides, 3): positions relative to the cell's first apical vertex, their
# energy gradients, and one lateral face (4, 3) with its gradient; the gradients of the cell's volume
# triple sum and apical perimeter, kept apart until the cell's dE/dV and dE/dP are known
CellScratch = namedtuple("CellScratch", "apical basal apical_gradient basal_gradient face face_gradient "
                                        "apical_volume_gradient basal_volume_gradient face_volume_gradient "
                                        "perimeter_gradient")
# columns of the per-cell measure table
# (lateral and line shares: a cell's lateral faces and apical sides, those shared with a neighbour counted
# half, so that sum_c x_c * share_c is sum over faces of the mean of the two cells' x times the area)
APICAL_AREA, BASAL_AREA, VOLUME, APICAL_PERIMETER, LATERAL_SHARE, LINE_SHARE, HEIGHT = range(7)


class Monolayer:
    """Apical sheet plus basal positions; see the module docstring."""

    def __init__(self, sheet: Sheet, basal: np.ndarray, apical: str = "out"):
        if apical not in ("out", "in"):
            raise SheetError(f"apical must be 'out' or 'in', got {apical!r}")
        basal = np.asarray(basal, float)
        if basal.shape != (sheet.n_vertices, 3):
            raise SheetError(f"basal must have shape ({sheet.n_vertices}, 3), got {basal.shape}")
        self.sheet = sheet
        self.basal = np.zeros_like(sheet.vertices, order="C")
        self.basal[: sheet.n_vertices] = basal
        self.apical_side = apical
        self.orientation = 1.0 if apical == "out" else -1.0
        self.reference_yolk_volume = self.yolk_volume() if sheet.is_shell else 0.0

    @classmethod
    def from_sheet(cls, sheet: Sheet, height, apical: str = "out") -> "Monolayer":
        """Extrude a 2D sheet by ``height`` (a length, or one per vertex) along its normals: the sheet
        becomes the apical layer and basal vertex v = apical vertex v - s * height_v * n_v (n the sheet's
        outward normal, +z on planar sheets; s = +1 for ``apical="out"``, -1 for ``"in"``). The sheet
        is copied."""
        height = np.broadcast_to(np.asarray(height, float), (sheet.n_vertices,))
        if not np.all(np.isfinite(height)) or np.any(height <= 0):
            raise SheetError(f"height must be a positive length (or one per vertex), got {height.min()!r}")
        if apical not in ("out", "in"):
            raise SheetError(f"apical must be 'out' or 'in', got {apical!r}")
        sheet = sheet.copy()
        sign = 1.0 if apical == "out" else -1.0
        basal = sheet.positions - sign * height[:, None] * surface_normals(sheet)
        return cls(sheet, basal, apical)

    # ------------------------------------------------------------------ views
    @property
    def n_cells(self) -> int:
        return self.sheet.n_cells

    @property
    def n_vertices(self) -> int:
        """Vertices per layer (the monolayer has twice as many)."""
        return self.sheet.n_vertices

    @property
    def apical_positions(self) -> np.ndarray:
        return self.sheet.positions

    @property
    def basal_positions(self) -> np.ndarray:
        return self.basal[: self.sheet.n_vertices]

    @property
    def ids(self) -> np.ndarray:
        return self.sheet.ids

    @property
    def parents(self) -> np.ndarray:
        return self.sheet.parents

    def copy(self) -> "Monolayer":
        new = Monolayer.__new__(Monolayer)
        new.__dict__.update(self.__dict__)
        new.sheet = self.sheet.copy()
        new.basal = self.basal.copy()
        return new

    def kernel_arguments(self):
        """(CellRings, Layers, CellScratch) for the monolayer kernels."""
        rings = self.sheet.rings()
        sheet = self.sheet
        return (CellRings(rings.cell_start, rings.ring_vertex, rings.ring_code),
                Layers(sheet.vertices, self.basal, self.orientation, *sheet.boundary),
                new_scratch(max(rings.max_sides, 4)))

    # ------------------------------------------------------------------ measures
    def measures(self) -> np.ndarray:
        """Per-cell table (n_cells, 7), columns APICAL_AREA, BASAL_AREA, VOLUME, APICAL_PERIMETER,
        LATERAL_SHARE, LINE_SHARE (lateral face areas and apical side lengths, those shared with a
        neighbour counted half), HEIGHT (mean apical-basal distance of the cell's vertices)."""
        rings, layers, scratch = self.kernel_arguments()
        out = np.empty((self.n_cells, 7))
        cell_measures(rings, layers, scratch, out)
        return out

    def volumes(self) -> np.ndarray:
        return self.measures()[:, VOLUME]

    def apical_areas(self) -> np.ndarray:
        return self.measures()[:, APICAL_AREA]

    def basal_areas(self) -> np.ndarray:
        return self.measures()[:, BASAL_AREA]

    def apical_perimeters(self) -> np.ndarray:
        return self.measures()[:, APICAL_PERIMETER]

    def heights(self) -> np.ndarray:
        return self.measures()[:, HEIGHT]

    def yolk_volume(self) -> float:
        """Volume enclosed by the basal surface of a closed shell (basal fans in ring order, whose area
        vectors point away from the shell's inside)."""
        if not self.sheet.is_shell:
            raise SheetError("yolk_volume needs a closed shell (Sheet.ellipsoid_shell)")
        rings, layers, scratch = self.kernel_arguments()
        return surface_volume(rings, layers.basal, scratch.basal, scratch.basal_gradient, 0.0, np.empty((0, 3)))

    # ------------------------------------------------------------------ validation
    def check(self) -> bool:
        """Verify the monolayer; return True or raise :class:`SheetError` naming the first problem.

        The apical half-edge mesh (which is also the basal one) passes :meth:`Sheet.check` (topology);
        both layers have finite positions, and on periodic sheets every apical, basal and lateral edge is
        shorter than half the box; every face is oriented outward of its cell: the apical and basal
        area vectors point from basal to apical centroid times s (basal: its ring-order area vector,
        whose reverse is the outward one), each lateral face's outward area vector has a positive
        component along the side's outward direction e x (apical centroid - basal centroid), e the
        side's apical plus basal edge; every cell volume is positive.
        """
        sheet = self.sheet
        sheet.check(geometry=False)
        nv = sheet.n_vertices

        def fail(message):
            raise SheetError(f"monolayer check failed: {message}")

        if self.basal.shape[0] < sheet.vertices.shape[0]:
            fail("the basal array is shorter than the sheet's vertex capacity")
        for name, layer in (("apical", self.apical_positions), ("basal", self.basal_positions)):
            if not np.all(np.isfinite(layer)):
                fail(f"a {name} position is not finite")
        if sheet.periodic:
            half = 0.5 * sheet.box[:2]
            ne = sheet.n_half_edges
            tail, head = sheet.origin[:ne], sheet.origin[sheet.twin[:ne]]
            pairs = (("apical", self.apical_positions[head] - self.apical_positions[tail]),
                     ("basal", self.basal_positions[head] - self.basal_positions[tail]),
                     ("lateral", self.basal_positions - self.apical_positions))
            for name, vec in pairs:
                if np.any(np.abs(minimum_images(sheet.boundary, vec)[:, :2]) >= half):
                    fail(f"a {name} edge is longer than half the periodic box")
        rings, layers, scratch = self.kernel_arguments()
        worst = np.empty((sheet.n_cells, 4))
        face_orientations(rings, layers, scratch, worst)
        for column, name in enumerate(("apical face", "basal face", "lateral face", "volume")):
            bad = np.flatnonzero(worst[:, column] <= 0)
            if bad.size:
                fail(f"cell slot {int(bad[0])} (id {int(sheet.ids[bad[0]])}) has a {name} "
                     f"{'that is not positive' if column == 3 else 'oriented into the cell'}")
        if nv and sheet.is_shell and self.yolk_volume() <= 0:
            fail("the yolk (inside of the basal surface) has no positive volume")
        return True


# ---------------------------------------------------------------------- kernels
@njit(inline="always")
def layers_boundary(layers):
    """The sheet's Boundary record of a Layers."""
    return Boundary(layers.kind, layers.lx, layers.ly, layers.a, layers.b, layers.c)


@njit(cache=True)
def new_scratch(width):
    """A CellScratch for cells of up to ``width`` sides (each thread of a kernel needs its own)."""
    return CellScratch(np.zeros((width, 3)), np.zeros((width, 3)), np.zeros((width, 3)), np.zeros((width, 3)),
                       np.zeros((4, 3)), np.zeros((4, 3)), np.zeros((width, 3)), np.zeros((width, 3)),
                       np.zeros((4, 3)), np.zeros((width, 3)))


@njit(inline="always")
def load_cell(rings, layers, scratch, c):
    """Copy cell c's apical and basal positions, relative to its first apical vertex (minimum image),
    into the scratch rows; zero their gradients. Returns (first ring position, side count)."""
    first = rings.cell_start[c]
    n = rings.cell_start[c + 1] - first
    apical, basal, boundary = layers.apical, layers.basal, layers_boundary(layers)
    origin = rings.ring_vertex[first]
    ox, oy, oz = apical[origin, 0], apical[origin, 1], apical[origin, 2]
    for k in range(n):
        v = rings.ring_vertex[first + k]
        scratch.apical[k, 0], scratch.apical[k, 1], scratch.apical[k, 2] = minimum_image(
            boundary, apical[v, 0] - ox, apical[v, 1] - oy, apical[v, 2] - oz)
        scratch.basal[k, 0], scratch.basal[k, 1], scratch.basal[k, 2] = minimum_image(
            boundary, basal[v, 0] - ox, basal[v, 1] - oy, basal[v, 2] - oz)
        for d in range(3):
            scratch.apical_gradient[k, d] = 0.0
            scratch.basal_gradient[k, d] = 0.0
            scratch.apical_volume_gradient[k, d] = 0.0
            scratch.basal_volume_gradient[k, d] = 0.0
            scratch.perimeter_gradient[k, d] = 0.0
    return first, n


@njit(inline="always")
def _mean_point(points, n):
    """Mean of points[:n] (the fan centre of a polygon)."""
    cx = cy = cz = 0.0
    for k in range(n):
        cx += points[k, 0]
        cy += points[k, 1]
        cz += points[k, 2]
    return cx / n, cy / n, cz / n


@njit(inline="always")
def fan_face(points, n, area_gradient, area_weight, volume_gradient, volume_weight):
    """Fan area S and triple sum T = sum_k c . (p_k x p_{k+1}) of the polygon points[:n] (c their mean);
    adds area_weight dS/dp to area_gradient[:n] and volume_weight dT/dp to volume_gradient[:n] (which may
    be the same array) unless both weights are zero.

    With u_k = p_k - c, nu_k the unit normal of triangle k: dS_k = (u_{k+1} x nu_k / 2) . du_k
    + (nu_k x u_k / 2) . du_{k+1}; dT_k/dp_k = p_{k+1} x c, dT_k/dp_{k+1} = c x p_k, dT_k/dc = p_k x p_{k+1};
    dc/dp_j = 1/n spreads the centroid derivatives evenly.
    """
    cx, cy, cz = _mean_point(points, n)
    want = area_weight != 0.0 or volume_weight != 0.0
    area = 0.0
    triple = 0.0
    acx = acy = acz = vcx = vcy = vcz = 0.0  # area and triple derivatives with respect to the centroid
    for k in range(n):
        j = k + 1 if k + 1 < n else 0
        px, py, pz = points[k, 0], points[k, 1], points[k, 2]
        qx, qy, qz = points[j, 0], points[j, 1], points[j, 2]
        ux, uy, uz = px - cx, py - cy, pz - cz
        wx, wy, wz = qx - cx, qy - cy, qz - cz
        nx, ny, nz = uy * wz - uz * wy, uz * wx - ux * wz, ux * wy - uy * wx
        norm = np.sqrt(nx * nx + ny * ny + nz * nz)
        area += 0.5 * norm
        # p x q = (u + c) x (w + c); T uses absolute (cell-relative) positions
        kx, ky, kz = py * qz - pz * qy, pz * qx - px * qz, px * qy - py * qx
        triple += cx * kx + cy * ky + cz * kz
        if want:
            scale = 0.5 * area_weight / norm if norm > 0.0 else 0.0
            nx *= scale
            ny *= scale
            nz *= scale  # now area_weight nu / 2
            # area parts: (w x nu) and (nu x u), times area_weight / 2
            akx, aky, akz = wy * nz - wz * ny, wz * nx - wx * nz, wx * ny - wy * nx
            ajx, ajy, ajz = ny * uz - nz * uy, nz * ux - nx * uz, nx * uy - ny * ux
            area_gradient[k, 0] += akx
            area_gradient[k, 1] += aky
            area_gradient[k, 2] += akz
            area_gradient[j, 0] += ajx
            area_gradient[j, 1] += ajy
            area_gradient[j, 2] += ajz
            volume_gradient[k, 0] += volume_weight * (qy * cz - qz * cy)
            volume_gradient[k, 1] += volume_weight * (qz * cx - qx * cz)
            volume_gradient[k, 2] += volume_weight * (qx * cy - qy * cx)
            volume_gradient[j, 0] += volume_weight * (cy * pz - cz * py)
            volume_gradient[j, 1] += volume_weight * (cz * px - cx * pz)
            volume_gradient[j, 2] += volume_weight * (cx * py - cy * px)
            acx -= akx + ajx
            acy -= aky + ajy
            acz -= akz + ajz
            vcx += kx
            vcy += ky
            vcz += kz
    if want:
        for k in range(n):
            area_gradient[k, 0] += acx / n
            area_gradient[k, 1] += acy / n
            area_gradient[k, 2] += acz / n
            volume_gradient[k, 0] += volume_weight * vcx / n
            volume_gradient[k, 1] += volume_weight * vcy / n
            volume_gradient[k, 2] += volume_weight * vcz / n
    return area, triple


@njit(inline="always")
def lateral_face(scratch, n, k, area_weight, volume_weight):
    """Fan area and triple sum of the lateral quad (a_k, b_k, b_{k+1}, a_{k+1}) of the loaded cell,
    adding area_weight dS/dp to the cell's apical and basal gradient rows and volume_weight dT/dp to its
    volume gradient rows."""
    j = k + 1 if k + 1 < n else 0
    face, area_gradient, volume_gradient = scratch.face, scratch.face_gradient, scratch.face_volume_gradient
    for d in range(3):
        face[0, d] = scratch.apical[k, d]
        face[1, d] = scratch.basal[k, d]
        face[2, d] = scratch.basal[j, d]
        face[3, d] = scratch.apical[j, d]
        for r in range(4):
            area_gradient[r, d] = 0.0
            volume_gradient[r, d] = 0.0
    area, triple = fan_face(face, 4, area_gradient, area_weight, volume_gradient, volume_weight)
    if area_weight != 0.0 or volume_weight != 0.0:
        for d in range(3):
            scratch.apical_gradient[k, d] += area_gradient[0, d]
            scratch.basal_gradient[k, d] += area_gradient[1, d]
            scratch.basal_gradient[j, d] += area_gradient[2, d]
            scratch.apical_gradient[j, d] += area_gradient[3, d]
            scratch.apical_volume_gradient[k, d] += volume_gradient[0, d]
            scratch.basal_volume_gradient[k, d] += volume_gradient[1, d]
            scratch.basal_volume_gradient[j, d] += volume_gradient[2, d]
            scratch.apical_volume_gradient[j, d] += volume_gradient[3, d]
    return area, triple


@njit(inline="always")
def side_share(ring_code, k):
    """1/2 for a side shared with another cell, 1 on the outer boundary of an open sheet."""
    return 1.0 if ring_code[k] & 1 else 0.5


@njit(inline="always")
def side_length(scratch, n, k):
    j = k + 1 if k + 1 < n else 0
    dx = scratch.apical[j, 0] - scratch.apical[k, 0]
    dy = scratch.apical[j, 1] - scratch.apical[k, 1]
    dz = scratch.apical[j, 2] - scratch.apical[k, 2]
    return dx, dy, dz, np.sqrt(dx * dx + dy * dy + dz * dz)


@njit(cache=True)
def cell_shape(rings, scratch, first, n, orientation):
    """(apical area, basal area, volume, apical perimeter, lateral share, line share) of the loaded cell."""
    apical_area, triple = fan_face(scratch.apical, n, scratch.apical_gradient, 0.0, scratch.apical_gradient, 0.0)
    basal_area, basal_triple = fan_face(scratch.basal, n, scratch.basal_gradient, 0.0, scratch.basal_gradient, 0.0)
    triple -= basal_triple  # the basal face runs in reverse ring order
    lateral = perimeter = line = 0.0
    for k in range(n):
        share = side_share(rings.ring_code, first + k)
        area, t = lateral_face(scratch, n, k, 0.0, 0.0)
        lateral += share * area
        triple += t
        length = side_length(scratch, n, k)[3]
        perimeter += length
        line += share * length
    return apical_area, basal_area, orientation * triple / 6.0, perimeter, lateral, line


@njit(cache=True)
def cell_measures(rings, layers, scratch, out):
    for c in range(out.shape[0]):
        first, n = load_cell(rings, layers, scratch, c)
        apical_area, basal_area, volume, perimeter, lateral, line = cell_shape(rings, scratch, first, n,
                                                                             layers.orientation)
        height = 0.0
        for k in range(n):
            dx = scratch.basal[k, 0] - scratch.apical[k, 0]
            dy = scratch.basal[k, 1] - scratch.apical[k, 1]
            dz = scratch.basal[k, 2] - scratch.apical[k, 2]
            height += np.sqrt(dx * dx + dy * dy + dz * dz)
        out[c, APICAL_AREA] = apical_area
        out[c, BASAL_AREA] = basal_area
        out[c, VOLUME] = volume
        out[c, APICAL_PERIMETER] = perimeter
        out[c, LATERAL_SHARE] = lateral
        out[c, LINE_SHARE] = line
        out[c, HEIGHT] = height / n


@njit(cache=True)
def _area_vector(points, n):
    """Sum of the fan-triangle area vectors (times 2) of points[:n] and their centroid."""
    cx, cy, cz = _mean_point(points, n)
    ax = ay = az = 0.0
    for k in range(n):
        j = k + 1 if k + 1 < n else 0
        ux, uy, uz = points[k, 0] - cx, points[k, 1] - cy, points[k, 2] - cz
        wx, wy, wz = points[j, 0] - cx, points[j, 1] - cy, points[j, 2] - cz
        ax += uy * wz - uz * wy
        ay += uz * wx - ux * wz
        az += ux * wy - uy * wx
    return ax, ay, az, cx, cy, cz


@njit(cache=True)
def face_orientations(rings, layers, scratch, out):
    """Per cell (apical, basal, worst lateral) orientation products and the volume (see Monolayer.check)."""
    s = layers.orientation
    for c in range(out.shape[0]):
        first, n = load_cell(rings, layers, scratch, c)
        ax, ay, az, acx, acy, acz = _area_vector(scratch.apical, n)
        bx, by, bz, bcx, bcy, bcz = _area_vector(scratch.basal, n)
        hx, hy, hz = acx - bcx, acy - bcy, acz - bcz
        out[c, 0] = s * (ax * hx + ay * hy + az * hz)
        out[c, 1] = s * (bx * hx + by * hy + bz * hz)
        worst = np.inf
        for k in range(n):
            j = k + 1 if k + 1 < n else 0
            for d in range(3):
                scratch.face[0, d] = scratch.apical[k, d]
                scratch.face[1, d] = scratch.basal[k, d]
                scratch.face[2, d] = scratch.basal[j, d]
                scratch.face[3, d] = scratch.apical[j, d]
            fx, fy, fz = _area_vector(scratch.face, 4)[:3]
            # the side's outward direction in the cell's plane, e x (apical - basal) with e the side
            # (apical plus basal edge): local, so it also holds for non-convex cells; s cancels
            ex = scratch.face[3, 0] - scratch.face[0, 0] + scratch.face[2, 0] - scratch.face[1, 0]
            ey = scratch.face[3, 1] - scratch.face[0, 1] + scratch.face[2, 1] - scratch.face[1, 1]
            ez = scratch.face[3, 2] - scratch.face[0, 2] + scratch.face[2, 2] - scratch.face[1, 2]
            ox, oy, oz = ey * hz - ez * hy, ez * hx - ex * hz, ex * hy - ey * hx
            worst = min(worst, fx * ox + fy * oy + fz * oz)
        out[c, 2] = worst
        out[c, 3] = cell_shape(rings, scratch, first, n, s)[2]


@njit(cache=True)
def surface_volume(rings, positions, points, gradient, volume_weight, forces):
    """Volume enclosed by the closed surface of the cells' polygons of ``positions`` in ring order,
    V = 1/6 sum_cells T_c; with a nonzero ``volume_weight`` w subtracts w dV/dr from ``forces``."""
    total = 0.0
    for c in range(rings.cell_start.shape[0] - 1):
        first = rings.cell_start[c]
        n = rings.cell_start[c + 1] - first
        for k in range(n):
            v = rings.ring_vertex[first + k]
            for d in range(3):
                points[k, d] = positions[v, d]
                gradient[k, d] = 0.0
        triple = fan_face(points, n, gradient, 0.0, gradient, volume_weight / 6.0)[1]
        total += triple
        if volume_weight != 0.0:
            for k in range(n):
                v = rings.ring_vertex[first + k]
                for d in range(3):
                    forces[v, d] -= gradient[k, d]
    return total / 6.0
