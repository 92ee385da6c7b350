"""Topology events of the 3D monolayer, on top of :mod:`.topology` (the apical half-edge kernels).

The basal layer has the apical topology by vertex index, so every half-edge operation of the sheet is
also one of the monolayer: a T1 of the apical edge i-j swaps the whole lateral face (apical and basal
edge at once), a division cuts both polygons along the same two lateral edges, a T2 collapses the
apical and the basal triangle. The sheet kernels rewire the half-edges and place the apical vertices
for a *surface* (they project onto a shell's ellipsoid); the monolayer kernels here call them and then
place the moved vertices again in both layers, free in 3D.

One call per time step, :func:`apply_monolayer_topology`, runs as :func:`.topology.apply_topology`:

1. **T1 swaps** of the lateral faces whose *width* w = (l_apical + l_basal) / 2 is below ``t1_length``.
   The swap replaces the whole face, so the criterion is a property of the face, not of one layer: w
   is its mean width (its area over its height when it is a planar trapezoid). The apical length alone
   would swap the faces of apically constricted cells (a ventral furrow: apical sides shrink while the
   basal ones widen), which is constriction, not intercalation, and would move basal vertices by a
   basal edge length; with w < t1_length neither layer's edge is longer than 2 t1_length, so no vertex
   jumps further than that. In each layer the new edge lies through the old edge's midpoint along
   n x e (e that layer's old edge i -> j, n = s (a - b) summed over i and j, the outward cell axis, so
   the direction follows a folded tissue), ``t1_new_length`` long (default 1.5 x ``t1_length``), i on
   the side of the cell that loses the edge; it may not swap back during the next ``t1_cooldown``
   calls. On the outer boundary of an open monolayer (``boundary_t1=True``) the boundary T1 and the
   corner merge of the sheet act on both layers (j, or the merged vertex, at each layer's midpoint).
2. **Divisions** of the cells whose *apical* area exceeds ``division_area`` or flagged in ``divide``:
   the cut is the plane through the apical centroid normal to the spindle (``division_axis``, default
   the apical long axis) made perpendicular to the cell axis; each new vertex sits in both layers at
   the same fraction along its lateral face's apical and basal edge. Both daughters get new ids with
   parent_id = the mother's id; :meth:`.MonolayerModel.carry` halves their V0.
3. **Extrusions** of the cells whose *volume* is below ``extrusion_volume`` or flagged in ``extrude``.
   Volume, not apical area: apoptosis drives V0 to 0 (the cell shrinks as a whole), while an apically
   constricting cell keeps its volume with a vanishing apical area and must stay. Monolayer T1s of its
   narrowest faces (new edges half as long, in both layers) reduce it to a triangle, then the T2
   collapses the triangle in both layers to one vertex at each layer's triangle centroid (on the outer
   boundary: the midpoint of the boundary edge); a corner cell of an open monolayer is cut out.

Slot bookkeeping, ids and lineage are those of :class:`.topology.TopologyEvents`; the basal array
follows the vertex compaction (``vertex_old_to_new``). :meth:`.Monolayer.check` holds after a call.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit

from .boundary import displacement, minimum_image, wrap_vertex
from .monolayer import APICAL_AREA, VOLUME, Monolayer
from .sheet import INDEX, N_HALF_EDGES, N_VERTICES, TOPOLOGY_CALLS, SheetError, as_mesh
from .topology import (TopologyEvents, _boundary_edge_count, _cell_side, _compact, _cut_out, _divide,
                       _loop_length, _merge_corner, _spindle_axes, _t1, _t1_allowed, _t2)

# what the monolayer kernels need besides the sheet's mesh (which holds the apical positions and the
# boundary)
Space = namedtuple("Space", "basal orientation call cooldown")


def apply_monolayer_topology(m: Monolayer, *, t1_length: float | None = None, t1_new_length: float | None = None,
                             t1_cooldown: int = 5, division_area: float | None = None, divide=None,
                             division_axis=None, extrusion_volume: float | None = None, extrude=None,
                             boundary_t1: bool = True) -> TopologyEvents:
    """Apply all topology events of one step to the monolayer (see the module docstring).

    t1_length        : lateral faces narrower than this (mean of apical and basal edge length) swap.
    division_area    : cells with a larger apical area divide; ``divide`` flags more (bool per cell).
    division_axis    : spindle axis, a 3-vector for all cells or an (n_cells, 3) array.
    extrusion_volume : cells with a smaller volume are extruded; ``extrude`` flags more (bool per cell).
    Carry per-cell parameters with ``MonolayerModel.carry(events)``.
    """
    sheet = m.sheet
    nc0, nv0 = sheet.n_cells, sheet.n_vertices
    for name, mask in (("divide", divide), ("extrude", extrude)):
        if mask is not None and np.shape(mask) != (nc0,):
            raise SheetError(f"{name} must be a boolean array with one entry per cell ({nc0}), "
                             f"got shape {np.shape(mask)}")
    for name, value in (("t1_length", t1_length), ("t1_new_length", t1_new_length),
                        ("division_area", division_area), ("extrusion_volume", extrusion_volume)):
        if value is not None and not (np.isfinite(value) and value > 0):
            raise SheetError(f"{name} must be a positive number or None, got {value!r}")
    call = int(sheet.counts[TOPOLOGY_CALLS])
    sheet.counts[TOPOLOGY_CALLS] += 1
    space = _space(m, call, t1_cooldown)
    n_t1 = n_boundary_t1 = n_merges = 0
    merged_vertex_map = np.arange(nv0, dtype=INDEX)  # vertex slots before -> after the T1 pass
    if t1_length is not None:
        new_length = 1.5 * t1_length if t1_new_length is None else t1_new_length
        n_t1, n_boundary_t1, n_merges = _t1_pass(sheet.mesh(), space, t1_length, new_length, bool(boundary_t1))
        if n_merges:  # divisions and extrusions below need a dense mesh
            _compact(sheet.mesh(), merged_vertex_map, np.empty(sheet.n_half_edges, INDEX), np.empty(nc0, INDEX))
            _compact_basal(m, merged_vertex_map)
        if n_t1 or n_merges:
            sheet.topology_changed()

    measures = m.measures()
    dividing = np.zeros(nc0, bool) if divide is None else np.asarray(divide, bool).copy()
    if division_area is not None:
        dividing |= measures[:, APICAL_AREA] > division_area
    mothers = np.flatnonzero(dividing).astype(INDEX)
    axes = _spindle_axes(sheet, mothers, division_axis)
    mother_ids = sheet.cell_id[mothers].copy()
    daughters = np.full(len(mothers), -1, INDEX)
    if len(mothers):
        sheet.reserve(sheet.n_vertices + 2 * len(mothers), sheet.n_half_edges + 6 * len(mothers), nc0 + len(mothers))
        _grow_basal(m)
        _divide_cells(sheet.mesh(), _space(m, call, t1_cooldown), mothers, np.ascontiguousarray(axes), daughters)
    done = daughters >= 0
    mothers, daughters, mother_ids = mothers[done], daughters[done], mother_ids[done]

    dying = np.zeros(nc0, bool) if extrude is None else np.asarray(extrude, bool).copy()
    if extrusion_volume is not None:
        dying |= measures[:, VOLUME] < extrusion_volume
    dying[mothers] = False
    candidates = np.flatnonzero(dying).astype(INDEX)
    removed = np.zeros(len(candidates), np.bool_)
    removed_ids = sheet.cell_id[candidates].copy()
    if len(candidates):
        _extrude_cells(sheet.mesh(), _space(m, call, t1_cooldown), candidates, removed)

    if len(mothers) or len(candidates):  # extrusions may swap faces even when they fail
        sheet.topology_changed()
    cell_map = np.arange(sheet.n_cells, dtype=INDEX)
    vertex_map = np.arange(sheet.n_vertices, dtype=INDEX)
    if removed.any():
        _compact(sheet.mesh(), vertex_map, np.empty(sheet.n_half_edges, INDEX), cell_map)
        _compact_basal(m, vertex_map)
    divisions = np.stack([cell_map[mothers], cell_map[daughters]], axis=1).reshape(-1, 2)
    vertex_old_to_new = np.where(merged_vertex_map >= 0, vertex_map[merged_vertex_map], -1).astype(INDEX)
    return TopologyEvents(
        n_t1=int(n_t1), divisions=divisions, division_ids=sheet.cell_id[divisions].reshape(-1, 2),
        mother_ids=mother_ids, removed_ids=removed_ids[removed], removed_slots=candidates[removed],
        old_to_new=cell_map[:nc0].copy(), vertex_old_to_new=vertex_old_to_new, n_cells=sheet.n_cells,
        n_boundary_t1=int(n_boundary_t1), n_corner_merges=int(n_merges))


def monolayer_t1(m: Monolayer, half_edge: int, new_length: float | None = None, cooldown: int = 0) -> bool:
    """T1 swap of the lateral face on the apical edge of ``half_edge`` (a boundary T1 on the outer
    boundary of an open monolayer); returns whether it happened (the conditions of
    :func:`.topology.t1_swap`). The new edge of each layer is as long as that layer's old one, or
    ``new_length`` in both."""
    sheet = m.sheet
    if not 0 <= half_edge < sheet.n_half_edges:
        raise SheetError(f"half_edge must be in [0, {sheet.n_half_edges}), got {half_edge}")
    space = _space(m, int(sheet.counts[TOPOLOGY_CALLS]), cooldown)
    mesh = sheet.mesh()
    lengths = _face_lengths(mesh, m.basal, half_edge) if new_length is None else (float(new_length),) * 2
    sheet.topology_changed()
    return bool(_swap_one_face(mesh, space, half_edge, lengths[0], lengths[1]))


def monolayer_divide(m: Monolayer, slot: int, axis=None) -> TopologyEvents:
    """Divide cell ``slot`` (spindle ``axis``, default its apical long axis); see step 2 of the module
    docstring. Carry per-cell parameters with ``MonolayerModel.carry(events)``, which halves V0."""
    return apply_monolayer_topology(m, divide=_one(m, slot), division_axis=axis)


def monolayer_extrude(m: Monolayer, slot: int) -> TopologyEvents:
    """Remove cell ``slot`` (apoptosis once its V0 was driven to 0); see step 3 of the module docstring.
    The record's ``removed_ids`` is empty if the cell could not be reduced to a triangle."""
    return apply_monolayer_topology(m, extrude=_one(m, slot))


