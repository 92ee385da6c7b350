"""Topology events on the half-edge sheet: T1 swaps, division, T2 extrusion (and apoptosis).

One call per time step, :func:`apply_topology`, runs in this order and returns a
:class:`TopologyEvents` record:

1. T1 swaps of every edge shorter than ``t1_length`` (both ends 3-fold, neither cell a
   triangle). The new edge is perpendicular, centred on the old midpoint, of length
   ``t1_new_length`` (default 1.5 x ``t1_length``), and may not swap again during the next
   ``t1_cooldown`` calls: no immediate flip-back.
   Short edges of the outer boundary of an open sheet (``boundary_t1=True``, the default):

   - *boundary T1*: edge i-j of cell a on the boundary, i shared with cell c, j with cell d.
     It is the T1 above with the outside as the second "cell": a leaves the boundary, c and d
     meet along the new edge, which runs from the old midpoint (j stays there, on the boundary)
     ``t1_new_length`` into the sheet (i). Counted in ``n_t1`` and ``n_boundary_t1``.
   - *corner merge*: if an end v is 2-fold (a corner of a alone, where no T1 exists) v and the
     edge are removed and the other end moves to the midpoint; a loses one side
     (``n_corner_merges``).

   Both only move vertices along the boundary by at most half the short edge l, so the total
   area of the cells (the area inside the boundary) changes by at most l/4 times the two
   neighbouring boundary edges; cells away from the edge keep their area exactly. The reverse
   of a boundary T1 (an edge with one end on the boundary swapping so that a cell reaches the
   boundary) is an ordinary T1 of that edge.
2. Divisions of the cells with area > ``division_area`` or flagged in ``divide``. The cleavage
   edge passes through the centroid perpendicular to the spindle axis (the cell's long axis by
   default, Hertwig's rule, or ``division_axis``). Both daughters get new ids with
   parent_id = the mother's id; one keeps the mother's slot, the other gets a new slot.
3. Extrusions of the cells with area < ``extrusion_area`` or flagged in ``extrude``: T1 swaps on
   the cell's own edges reduce it to a triangle, then a T2 collapses the triangle into one vertex.
   Apoptosis = drive the cell's A0 to 0 (see :class:`~morphosim.cells.energy.AreaElasticity`);
   it shrinks and is extruded once smaller than ``extrusion_area``.
   On the outer boundary of an open sheet the boundary closes over the extruded cell:

   - a cell with one boundary edge is reduced the same way (a boundary T1 of that edge moves it
     inside); a triangle with one boundary edge collapses into a vertex at the midpoint of that
     edge (the sheet loses the small area between the edge and the neighbouring boundary).
   - a corner cell (several boundary edges in one run, 2-fold corners between them) is cut
     out: its corner vertices and boundary edges go, its other edges become the boundary; the
     other cells keep their shape and the sheet loses exactly the cell's (small) area.

   Cells whose neighbours are triangles, or that touch the boundary in two separate places
   (removing them would pinch the sheet), are not extruded (retried later).

Slot bookkeeping
----------------
During a call removed elements are only marked; at the end the vertex, half-edge and cell
arrays are compacted in order (survivors keep their relative order). The record gives the
maps ``old_to_new`` (cell slot before the call -> slot after, -1 if removed) and
``vertex_old_to_new``; daughter slots in ``divisions`` are slots after the call.
``TopologyEvents.carry(values)`` remaps any per-cell array (daughters copy their mother).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from .boundary import SHELL, displacement, place, surface_normal, wrap_vertex
from .geometry import compute_geometry, half_edge_vector, long_axes
from .sheet import INDEX, N_CELLS, N_HALF_EDGES, N_VERTICES, NEXT_CELL_ID, TOPOLOGY_CALLS, Sheet, as_mesh


@dataclass
class TopologyEvents:
    """What one :func:`apply_topology` call did (slots after the call unless said otherwise)."""

    n_t1: int  # T1 swaps, boundary T1s included
    divisions: np.ndarray  # (k, 2) int: (mother's slot, new daughter's slot)
    division_ids: np.ndarray  # (k, 2) int: new ids of the cells in those two slots
    mother_ids: np.ndarray  # (k,) int: id the mother had before dividing
    removed_ids: np.ndarray  # ids of extruded cells
    removed_slots: np.ndarray  # their slots before the call
    old_to_new: np.ndarray  # (n_cells before,) slot after the call, -1 if removed
    vertex_old_to_new: np.ndarray  # (n_vertices before,) vertex index after, -1 if removed
    n_cells: int  # number of cells after the call
    n_boundary_t1: int = 0  # of the n_t1 swaps, those of outer-boundary edges
    n_corner_merges: int = 0  # short outer-boundary edges removed by merging a 2-fold corner vertex

    def carry(self, values: np.ndarray) -> np.ndarray:
        """Per-cell array over the slots before the call -> over the slots after it; daughters
        take their mother's value."""
        values = np.asarray(values)
        out = np.empty((self.n_cells,) + values.shape[1:], values.dtype)
        kept = self.old_to_new >= 0
        out[self.old_to_new[kept]] = values[: len(self.old_to_new)][kept]
        out[self.divisions[:, 1]] = out[self.divisions[:, 0]]
        return out

    @property
    def changed(self) -> bool:
        return bool(self.n_t1 or self.n_corner_merges or len(self.divisions) or len(self.removed_ids))


