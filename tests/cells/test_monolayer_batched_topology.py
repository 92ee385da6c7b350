"""apply_monolayer_topology: one call swaps narrow lateral faces, divides large cells and extrudes small
ones, in both layers; check() holds, volumes change only where events happened, ids and lineage as in 2D."""

import numpy as np
import pytest

from morphosim.cells import (Monolayer, MonolayerModel, Sheet, SheetError, VolumeElasticity,
                             apply_monolayer_topology, neighbours)


def _shrink_edge(m, i, j, factor, layers=("apical", "basal")):
    """Move vertices i and j toward their midpoint in the given layers (edge length x factor)."""
    for name in layers:
        layer = m.apical_positions if name == "apical" else m.basal_positions
        middle = 0.5 * (layer[i] + layer[j])
        layer[[i, j]] = middle + factor * (layer[[i, j]] - middle)


def _constrict(m, slot, factor, layers=("apical", "basal")):
    """Move a cell's vertices toward their centroid (what V0 -> 0 does over time)."""
    loop = m.sheet.cells()[slot]
    for name in layers:
        layer = m.apical_positions if name == "apical" else m.basal_positions
        layer[loop] += factor * (layer[loop].mean(axis=0) - layer[loop])


def test_divisions_of_flat_prisms_split_the_volume_exactly():
    """Flat periodic prisms (every face planar): the cut runs through both polygons along the same two
    lateral edges, so each mother's volume is its daughters' sum to round-off and the summed volume (the
    slab, box area x height) is kept; daughters get new ids, their parent id is the mother's, and V0 is
    halved (MonolayerModel.carry)."""
    m = Monolayer.from_sheet(Sheet.hexagonal(6, 6, periodic=True), 0.5)
    model = MonolayerModel(1.0, 1.0, 1.0, volume_stiffness=10.0, V0=np.linspace(0.4, 0.6, 36))
    ids, V0 = m.ids.copy(), model.term(VolumeElasticity).V0.copy()
    for slot in (2, 9):
        _constrict(m, slot, -0.05)  # 5 % wider in both layers: apical area x 1.1025
    flags = np.zeros(36, bool)
    flags[[15, 22, 29]] = True
    volumes, area = m.volumes(), m.apical_areas()
    # division_area = 1.05 x the hexagon's area: only the two widened cells exceed it, three more flagged
    events = apply_monolayer_topology(m, division_area=1.05 * np.median(area), divide=flags)
    model.carry(events)
    assert m.check()
    mothers = [2, 9, 15, 22, 29]
    assert events.divisions[:, 0].tolist() == mothers and events.n_cells == 41 == m.n_cells
    after = m.volumes()
    split = after[events.divisions[:, 0]] + after[events.divisions[:, 1]]
    print("mothers", volumes[mothers], "daughters' sums", split)
    np.testing.assert_allclose(split, volumes[mothers], rtol=1e-12)
    assert abs(after.sum() - volumes.sum()) < 1e-12 * volumes.sum()
    assert events.mother_ids.tolist() == ids[mothers].tolist()
    assert np.all(m.parents[events.divisions] == ids[mothers][:, None])
    assert len(set(m.ids.tolist())) == 41 and not set(m.ids[events.divisions.ravel()].tolist()) & set(ids.tolist())
    np.testing.assert_allclose(model.term(VolumeElasticity).V0[events.divisions], 0.5 * V0[mothers][:, None].repeat(2, 1))


def test_t1_swaps_faces_narrow_in_both_layers_only():
    """The T1 criterion is the face width (apical + basal edge) / 2: a face 0.06 wide apically but 0.58
    basally (an apically constricted junction) is 0.32 wide and stays; once the basal edge is 0.06 too
    the face swaps, its new edge 1.5 x t1_length = 0.3 long in both layers, the two cells that shared it
    no longer do, and the slab's volume is kept exactly (planar faces)."""
    m = Monolayer.from_sheet(Sheet.hexagonal(6, 6, periodic=True), 0.5)
    sheet = m.sheet
    h = 7
    i, j = sheet.origin[h], sheet.origin[sheet.twin[h]]
    a, b = sheet.face[h], sheet.face[sheet.twin[h]]
    total = m.volumes().sum()
    _shrink_edge(m, i, j, 0.1, layers=("apical",))
    assert apply_monolayer_topology(m, t1_length=0.2).n_t1 == 0
    _shrink_edge(m, i, j, 0.1, layers=("basal",))
    events = apply_monolayer_topology(m, t1_length=0.2)
    assert events.n_t1 == 1 and m.check()
    for layer in (m.apical_positions, m.basal_positions):
        assert abs(np.linalg.norm(layer[i] - layer[j]) - 0.3) < 1e-12
    indptr, cells = neighbours(sheet)[:2]
    assert b not in cells[indptr[a]:indptr[a + 1]]
    assert abs(m.volumes().sum() - total) < 1e-12 * total
    # the cooldown: the new edge, shrunk again at once, does not swap back during the next 5 calls
    _shrink_edge(m, i, j, 0.1)
    assert apply_monolayer_topology(m, t1_length=0.2).n_t1 == 0