def _one(m: Monolayer, slot: int) -> np.ndarray:
    if not 0 <= slot < m.n_cells:
        raise SheetError(f"slot must be in [0, {m.n_cells}), got {slot}")
    mask = np.zeros(m.n_cells, bool)
    mask[slot] = True
    return mask


def _space(m: Monolayer, call: int, cooldown: int) -> Space:
    return Space(m.basal, m.orientation, call, int(cooldown))


def _grow_basal(m: Monolayer) -> None:
    """Give the basal array the sheet's (possibly grown) vertex capacity."""
    capacity = m.sheet.vertices.shape[0]
    if m.basal.shape[0] < capacity:
        basal = np.zeros((capacity, 3))
        basal[: m.basal.shape[0]] = m.basal
        m.basal = basal


def _compact_basal(m: Monolayer, vertex_map: np.ndarray) -> None:
    """Move the basal rows as the sheet's vertex compaction moved the apical ones."""
    kept = np.flatnonzero(vertex_map >= 0)
    m.basal[vertex_map[kept]] = m.basal[kept]  # new index <= old index and kept is increasing


# ---------------------------------------------------------------------- numba kernels
# ``mesh`` is a sheet.Mesh (its ``vertices`` are the apical positions; its ``boundary`` serves both
# layers), ``space`` a :data:`Space`. The kernels called from Python take Sheet.mesh() and make it a
# Mesh with as_mesh.

