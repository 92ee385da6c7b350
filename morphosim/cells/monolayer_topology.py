"""Topology events of the 3D monolayer, on top of :mod:`.topology` (the apical half-edge operations).

The basal layer has the apical topology by vertex index, so a T1 of the apical edge i-j in the sheet
swaps the whole lateral face (apical and basal edge at once). Only the positions need mirroring: the
sheet places i and j for a surface (it projects onto a shell's ellipsoid), so the monolayer places them
again in each layer, at that layer's edge midpoint, along n x e (e the layer's edge i -> j, n the cell
axis s (a - b), which is the sheet's outward normal while the tissue is unfolded), i on the side of the
cell that loses the edge, the new edge as long as the old apical one (or ``new_length``).
"""

from __future__ import annotations

import numpy as np

from .monolayer import Monolayer
from .topology import t1_swap


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
    for layer, edge, (start, _) in zip((apical, basal), edges, before):
        middle = start + 0.5 * edge
        across = np.cross(axis, edge)
        across *= 0.5 * length / np.linalg.norm(across)
        layer[i] = middle + across
        layer[j] = middle - across
        if sheet.periodic:
            layer[[i, j], :2] -= sheet.box[:2] * np.floor(layer[[i, j], :2] / sheet.box[:2])
    return True