def default_t1_length(target_area: float) -> float:
    """T1 threshold when a scenario gives none: 5 % of the cell size √A0 (length); short enough
    not to swap junctions that are merely fluctuating, long enough that a shrinking edge swaps
    before the explicit step bound it sets becomes tiny."""
    return 0.05 * float(np.sqrt(target_area or 1.0))


def default_extrusion_area(target_area: float) -> float:
    """Area below which a dying (or any) cell is extruded when a scenario gives none: 5 % of A0
    (length²); by then an apoptotic cell (A0 → 0) is a small triangle about to be removed."""
    return 0.05 * target_area


def apply_topology(sheet: Sheet, *, t1_length: float | None = None, t1_new_length: float | None = None,
                   t1_cooldown: int = 5, division_area: float | None = None, divide=None, division_axis=None,
                   extrusion_area: float | None = None, extrude=None, boundary_t1: bool = True) -> TopologyEvents:
    """Apply all topology events of one step (see the module docstring); returns the record.

    boundary_t1     : also resolve short edges of the outer boundary of open sheets (default).

    divide, extrude : optional boolean arrays over the current cell slots.
    division_axis   : spindle axis, a 3-vector for all cells or an (n_cells, 3) array.
    """
    nc0, nv0 = sheet.n_cells, sheet.n_vertices
    for name, mask in (("divide", divide), ("extrude", extrude)):
        if mask is not None and np.shape(mask) != (nc0,):
            raise ValueError(f"{name} must be a boolean array with one entry per cell ({nc0}), got shape {np.shape(mask)}")
    call = int(sheet.counts[TOPOLOGY_CALLS])
    sheet.counts[TOPOLOGY_CALLS] += 1
    mesh = sheet.mesh()
    n_t1 = n_boundary_t1 = n_merges = 0
    merged_vertex_map = np.arange(nv0, dtype=INDEX)  # vertex slots before -> after the T1 pass
    if t1_length is not None:
        if not t1_length > 0:
            raise ValueError(f"t1_length must be positive, got {t1_length}")
        new_length = 1.5 * t1_length if t1_new_length is None else t1_new_length
        n_t1, n_boundary_t1, n_merges = _t1_pass(mesh, t1_length, new_length, call, t1_cooldown, bool(boundary_t1))
        if n_merges:  # divisions and extrusions below need a dense mesh
            _compact(mesh, merged_vertex_map, np.empty(sheet.n_half_edges, INDEX), np.empty(nc0, INDEX))
        if n_t1 or n_merges:
            sheet.topology_changed()

    geometry = compute_geometry(sheet)
    area = geometry.area[:nc0]
    dividing = np.zeros(nc0, bool) if divide is None else np.asarray(divide, bool).copy()
    if division_area is not None:
        dividing |= area > division_area
    mothers = np.flatnonzero(dividing).astype(INDEX)
    axes = _spindle_axes(sheet, mothers, division_axis)
    sheet.reserve(nv0 + 2 * len(mothers), sheet.n_half_edges + 6 * len(mothers), nc0 + len(mothers))
    mother_ids = sheet.cell_id[mothers].copy()
    daughters = np.full(len(mothers), -1, INDEX)
    _divide_cells(sheet.mesh(), mothers, axes, daughters)
    done = daughters >= 0
    mothers, daughters, mother_ids = mothers[done], daughters[done], mother_ids[done]

    dying = np.zeros(nc0, bool) if extrude is None else np.asarray(extrude, bool).copy()
    if extrusion_area is not None:
        dying |= area < extrusion_area
    dying[mothers] = False
    candidates = np.flatnonzero(dying).astype(INDEX)
    removed = np.zeros(len(candidates), np.bool_)
    removed_ids = sheet.cell_id[candidates].copy()
    _extrude_cells(sheet.mesh(), candidates, call, t1_cooldown, removed)

    if len(mothers) or len(candidates):  # extrusions may swap edges even when they fail
        sheet.topology_changed()
    cell_map = np.arange(sheet.n_cells, dtype=INDEX)
    vertex_map = np.arange(sheet.n_vertices, dtype=INDEX)
    if removed.any():
        edge_map = np.empty(sheet.n_half_edges, INDEX)
        _compact(sheet.mesh(), vertex_map, edge_map, cell_map)
    divisions = np.stack([cell_map[mothers], cell_map[daughters]], axis=1).reshape(-1, 2)
    vertex_old_to_new = np.where(merged_vertex_map >= 0, vertex_map[merged_vertex_map], -1).astype(INDEX)
    return TopologyEvents(
        n_t1=int(n_t1), divisions=divisions, division_ids=sheet.cell_id[divisions].reshape(-1, 2),
        mother_ids=mother_ids, removed_ids=removed_ids[removed], removed_slots=candidates[removed],
        old_to_new=cell_map[:nc0].copy(), vertex_old_to_new=vertex_old_to_new, n_cells=sheet.n_cells,
        n_boundary_t1=int(n_boundary_t1), n_corner_merges=int(n_merges))