@njit(cache=True)
def _face_width(mesh, basal, i, j):
    """(apical length, basal length) of the lateral face on the edge i - j."""
    ax, ay, az = displacement(mesh.boundary, mesh.vertices, i, j)
    bx, by, bz = displacement(mesh.boundary, basal, i, j)
    return np.sqrt(ax * ax + ay * ay + az * az), np.sqrt(bx * bx + by * by + bz * bz)


@njit(cache=True)
def _face_lengths(mesh, basal, h):
    """_face_width of the lateral face on half-edge h, called from Python."""
    mesh = as_mesh(mesh)
    return _face_width(mesh, basal, mesh.origin[h], mesh.origin[mesh.twin[h]])


@njit(cache=True)
def _lateral(mesh, space, v):
    """The lateral edge vector a_v - b_v (minimum image)."""
    vertices, basal = mesh.vertices, space.basal
    return minimum_image(mesh.boundary, vertices[v, 0] - basal[v, 0], vertices[v, 1] - basal[v, 1],
                         vertices[v, 2] - basal[v, 2])


@njit(cache=True)
def _set(mesh, layer, v, x, y, z):
    """Put vertex v of one layer at (x, y, z), wrapped into the box on periodic sheets (free in 3D:
    unlike the sheet's ``place``, no retraction onto a shell's ellipsoid)."""
    layer[v, 0], layer[v, 1], layer[v, 2] = x, y, z
    wrap_vertex(mesh.boundary, layer, v)