def test_boundary_t1_of_an_open_monolayer():
    """A short outer-boundary face (both ends 3-fold) of an open monolayer: the boundary T1 keeps j on
    the boundary at the old edge's midpoint and moves i t1_new_length into the tissue, in both layers."""
    m = Monolayer.from_sheet(Sheet.voronoi(30, box=(5.5, 5.5), lloyd=2, seed=1), 0.5)
    sheet = m.sheet
    degree = np.bincount(sheet.origin[:sheet.n_half_edges], minlength=sheet.n_vertices)
    h = next(h for h in range(sheet.n_half_edges) if sheet.face[h] < 0 and degree[sheet.origin[h]] == 3
             and degree[sheet.origin[sheet.twin[h]]] == 3)
    inner = sheet.twin[h]  # the cell's side of the edge: i = its origin moves inward
    i, j = sheet.origin[inner], sheet.origin[h]
    _shrink_edge(m, i, j, 0.1)
    middles = [0.5 * (layer[i] + layer[j]) for layer in (m.apical_positions, m.basal_positions)]
    events = apply_monolayer_topology(m, t1_length=0.15, t1_new_length=0.3)
    assert events.n_boundary_t1 >= 1 and m.check()
    for layer, middle in zip((m.apical_positions, m.basal_positions), middles):
        assert np.linalg.norm(layer[j] - middle) < 1e-12
        assert abs(np.linalg.norm(layer[i] - layer[j]) - 0.3) < 1e-12
    outside = sheet.face[:sheet.n_half_edges] < 0
    assert i not in sheet.origin[:sheet.n_half_edges][outside] and j in sheet.origin[:sheet.n_half_edges][outside]


def test_corner_cells_of_an_open_monolayer_are_cut_out():
    """Cells with two or more outer-boundary sides are cut out (their boundary run and its corner
    vertices go in both layers; their other faces become the boundary): the other cells keep their
    shape, so the tissue loses exactly the removed cells' volume."""
    m = Monolayer.from_sheet(Sheet.voronoi(30, box=(5.5, 5.5), lloyd=2, seed=1), 0.5)
    sheet = m.sheet
    outside = sheet.face[:sheet.n_half_edges] < 0
    sides = np.bincount(sheet.face[sheet.twin[:sheet.n_half_edges][outside]], minlength=m.n_cells)
    corners = sides >= 2
    volumes = m.volumes()
    events = apply_monolayer_topology(m, extrude=corners)
    assert m.check()
    assert sorted(events.removed_slots.tolist()) == np.flatnonzero(corners).tolist() and len(events.removed_ids) >= 3
    np.testing.assert_allclose(m.volumes(), volumes[~corners], rtol=1e-12)
    assert m.n_vertices == len(np.unique(m.sheet.origin[:m.sheet.n_half_edges]))


def test_extrusion_takes_the_volume_not_the_apical_area():
    """Two cells with a quarter of the median apical area: one shrunk in both layers (volume 0.25 of the
    median, apoptotic) is extruded by extrusion_volume = 0.5 median; the apically constricted one keeps
    7/12 of its volume (a frustum, (1 + 1/4 + 1/2)/3) and stays. The slab stays tiled."""
    m = Monolayer.from_sheet(Sheet.hexagonal(6, 6, periodic=True), 0.5)
    _constrict(m, 3, 0.5)
    _constrict(m, 20, 0.5, layers=("apical",))
    volumes, area = m.volumes(), m.apical_areas()
    np.testing.assert_allclose(volumes[[3, 20]] / np.median(volumes), [0.25, 7 / 12])
    np.testing.assert_allclose(area[[3, 20]] / np.median(area), [0.25, 0.25])
    dying = int(m.ids[3])
    events = apply_monolayer_topology(m, extrusion_volume=0.5 * np.median(volumes))
    assert events.removed_ids.tolist() == [dying] and events.removed_slots.tolist() == [3]
    assert m.check() and m.n_cells == 35 and dying not in m.ids
    assert events.old_to_new[3] == -1 and events.old_to_new[20] == 19
    assert abs(m.volumes().sum() - volumes.sum()) < 1e-12 * volumes.sum()