def _spindle_axes(sheet: Sheet, mothers: np.ndarray, division_axis) -> np.ndarray:
    if division_axis is None:
        return long_axes(sheet)[mothers] if len(mothers) else np.zeros((0, 3))
    axis = np.asarray(division_axis, float)
    if axis.shape == (3,):
        return np.tile(axis, (len(mothers), 1))
    if axis.shape == (sheet.n_cells, 3):
        return axis[mothers]
    raise ValueError(f"division_axis must be a 3-vector or an (n_cells, 3) array, got shape {axis.shape}")


# ---------------------------------------------------------------------- single events (Python API)
def t1_swap(sheet: Sheet, half_edge: int, new_length: float | None = None, cooldown: int = 0) -> bool:
    """Swap the edge of ``half_edge`` (T1, or a boundary T1 on the outer boundary of an open
    sheet) if the configuration allows it; returns whether it did. ``new_length`` defaults to
    the current edge length."""
    if not 0 <= half_edge < sheet.n_half_edges:
        raise ValueError(f"half_edge must be in [0, {sheet.n_half_edges}), got {half_edge}")
    mesh = sheet.mesh()
    if new_length is None:
        new_length = _half_edge_length(mesh, half_edge)
    call = int(sheet.counts[TOPOLOGY_CALLS])
    sheet.topology_changed()
    return bool(_t1_swap(mesh, half_edge, new_length, call, cooldown))


def divide_cell(sheet: Sheet, slot: int, axis=None) -> TopologyEvents:
    """Divide one cell (spindle along ``axis``, default its long axis)."""
    mask = np.zeros(sheet.n_cells, bool)
    mask[slot] = True
    return apply_topology(sheet, divide=mask, division_axis=axis)


def extrude_cell(sheet: Sheet, slot: int) -> TopologyEvents:
    """Extrude one cell (T1s down to a triangle, then T2; a corner cell of an open sheet is cut out)."""
    mask = np.zeros(sheet.n_cells, bool)
    mask[slot] = True
    return apply_topology(sheet, extrude=mask)


# ---------------------------------------------------------------------- numba kernels
# ``mesh`` is a sheet.Mesh (the half-edge arrays and the boundary); the kernels called from Python take
# Sheet.mesh() and make it one with as_mesh. Removed elements are marked with -1 (origin, vertex_edge,
# cell_edge) until _compact.

@njit(cache=True)
def _loop_length(next_, start):
    k, h = 1, next_[start]
    while h != start:
        k += 1
        h = next_[h]
    return k


@njit(cache=True)
def _previous(next_, h):
    p = h
    while next_[p] != h:
        p = next_[p]
    return p


@njit(cache=True)
def _degree(twin, next_, vertex_edge, v):
    h0 = vertex_edge[v]
    k, h = 1, next_[twin[h0]]
    while h != h0:
        k += 1
        h = next_[twin[h]]
    return k


@njit(cache=True)
def _half_edge_length(mesh, h):
    ex, ey, ez = half_edge_vector(as_mesh(mesh), h)
    return np.sqrt(ex * ex + ey * ey + ez * ez)


@njit(cache=True)
def _cell_side(face, twin, h):
    """The half-edge of h's edge that lies in a cell (h itself unless h is on the outside)."""
    return twin[h] if face[h] < 0 else h