@njit(cache=True)
def _swap_face(mesh, space, h, apical_length, basal_length):
    """Sheet T1 of edge h (i -> j), then both layers placed as in step 1 of the module docstring with
    new edges of the given lengths. Returns False (nothing changed) where the sheet refuses the T1."""
    origin, twin, face = mesh.origin, mesh.twin, mesh.face
    h = _cell_side(face, twin, h)
    boundary = face[twin[h]] < 0
    i, j = origin[h], origin[twin[h]]
    middle, across = _edge_frames(mesh, space, i, j)  # before anything moves
    if not _t1(mesh, h, apical_length, space.call, space.cooldown):
        return False
    _place_swapped(mesh, mesh.vertices, i, j, middle[0], across[0], apical_length, boundary)
    _place_swapped(mesh, space.basal, i, j, middle[1], across[1], basal_length, boundary)
    return True


@njit(cache=True)
def _swap_one_face(mesh, space, h, apical_length, basal_length):
    """_swap_face called from Python."""
    return _swap_face(as_mesh(mesh), space, h, apical_length, basal_length)


@njit(cache=True)
def _edge_frames(mesh, space, i, j):
    """Per layer (apical, basal) the midpoint of the edge i -> j and the unit vector n x e across it,
    n the outward cell axis s (a_i - b_i + a_j - b_j) (minimum images)."""
    nx = ny = nz = 0.0
    for v in (i, j):
        dx, dy, dz = _lateral(mesh, space, v)
        nx += space.orientation * dx
        ny += space.orientation * dy
        nz += space.orientation * dz
    middle, across = np.empty((2, 3)), np.empty((2, 3))
    for layer_index in range(2):
        layer = mesh.vertices if layer_index == 0 else space.basal
        ex, ey, ez = displacement(mesh.boundary, layer, i, j)
        middle[layer_index, 0] = layer[i, 0] + 0.5 * ex
        middle[layer_index, 1] = layer[i, 1] + 0.5 * ey
        middle[layer_index, 2] = layer[i, 2] + 0.5 * ez
        lx, ly, lz = ny * ez - nz * ey, nz * ex - nx * ez, nx * ey - ny * ex
        norm = np.sqrt(lx * lx + ly * ly + lz * lz)
        across[layer_index, 0], across[layer_index, 1], across[layer_index, 2] = lx / norm, ly / norm, lz / norm
    return middle, across


