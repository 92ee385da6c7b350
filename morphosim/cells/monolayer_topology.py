"""Topology events of the 3D monolayer, on top of :mod:`.topology` (the apical half-edge operations).

The basal layer has the apical topology by vertex index, so a T1 of the apical edge i-j in the sheet
swaps the whole lateral face (apical and basal edge at once). Only the positions need mirroring: the
sheet places i and j for a surface (it projects onto a shell's ellipsoid), so the monolayer places them
again in each layer, at that layer's edge midpoint, along n x e (e the layer's edge i -> j, n the cell
axis s (a - b), which is the sheet's outward normal while the tissue is unfolded), i on the side of the
cell that loses the edge, the new apical edge as long as the old one (or ``new_length``), the basal
one scaled by the old basal / apical length ratio (basal polygons of a shell are smaller).
"""

from __future__ import annotations

import numpy as np

from .monolayer import Monolayer
from .topology import TopologyEvents, divide_cell, extrude_cell, t1_swap


def monolayer_t1(m: Monolayer, half_edge: int, new_length: float | None = None, cooldown: int = 0) -> bool:
    """T1 swap of the lateral face on the apical edge of ``half_edge`` (interior edges only); returns
    whether it happened (same conditions as :func:`.topology.t1_swap`)."""
    sheet = m.sheet
    if not 0 <= half_edge < sheet.n_half_edges:
        raise ValueError(f"half_edge must be in [0, {sheet.n_half_edges}), got {half_edge}")
    if sheet.face[half_edge] < 0 or sheet.face[sheet.twin[half_edge]] < 0:
        return False  # the outer boundary of an open monolayer: not handled yet
    i, j = int(sheet.origin[half_edge]), int(sheet.origin[sheet.twin[half_edge]])
    apical, basal = m.apical_positions, m.basal_positions

    def minimum_image(vector):
        if sheet.periodic:
            vector[:2] -= sheet.box[:2] * np.floor(vector[:2] / sheet.box[:2] + 0.5)
        return vector

    edges = [minimum_image(layer[j] - layer[i]) for layer in (apical, basal)]
    axis = m.orientation * (minimum_image(apical[i] - basal[i]) + minimum_image(apical[j] - basal[j]))
    length = float(np.linalg.norm(edges[0])) if new_length is None else float(new_length)
    before = [(layer[i].copy(), layer[j].copy()) for layer in (apical, basal)]
    if not t1_swap(sheet, half_edge, new_length=length, cooldown=cooldown):
        return False
    scale = float(np.linalg.norm(edges[1]) / max(np.linalg.norm(edges[0]), 1e-300))
    for layer, edge, (start, _), layer_length in zip((apical, basal), edges, before, (length, scale * length)):
        middle = start + 0.5 * edge
        across = np.cross(axis, edge)
        across *= 0.5 * layer_length / np.linalg.norm(across)
        layer[i] = middle + across
        layer[j] = middle - across
        if sheet.periodic:
            layer[[i, j], :2] -= sheet.box[:2] * np.floor(layer[[i, j], :2] / sheet.box[:2])
    return True