@njit(cache=True)
def _t1_allowed(mesh, h):
    origin, twin, next_, face, vertex_edge = mesh.origin, mesh.twin, mesh.next, mesh.face, mesh.vertex_edge
    h = _cell_side(face, twin, h)
    t = twin[h]
    a, b = face[h], face[t]  # b = -1 on the outer boundary (boundary T1)
    if a < 0 or a == b:
        return False
    if _degree(twin, next_, vertex_edge, origin[h]) != 3 or _degree(twin, next_, vertex_edge, origin[t]) != 3:
        return False
    if _loop_length(next_, h) <= 3 or _loop_length(next_, t) <= 3:
        return False
    n_a, n_b = next_[h], next_[t]
    c, d = face[twin[n_b]], face[twin[n_a]]
    if c == d or c == a or c == b or d == a or d == b:
        return False
    # the two vertices that i and j will join must differ from their current neighbours
    if origin[twin[n_a]] == origin[twin[n_b]] or origin[_previous(next_, h)] == origin[_previous(next_, t)]:
        return False
    return True


@njit(cache=True)
def _t1(mesh, h, new_length, call, cooldown):
    """T1 swap of edge h (i -> j, cell a on its left, b on the right). Around i the cells are
    a, b, c; around j they are a, b, d. Afterwards i is shared by a, c, d and j by b, c, d: the
    edge separates c from d. Returns False (and changes nothing) if the swap is not allowed.
    With b = -1 (the outside: a boundary T1) j stays on the boundary at the old midpoint and i
    moves ``new_length`` into the sheet, so the outline of the sheet barely moves."""
    vertices, origin, twin, next_ = mesh.vertices, mesh.origin, mesh.twin, mesh.next
    face, vertex_edge, cell_edge, t1_block = mesh.face, mesh.vertex_edge, mesh.cell_edge, mesh.t1_block
    if not _t1_allowed(mesh, h):
        return False
    h = _cell_side(face, twin, h)
    t = twin[h]
    a, b = face[h], face[t]
    i, j = origin[h], origin[t]
    p_a, n_a = _previous(next_, h), next_[h]
    p_b, n_b = _previous(next_, t), next_[t]
    c, d = face[twin[n_b]], face[twin[n_a]]
    origin[n_a] = i  # a: x_a -> i -> y_a
    origin[n_b] = j  # b: x_b -> j -> y_b
    next_[p_a] = n_a
    next_[p_b] = n_b
    next_[twin[n_a]] = h  # d: y_a -> i -> j -> x_b
    next_[h] = twin[p_b]
    face[h] = d
    next_[twin[n_b]] = t  # c: y_b -> j -> i -> x_a
    next_[t] = twin[p_a]
    face[t] = c
    if cell_edge[a] == h:
        cell_edge[a] = n_a
    if b >= 0 and cell_edge[b] == t:
        cell_edge[b] = n_b
    vertex_edge[i] = h
    vertex_edge[j] = t
    # new edge perpendicular to the old one through its midpoint, i on a's side (left of i -> j)
    ex, ey, ez = displacement(mesh.boundary, vertices, i, j)
    mx, my, mz = vertices[i, 0] + 0.5 * ex, vertices[i, 1] + 0.5 * ey, vertices[i, 2] + 0.5 * ez
    nx, ny, nz = surface_normal(mesh.boundary, mx, my, mz)
    lx, ly, lz = ny * ez - nz * ey, nz * ex - nx * ez, nx * ey - ny * ex
    norm = np.sqrt(lx * lx + ly * ly + lz * lz)
    inward = (1.0 if b < 0 else 0.5) * new_length / norm  # distance of i from the midpoint
    outward = inward - new_length / norm  # of j: 0 on the boundary
    place(mesh.boundary, vertices, i, mx + inward * lx, my + inward * ly, mz + inward * lz)
    place(mesh.boundary, vertices, j, mx + outward * lx, my + outward * ly, mz + outward * lz)
    t1_block[h] = t1_block[t] = call + 1 + cooldown
    return True


@njit(cache=True)
def _t1_swap(mesh, h, new_length, call, cooldown):
    """_t1 called from Python."""
    return _t1(as_mesh(mesh), h, new_length, call, cooldown)