@njit(cache=True)
def _place_swapped(mesh, layer, i, j, middle, across, length, boundary):
    """New edge of one layer through the old midpoint along ``across``, i on the side it points to;
    on the outer boundary j stays at the midpoint and i goes ``length`` inward."""
    inward = (1.0 if boundary else 0.5) * length
    outward = inward - length
    _set(mesh, layer, i, middle[0] + inward * across[0], middle[1] + inward * across[1],
         middle[2] + inward * across[2])
    _set(mesh, layer, j, middle[0] + outward * across[0], middle[1] + outward * across[1],
         middle[2] + outward * across[2])


@njit(cache=True)
def _merge_face_corner(mesh, space, h):
    """The sheet's corner merge of the short boundary edge h, the surviving vertex at each layer's
    midpoint of the old edge. Returns whether it happened."""
    origin, twin, vertex_edge = mesh.origin, mesh.twin, mesh.vertex_edge
    i, j = origin[h], origin[twin[h]]
    middle = _edge_frames(mesh, space, i, j)[0]
    if not _merge_corner(mesh, h, space.call, space.cooldown):
        return False
    w = i if vertex_edge[i] >= 0 else j
    _set(mesh, mesh.vertices, w, middle[0, 0], middle[0, 1], middle[0, 2])
    _set(mesh, space.basal, w, middle[1, 0], middle[1, 1], middle[1, 2])
    return True


@njit(cache=True)
def _t1_pass(mesh, space, threshold, new_length, outer_edges):
    """Swap every lateral face narrower than ``threshold`` (mean of its apical and basal edge length);
    with ``outer_edges`` also the outer boundary's (boundary T1, or corner merge). Returns (T1s,
    boundary T1s, merges); merged vertices and edges are only marked for _compact."""
    mesh = as_mesh(mesh)
    origin, twin, face, t1_block, counts = mesh.origin, mesh.twin, mesh.face, mesh.t1_block, mesh.counts
    n_t1 = n_boundary = n_merged = 0
    for h in range(counts[N_HALF_EDGES]):
        t = twin[h]
        if h > t or origin[h] < 0 or t1_block[h] > space.call:
            continue
        on_boundary = face[h] < 0 or face[t] < 0
        if on_boundary and not outer_edges:
            continue
        apical, basal = _face_width(mesh, space.basal, origin[h], origin[t])
        if apical + basal < 2.0 * threshold:
            if _swap_face(mesh, space, h, new_length, new_length):
                n_t1 += 1
                n_boundary += on_boundary
            elif on_boundary and _merge_face_corner(mesh, space, h):
                n_merged += 1
    return n_t1, n_boundary, n_merged


@njit(cache=True)
def _cell_axis(mesh, space, a):
    """Outward axis of cell a: s times the sum of its apical - basal vertex vectors (minimum image)."""
    origin, next_ = mesh.origin, mesh.next
    nx = ny = nz = 0.0
    start = h = mesh.cell_edge[a]
    while True:
        dx, dy, dz = _lateral(mesh, space, origin[h])
        nx += dx
        ny += dy
        nz += dz
        h = next_[h]
        if h == start:
            break
    s = space.orientation
    return s * nx, s * ny, s * nz