def _follow(m: Monolayer, events: TopologyEvents, apical_before: np.ndarray, basal_before: np.ndarray) -> None:
    """Carry the basal layer through a sheet event: surviving vertices keep their basal position moved by
    their apical displacement (the event's own moves: T1s and T2 collapses of an extrusion); each vertex
    a division inserted on the edge p -> q gets b_p + t (b_q - b_p), t its fraction along the apical edge."""
    sheet = m.sheet
    basal = np.zeros_like(sheet.vertices, order="C")
    kept = events.vertex_old_to_new >= 0
    new_index = events.vertex_old_to_new[kept]
    moved = sheet.positions[new_index] - apical_before[kept]
    if sheet.periodic:
        moved[:, :2] -= sheet.box[:2] * np.floor(moved[:, :2] / sheet.box[:2] + 0.5)
    basal[new_index] = basal_before[kept] + moved
    inserted = np.setdiff1d(np.arange(sheet.n_vertices), new_index)
    ne = sheet.n_half_edges
    origin, head = sheet.origin[:ne], sheet.origin[sheet.twin[:ne]]
    old = np.zeros(sheet.n_vertices, bool)
    old[new_index] = True
    for v in inserted:
        p, q = head[(origin == v) & old[head]][:2]
        edge = sheet.positions[q] - sheet.positions[p]
        offset = sheet.positions[v] - sheet.positions[p]
        if sheet.periodic:
            edge[:2] -= sheet.box[:2] * np.floor(edge[:2] / sheet.box[:2] + 0.5)
            offset[:2] -= sheet.box[:2] * np.floor(offset[:2] / sheet.box[:2] + 0.5)
        t = float(offset @ edge / (edge @ edge))
        basal_edge = basal[q] - basal[p]
        if sheet.periodic:
            basal_edge[:2] -= sheet.box[:2] * np.floor(basal_edge[:2] / sheet.box[:2] + 0.5)
        basal[v] = basal[p] + t * basal_edge
    if sheet.periodic:
        basal[: sheet.n_vertices, :2] -= sheet.box[:2] * np.floor(basal[: sheet.n_vertices, :2] / sheet.box[:2])
    m.basal = basal


def monolayer_divide(m: Monolayer, slot: int, axis=None) -> TopologyEvents:
    """Divide cell ``slot`` along the plane through its apical centroid perpendicular to the spindle
    ``axis`` (default the apical long axis); the cut runs through the apical and basal polygons along the
    same two lateral edges. Carry per-cell parameters with ``MonolayerModel.carry(events)``, which halves
    the daughters' V0."""
    if not 0 <= slot < m.n_cells:
        raise ValueError(f"slot must be in [0, {m.n_cells}), got {slot}")
    apical, basal = m.apical_positions.copy(), m.basal_positions.copy()
    events = divide_cell(m.sheet, slot, axis)
    _follow(m, events, apical, basal)
    return events


def monolayer_extrude(m: Monolayer, slot: int) -> TopologyEvents:
    """Remove cell ``slot`` (apoptosis once its V0 was driven to 0): monolayer T1s of its shortest sides
    reduce it to a triangle (both layers placed by :func:`monolayer_t1`), then the sheet's T2 collapses
    the triangle into one vertex, whose basal position is the basal triangle's centroid; the neighbours
    close over it in both layers. The record's ``removed_ids`` is empty if no T1 sequence was allowed."""
    if not 0 <= slot < m.n_cells:
        raise ValueError(f"slot must be in [0, {m.n_cells}), got {slot}")
    sheet = m.sheet
    for _ in range(64):
        sides = _cell_half_edges(sheet, slot)
        if len(sides) <= 3:
            break
        vectors = sheet.positions[sheet.origin[sheet.twin[sides]]] - sheet.positions[sheet.origin[sides]]
        if sheet.periodic:
            vectors[:, :2] -= sheet.box[:2] * np.floor(vectors[:, :2] / sheet.box[:2] + 0.5)
        lengths = np.linalg.norm(vectors, axis=1)
        if not any(monolayer_t1(m, int(h), new_length=0.5 * lengths[k]) for k, h in
                   zip(np.argsort(lengths), sides[np.argsort(lengths)])):
            break
    triangle = sheet.origin[_cell_half_edges(sheet, slot)]
    centre = m.basal_positions[triangle] - m.basal_positions[triangle[0]]
    if sheet.periodic:
        centre[:, :2] -= sheet.box[:2] * np.floor(centre[:, :2] / sheet.box[:2] + 0.5)
    centre = m.basal_positions[triangle[0]] + centre.mean(axis=0)
    apical, basal = m.apical_positions.copy(), m.basal_positions.copy()
    events = extrude_cell(sheet, slot)
    _follow(m, events, apical, basal)
    if len(events.removed_ids):
        survivor = events.vertex_old_to_new[triangle]
        m.basal[survivor[survivor >= 0]] = centre
    return events


def _cell_half_edges(sheet, slot: int) -> np.ndarray:
    start = h = int(sheet.cell_edge[slot])
    sides = []
    while True:
        sides.append(h)
        h = int(sheet.next[h])
        if h == start:
            return np.array(sides)