def test_bad_arguments_are_refused():
    m = Monolayer.from_sheet(Sheet.hexagonal(4, 4, periodic=True), 0.5)
    with pytest.raises(SheetError, match="divide"):
        apply_monolayer_topology(m, divide=np.zeros(4, bool))
    with pytest.raises(SheetError, match="t1_length"):
        apply_monolayer_topology(m, t1_length=-1.0)


def _rings(m):
    return [loop.copy() for loop in m.sheet.cells()]


def test_stress_t1s_divisions_and_extrusions_on_a_shell(rng):
    """60 calls on a closed monolayer shell, each after making events due: 6 random faces narrowed to
    0.3 x t1_length in both layers, 2 random large cells flagged to divide, 2 random cells constricted in
    both layers (volume below extrusion_volume). Per call: check(); every cell the call did not touch
    (same vertices, unmoved) keeps its volume to round-off; the total cell volume (the shell layer
    between the two surfaces) changes by less than a few percent of one cell per event (the fan
    discretisation of the changed faces); ids stay unique, daughters' parents are their mothers' ids;
    V0 follows the slots (halved in daughters)."""
    m = Monolayer.from_sheet(Sheet.ellipsoid_shell(150, radii=(3.0, 3.0, 3.0), seed=7), 0.5)
    model = MonolayerModel(1.0, 1.0, 1.0, volume_stiffness=10.0, V0=m.volumes())
    t1_length = 0.1
    totals = {"t1": 0, "divisions": 0, "extrusions": 0}
    worst_change = worst_untouched = 0.0
    for call in range(60):
        sheet = m.sheet
        interior = np.flatnonzero(np.arange(sheet.n_half_edges) < sheet.twin[:sheet.n_half_edges])
        for h in rng.choice(interior, 6, replace=False):
            _shrink_edge(m, sheet.origin[h], sheet.origin[sheet.twin[h]], 0.3 * t1_length /
                         np.linalg.norm(m.apical_positions[sheet.origin[h]] - m.apical_positions[sheet.origin[sheet.twin[h]]]))
        dying = rng.choice(m.n_cells, 2, replace=False)
        for slot in dying:
            _constrict(m, slot, 0.6)
        volumes, area = m.volumes(), m.apical_areas()
        large = np.flatnonzero(area > np.median(area))
        divide = np.zeros(m.n_cells, bool)
        divide[rng.choice(np.setdiff1d(large, dying), 2, replace=False)] = True
        rings, ids = _rings(m), m.ids.copy()
        apical, basal = m.apical_positions.copy(), m.basal_positions.copy()
        V0 = model.term(VolumeElasticity).V0.copy()
        events = apply_monolayer_topology(m, t1_length=t1_length, divide=divide,
                                          extrusion_volume=0.3 * np.median(volumes))
        model.carry(events)
        assert m.check()
        n_events = events.n_t1 + len(events.divisions) + len(events.removed_ids)
        totals["t1"] += events.n_t1
        totals["divisions"] += len(events.divisions)
        totals["extrusions"] += len(events.removed_ids)
        after, new_rings = m.volumes(), _rings(m)
        untouched = 0
        for old, new in enumerate(events.old_to_new):
            if new < 0 or divide[old]:
                continue
            mapped = events.vertex_old_to_new[rings[old]]
            if np.any(mapped < 0) or sorted(mapped) != sorted(new_rings[new]):
                continue
            if np.array_equal(apical[rings[old]], m.apical_positions[mapped]) and \
                    np.array_equal(basal[rings[old]], m.basal_positions[mapped]):
                untouched += 1
                worst_untouched = max(worst_untouched, abs(after[new] - volumes[old]) / volumes[old])
        assert untouched > 0.4 * m.n_cells
        worst_change = max(worst_change, abs(after.sum() - volumes.sum()) / np.mean(volumes) / max(n_events, 1))
        assert len(set(m.ids.tolist())) == m.n_cells
        # (the criterion is read after the call's T1s, which may shrink a cell further)
        assert set(events.removed_ids.tolist()) <= set(ids.tolist()) - set(m.ids.tolist())
        assert np.all(m.parents[events.divisions] == events.mother_ids[:, None])
        old_mothers = np.flatnonzero(np.isin(ids, events.mother_ids))  # slot order, as the divisions
        np.testing.assert_array_equal(model.term(VolumeElasticity).V0[events.divisions],
                                      0.5 * V0[old_mothers][:, None].repeat(2, 1))
    print(totals, m.n_cells, "cells;", f"worst total-volume change {worst_change:.2e} cell volumes per event,",
          f"worst untouched-cell change {worst_untouched:.1e}")
    assert totals["t1"] >= 300 and totals["divisions"] >= 100 and totals["extrusions"] >= 100
    assert worst_untouched < 1e-12
    assert worst_change < 0.05
    assert len(model.term(VolumeElasticity).V0) == m.n_cells
