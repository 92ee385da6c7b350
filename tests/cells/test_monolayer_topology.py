"""Monolayer T1: the lateral face swaps in both layers, check() holds, cell volumes change only locally."""

import numpy as np

from morphosim.cells import Monolayer, Sheet, edge_lengths, neighbours
from morphosim.cells.monolayer_topology import monolayer_t1


def test_t1_swaps_the_lateral_face():
    m = Monolayer.from_sheet(Sheet.hexagonal(4, 4, periodic=True), 0.5)
    sheet = m.sheet
    h = 5
    a, b = sheet.face[h], sheet.face[sheet.twin[h]]
    volume = m.volumes().sum()
    assert monolayer_t1(m, h, new_length=0.3)
    assert m.check()
    indptr, cells = neighbours(sheet)[:2]
    assert b not in cells[indptr[a]:indptr[a + 1]]  # a and b no longer share a lateral face
    # the tissue's total volume (periodic sheet: the slab between the layers) is unchanged
    print(f"total volume {volume:.6f} -> {m.volumes().sum():.6f}")
    assert abs(m.volumes().sum() / volume - 1) < 1e-12


def test_hundreds_of_random_t1s_on_a_shell_keep_the_monolayer_valid(rng):
    """300 T1s of random short apical edges (< 0.6 x the median length, as apply_topology swaps short
    edges) of a monolayer shell, each new edge 0.3 long: check() after every event, the total cell
    volume (the shell layer between apical and basal surfaces) conserved to the change of the surfaces'
    fan discretisation (each T1 only moves two vertices per layer within their cells)."""
    m = Monolayer.from_sheet(Sheet.ellipsoid_shell(150, radii=(3.0, 3.0, 3.0), seed=7), 0.5)
    total = m.volumes().sum()
    done = 0
    for _ in range(5000):
        lengths = edge_lengths(m.sheet)
        h = int(rng.integers(m.sheet.n_half_edges))
        if lengths[h] > 0.6 * np.median(lengths):
            continue
        if monolayer_t1(m, h, new_length=0.3):
            done += 1
            assert m.check()
        if done == 300:
            break
    print(f"{done} T1s; total volume {total:.4f} -> {m.volumes().sum():.4f}")
    assert done == 300
    assert abs(m.volumes().sum() / total - 1) < 0.02