@njit(cache=True)
def _t1_pass(mesh, threshold, new_length, call, cooldown, outer_edges):
    """Swap the short edges; with ``outer_edges`` also resolve short edges of the outer boundary
    (boundary T1, or merge of a 2-fold corner vertex). Returns (all T1s, boundary T1s, merges);
    merged vertices and edges are only marked (origin / vertex_edge -1) for _compact."""
    mesh = as_mesh(mesh)
    vertices, origin, twin = mesh.vertices, mesh.origin, mesh.twin
    face, t1_block, counts = mesh.face, mesh.t1_block, mesh.counts
    n_t1 = n_boundary = n_merged = 0
    for h in range(counts[N_HALF_EDGES]):
        t = twin[h]
        if h > t or origin[h] < 0 or t1_block[h] > call:
            continue
        on_boundary = face[h] < 0 or face[t] < 0
        if on_boundary and not outer_edges:
            continue
        ex, ey, ez = displacement(mesh.boundary, vertices, origin[h], origin[t])
        if ex * ex + ey * ey + ez * ez < threshold * threshold:
            if _t1(mesh, h, new_length, call, cooldown):
                n_t1 += 1
                n_boundary += on_boundary
            elif on_boundary and _merge_corner(mesh, h, call, cooldown):
                n_merged += 1
    return n_t1, n_boundary, n_merged


@njit(cache=True)
def _merge_corner(mesh, h, call, cooldown):
    """Short boundary edge h (cell a | outside) with a 2-fold end v (a corner of a alone): remove
    v and the edge; the other end w moves to the edge's midpoint. a and the boundary loop lose
    one side each. Returns False (nothing changed) if neither end is 2-fold or a is a triangle."""
    vertices, origin, twin, next_ = mesh.vertices, mesh.origin, mesh.twin, mesh.next
    face, vertex_edge, cell_edge, t1_block = mesh.face, mesh.vertex_edge, mesh.cell_edge, mesh.t1_block
    h = _cell_side(face, twin, h)
    t = twin[h]
    if _loop_length(next_, h) <= 3 or _loop_length(next_, t) <= 3:
        return False
    if _degree(twin, next_, vertex_edge, origin[h]) == 2:
        g = h  # leaves v
    elif _degree(twin, next_, vertex_edge, origin[t]) == 2:
        g = t
    else:
        return False
    r = twin[g]
    v, w = origin[g], origin[r]
    other = next_[r]  # the other edge leaving v (v -> u); it will leave w instead
    ex, ey, ez = displacement(mesh.boundary, vertices, v, w)
    # loops: (... -> twin[other] -> g -> next[g] ...) and (... -> r -> other -> ...) lose g and r
    next_[twin[other]] = next_[g]
    next_[_previous(next_, r)] = other
    origin[other] = w
    for e in (np.int64(g), np.int64(r)):
        if face[e] >= 0 and cell_edge[face[e]] == e:
            cell_edge[face[e]] = next_[e]
        origin[e] = -1
    vertex_edge[v] = -1
    vertex_edge[w] = other
    t1_block[other] = t1_block[twin[other]] = call + 1 + cooldown
    place(mesh.boundary, vertices, w, vertices[w, 0] - 0.5 * ex, vertices[w, 1] - 0.5 * ey,
          vertices[w, 2] - 0.5 * ez)
    return True


@njit(cache=True)
def _split_edge(mesh, h, x, y, z):
    """Insert a new vertex at (x, y, z) on edge h (p -> q); h becomes p -> v. Returns v."""
    vertices, origin, twin, next_ = mesh.vertices, mesh.origin, mesh.twin, mesh.next
    face, vertex_edge, t1_block, counts = mesh.face, mesh.vertex_edge, mesh.t1_block, mesh.counts
    v = counts[N_VERTICES]
    h2, t2 = counts[N_HALF_EDGES], counts[N_HALF_EDGES] + 1
    counts[N_VERTICES] += 1
    counts[N_HALF_EDGES] += 2
    t = twin[h]
    origin[h2], face[h2], next_[h2] = v, face[h], next_[h]
    next_[h] = h2
    origin[t2], face[t2], next_[t2] = v, face[t], next_[t]
    next_[t] = t2
    twin[h], twin[t2] = t2, h
    twin[h2], twin[t] = t, h2
    t1_block[h2] = t1_block[t2] = t1_block[h]
    vertex_edge[v] = h2
    vertices[v, 0], vertices[v, 1], vertices[v, 2] = x, y, z
    wrap_vertex(mesh.boundary, vertices, v)
    return v