@njit(cache=True)
def _divide_cells(mesh, space, mothers, axes, daughters):
    """Sheet division of every mother, the spindle made perpendicular to the cell axis; each new
    vertex v on the apical edge p -> q gets basal b_p + f (b_q - b_p), f its apical fraction."""
    mesh = as_mesh(mesh)
    vertices, origin, twin, next_ = mesh.vertices, mesh.origin, mesh.twin, mesh.next
    vertex_edge, counts, basal = mesh.vertex_edge, mesh.counts, space.basal
    for m in range(mothers.shape[0]):
        a = mothers[m]
        nx, ny, nz = _cell_axis(mesh, space, a)
        sx, sy, sz = axes[m, 0], axes[m, 1], axes[m, 2]
        along = (sx * nx + sy * ny + sz * nz) / max(nx * nx + ny * ny + nz * nz, 1e-300)
        sx, sy, sz = sx - along * nx, sy - along * ny, sz - along * nz
        if sx * sx + sy * sy + sz * sz == 0.0:
            continue
        first_new = counts[N_VERTICES]
        daughters[m] = _divide(mesh, a, sx, sy, sz)
        for v in range(first_new, counts[N_VERTICES]):
            # _split_edge made v -> q (vertex_edge) and, in the neighbour's loop, q -> v -> p
            out = vertex_edge[v]
            q = origin[twin[out]]
            p = origin[twin[next_[twin[out]]]]
            ex, ey, ez = displacement(mesh.boundary, vertices, p, q)
            ox, oy, oz = displacement(mesh.boundary, vertices, p, v)
            f = (ox * ex + oy * ey + oz * ez) / (ex * ex + ey * ey + ez * ez)
            bx, by, bz = displacement(mesh.boundary, basal, p, q)
            _set(mesh, basal, v, basal[p, 0] + f * bx, basal[p, 1] + f * by, basal[p, 2] + f * bz)


@njit(cache=True)
def _extrude(mesh, space, a):
    """Cut out a corner cell; else swap the narrowest swappable face of cell a (new edges half as long
    as the old ones in each layer) until it is a triangle, then T2 in both layers."""
    vertices, origin, twin, next_ = mesh.vertices, mesh.origin, mesh.twin, mesh.next
    face, vertex_edge, cell_edge, basal = mesh.face, mesh.vertex_edge, mesh.cell_edge, space.basal
    if _boundary_edge_count(twin, next_, face, cell_edge, a) > 1:
        return _cut_out(mesh, a)
    while _loop_length(next_, cell_edge[a]) > 3:
        best, best_width, best_apical, best_basal = -1, np.inf, 0.0, 0.0
        start = h = cell_edge[a]
        while True:
            apical, basal_length = _face_width(mesh, basal, origin[h], origin[next_[h]])
            if apical + basal_length < best_width and _t1_allowed(mesh, h):
                best, best_width, best_apical, best_basal = h, apical + basal_length, apical, basal_length
            h = next_[h]
            if h == start:
                break
        if best < 0:
            return False
        _swap_face(mesh, space, best, 0.5 * best_apical, 0.5 * best_basal)  # a loses one side
    # where the T2 puts the vertex, in each layer: the triangle's centroid, or the midpoint of its
    # boundary edge (the sheet's _t2 rule, without its projection onto a shell's ellipsoid)
    h0 = cell_edge[a]
    w1, w2 = 1.0 / 3.0, 1.0 / 3.0
    for _ in range(3):
        if face[twin[h0]] < 0:
            w1, w2 = 0.5, 0.0
            break
        h0 = next_[h0]
    v0, v1, v2 = origin[h0], origin[next_[h0]], origin[next_[next_[h0]]]
    targets = np.empty((2, 3))
    for layer_index in range(2):
        layer = vertices if layer_index == 0 else basal
        e1x, e1y, e1z = displacement(mesh.boundary, layer, v0, v1)
        e2x, e2y, e2z = displacement(mesh.boundary, layer, v0, v2)
        targets[layer_index, 0] = layer[v0, 0] + w1 * e1x + w2 * e2x
        targets[layer_index, 1] = layer[v0, 1] + w1 * e1y + w2 * e2y
        targets[layer_index, 2] = layer[v0, 2] + w1 * e1z + w2 * e2z
    if not _t2(mesh, a):
        return False
    for v in (v0, v1, v2):
        if vertex_edge[v] >= 0:  # the survivor
            _set(mesh, vertices, v, targets[0, 0], targets[0, 1], targets[0, 2])
            _set(mesh, basal, v, targets[1, 0], targets[1, 1], targets[1, 2])
    return True


@njit(cache=True)
def _extrude_cells(mesh, space, cells, removed):
    mesh = as_mesh(mesh)
    for m in range(cells.shape[0]):
        removed[m] = _extrude(mesh, space, cells[m])