@njit(cache=True)
def _divide(mesh, a, sx, sy, sz):
    """Split cell a by the line through its centroid perpendicular to the spindle s. The new
    vertices lie on the cut edges, so the areas of a's neighbours do not change. Returns the
    daughter's slot (the side s points to), or -1 if the cut was not found."""
    vertices, origin, twin, next_, face = mesh.vertices, mesh.origin, mesh.twin, mesh.next, mesh.face
    cell_edge, cell_id, parent_id = mesh.cell_edge, mesh.cell_id, mesh.parent_id
    t1_block, counts = mesh.t1_block, mesh.counts
    start = cell_edge[a]
    first = origin[start]
    # vertex positions relative to the first vertex (unwrapped) and their mean
    k = 0
    px = py = pz = cx = cy = cz = 0.0
    h = start
    while True:
        cx += px
        cy += py
        cz += pz
        ex, ey, ez = displacement(mesh.boundary, vertices, origin[h], origin[next_[h]])
        px, py, pz = px + ex, py + ey, pz + ez
        k += 1
        h = next_[h]
        if h == start:
            break
    cx, cy, cz = cx / k, cy / k, cz / k
    # edges where the signed distance to the cleavage line changes sign, nearest the centroid
    best_up = best_down = -1
    dist_up = dist_down = np.inf
    t_up = t_down = 0.5
    px = py = pz = 0.0
    h = start
    while True:
        ex, ey, ez = displacement(mesh.boundary, vertices, origin[h], origin[next_[h]])
        d0 = (px - cx) * sx + (py - cy) * sy + (pz - cz) * sz
        d1 = d0 + ex * sx + ey * sy + ez * sz
        if (d0 < 0.0) != (d1 < 0.0):
            f = d0 / (d0 - d1)
            qx, qy, qz = px + f * ex - cx, py + f * ey - cy, pz + f * ez - cz
            dist = qx * qx + qy * qy + qz * qz
            if d0 < 0.0 and dist < dist_up:
                best_up, dist_up, t_up = h, dist, f
            elif d0 >= 0.0 and dist < dist_down:
                best_down, dist_down, t_down = h, dist, f
        px, py, pz = px + ex, py + ey, pz + ez
        h = next_[h]
        if h == start:
            break
    if best_up < 0 or best_down < 0:
        return -1
    # keep the new vertices off the old ones (no zero-length edges); still on the cut edges
    new_vertex = np.empty(2, np.int64)
    for m in range(2):
        e = best_up if m == 0 else best_down
        f = min(max(t_up if m == 0 else t_down, 0.1), 0.9)
        i = origin[e]
        ex, ey, ez = displacement(mesh.boundary, vertices, i, origin[next_[e]])
        new_vertex[m] = _split_edge(mesh, e, vertices[i, 0] + f * ex, vertices[i, 1] + f * ey,
                                    vertices[i, 2] + f * ez)
    n1, n2 = counts[N_HALF_EDGES], counts[N_HALF_EDGES] + 1
    counts[N_HALF_EDGES] += 2
    out_up, out_down = next_[best_up], next_[best_down]
    origin[n1], origin[n2] = new_vertex[0], new_vertex[1]
    twin[n1], twin[n2] = n2, n1
    next_[best_up], next_[n1] = n1, out_down  # mother: negative side
    next_[best_down], next_[n2] = n2, out_up  # daughter: positive side
    t1_block[n1] = t1_block[n2] = 0
    d = counts[N_CELLS]
    counts[N_CELLS] += 1
    face[n1] = a
    cell_edge[a] = n1
    cell_edge[d] = n2
    h = n2
    while True:
        face[h] = d
        h = next_[h]
        if h == n2:
            break
    mother_id = cell_id[a]
    cell_id[a], cell_id[d] = counts[NEXT_CELL_ID], counts[NEXT_CELL_ID] + 1
    counts[NEXT_CELL_ID] += 2
    parent_id[a] = parent_id[d] = mother_id
    return d


@njit(cache=True)
def _divide_cells(mesh, mothers, axes, daughters):
    mesh = as_mesh(mesh)
    vertices, origin, cell_edge = mesh.vertices, mesh.origin, mesh.cell_edge
    for m in range(mothers.shape[0]):
        a = mothers[m]
        sx, sy, sz = axes[m, 0], axes[m, 1], axes[m, 2]
        if mesh.boundary.kind == SHELL:  # spindle in the tangent plane at the first vertex of the cell
            v = origin[cell_edge[a]]
            nx, ny, nz = surface_normal(mesh.boundary, vertices[v, 0], vertices[v, 1], vertices[v, 2])
            sn = sx * nx + sy * ny + sz * nz
            sx, sy, sz = sx - sn * nx, sy - sn * ny, sz - sn * nz
        else:
            sz = 0.0
        if sx * sx + sy * sy + sz * sz == 0.0:
            continue
        daughters[m] = _divide(mesh, a, sx, sy, sz)


@njit(cache=True)
def _t2(mesh, a):
    """Collapse triangular cell a (vertices v0, v1, v2, all 3-fold, three distinct neighbours
    with more than 3 sides, at most one of them the outside) into one vertex: at its centroid,
    or on the outer boundary at the midpoint of its boundary edge. Returns whether it did."""
    vertices, origin, twin = mesh.vertices, mesh.origin, mesh.twin
    next_, face, vertex_edge, cell_edge = mesh.next, mesh.face, mesh.vertex_edge, mesh.cell_edge
    h0 = cell_edge[a]
    if next_[next_[next_[h0]]] != h0:
        return False
    for _ in range(2):  # the boundary edge, if any, first
        if face[twin[next_[h0]]] < 0 or face[twin[next_[next_[h0]]]] < 0:
            h0 = next_[h0]
    h1 = next_[h0]
    h2 = next_[h1]
    v0, v1, v2 = origin[h0], origin[h1], origin[h2]
    t0, t1, t2 = twin[h0], twin[h1], twin[h2]
    n0, n1, n2 = face[t0], face[t1], face[t2]
    if n1 < 0 or n2 < 0 or n0 == n1 or n1 == n2 or n0 == n2:
        return False
    for v in (v0, v1, v2):
        if _degree(twin, next_, vertex_edge, v) != 3:
            return False
    for t in (t0, t1, t2):
        if _loop_length(next_, t) <= 3:
            return False
    o0, o1, o2 = next_[t0], next_[t1], next_[t2]  # the edges leaving the triangle
    e1x, e1y, e1z = displacement(mesh.boundary, vertices, v0, v1)
    e2x, e2y, e2z = displacement(mesh.boundary, vertices, v0, v2)
    next_[twin[o1]] = o0
    next_[twin[o2]] = o1
    next_[twin[o0]] = o2
    origin[o1] = origin[o2] = v0
    if n0 >= 0 and cell_edge[n0] == t0:
        cell_edge[n0] = o0
    if cell_edge[n1] == t1:
        cell_edge[n1] = o1
    if cell_edge[n2] == t2:
        cell_edge[n2] = o2
    vertex_edge[v0] = o0
    vertex_edge[v1] = vertex_edge[v2] = -1
    for h in (h0, h1, h2, t0, t1, t2):
        origin[h] = -1
    cell_edge[a] = -1
    w1, w2 = (0.5, 0.0) if n0 < 0 else (1.0 / 3.0, 1.0 / 3.0)
    place(mesh.boundary, vertices, v0, vertices[v0, 0] + w1 * e1x + w2 * e2x,
          vertices[v0, 1] + w1 * e1y + w2 * e2y, vertices[v0, 2] + w1 * e1z + w2 * e2z)
    return True


@njit(cache=True)
def _on_boundary(twin, next_, face, vertex_edge, v):
    h0 = vertex_edge[v]
    h = h0
    while True:
        if face[h] < 0:
            return True
        h = next_[twin[h]]
        if h == h0:
            return False


@njit(cache=True)
def _cut_out(mesh, a):
    """Remove boundary cell a whose boundary edges form one run u0 -> ... -> uk with 2-fold
    inner vertices: the run and its inner vertices go, a's other edges become the boundary.
    The other cells keep their shape; the sheet loses exactly a's area. Returns False (nothing
    changed) if a touches the boundary elsewhere too (removing it would pinch the sheet)."""
    origin, twin = mesh.origin, mesh.twin
    next_, face, vertex_edge, cell_edge = mesh.next, mesh.face, mesh.vertex_edge, mesh.cell_edge
    first = -1  # first edge of the run: on the boundary, its predecessor in a is not
    n_runs = 0
    start = h = cell_edge[a]
    while True:
        p = _previous(next_, h)
        if face[twin[h]] < 0 and face[twin[p]] >= 0:
            first = h
            n_runs += 1
        h = next_[h]
        if h == start:
            break
    if n_runs != 1:
        return False
    last = first
    while face[twin[next_[last]]] < 0:
        if _degree(twin, next_, vertex_edge, origin[next_[last]]) != 2:
            return False
        last = next_[last]
    u0, uk = origin[first], origin[next_[last]]
    if _degree(twin, next_, vertex_edge, u0) < 3 or _degree(twin, next_, vertex_edge, uk) < 3:
        return False
    h = next_[last]
    while next_[h] != first:  # a's vertices off the run must be inside the sheet
        if _on_boundary(twin, next_, face, vertex_edge, origin[next_[h]]):
            return False
        h = next_[h]
    rest_first, rest_last = next_[last], h
    outside_in = _previous(next_, twin[last])  # boundary half-edge arriving at uk
    outside_out = next_[twin[first]]  # boundary half-edge leaving u0
    h = first
    while True:  # drop the run, its twins and its inner vertices
        if h != first:
            vertex_edge[origin[h]] = -1
        origin[twin[h]] = -1
        done = h == last
        nh = next_[h]
        origin[h] = -1
        if done:
            break
        h = nh
    h = rest_first
    while True:
        face[h] = -1
        if h == rest_last:
            break
        h = next_[h]
    next_[outside_in] = rest_first
    next_[rest_last] = outside_out
    vertex_edge[u0] = outside_out
    vertex_edge[uk] = rest_first
    cell_edge[a] = -1
    return True


@njit(cache=True)
def _boundary_edge_count(twin, next_, face, cell_edge, a):
    k = 0
    start = h = cell_edge[a]
    while True:
        k += face[twin[h]] < 0
        h = next_[h]
        if h == start:
            return k


@njit(cache=True)
def _extrude(mesh, a, call, cooldown):
    """Cut out a corner cell (more than one boundary edge); else T1-swap the shortest swappable
    edge of cell a until it is a triangle, then T2."""
    vertices, origin, twin = mesh.vertices, mesh.origin, mesh.twin
    next_, face, cell_edge = mesh.next, mesh.face, mesh.cell_edge
    if _boundary_edge_count(twin, next_, face, cell_edge, a) > 1:
        return _cut_out(mesh, a)
    while _loop_length(next_, cell_edge[a]) > 3:
        best, best_length = -1, np.inf
        start = h = cell_edge[a]
        while True:
            ex, ey, ez = displacement(mesh.boundary, vertices, origin[h], origin[next_[h]])
            l = np.sqrt(ex * ex + ey * ey + ez * ez)
            if l < best_length and _t1_allowed(mesh, h):
                best, best_length = h, l
            h = next_[h]
            if h == start:
                break
        if best < 0:
            return False
        _t1(mesh, best, best_length, call, cooldown)  # a loses one side
    return _t2(mesh, a)


@njit(cache=True)
def _extrude_cells(mesh, cells, call, cooldown, removed):
    mesh = as_mesh(mesh)
    for m in range(cells.shape[0]):
        removed[m] = _extrude(mesh, cells[m], call, cooldown)


@njit(cache=True)
def _compact(mesh, vertex_map, edge_map, cell_map):
    """Drop marked vertices, half-edges and cells, keeping survivors in order; fill the maps."""
    mesh = as_mesh(mesh)
    vertices, origin, twin, next_, face = mesh.vertices, mesh.origin, mesh.twin, mesh.next, mesh.face
    vertex_edge, cell_edge, cell_id, parent_id = mesh.vertex_edge, mesh.cell_edge, mesh.cell_id, mesh.parent_id
    t1_block, counts = mesh.t1_block, mesh.counts
    nv, ne, nc = counts[N_VERTICES], counts[N_HALF_EDGES], counts[N_CELLS]
    kv = ke = kc = 0
    for v in range(nv):
        vertex_map[v] = kv if vertex_edge[v] >= 0 else -1
        kv += vertex_edge[v] >= 0
    for h in range(ne):
        edge_map[h] = ke if origin[h] >= 0 else -1
        ke += origin[h] >= 0
    for c in range(nc):
        cell_map[c] = kc if cell_edge[c] >= 0 else -1
        kc += cell_edge[c] >= 0
    # new index <= old index, so moving forwards never overwrites an unread entry
    for v in range(nv):
        nv_ = vertex_map[v]
        if nv_ >= 0:
            vertices[nv_] = vertices[v]
            vertex_edge[nv_] = edge_map[vertex_edge[v]]
    for h in range(ne):
        nh = edge_map[h]
        if nh >= 0:
            origin[nh] = vertex_map[origin[h]]
            twin[nh] = edge_map[twin[h]]
            next_[nh] = edge_map[next_[h]]
            face[nh] = cell_map[face[h]] if face[h] >= 0 else -1
            t1_block[nh] = t1_block[h]
    for c in range(nc):
        nc_ = cell_map[c]
        if nc_ >= 0:
            cell_edge[nc_] = edge_map[cell_edge[c]]
            cell_id[nc_] = cell_id[c]
            parent_id[nc_] = parent_id[c]
    counts[N_VERTICES], counts[N_HALF_EDGES], counts[N_CELLS] = kv, ke, kc
