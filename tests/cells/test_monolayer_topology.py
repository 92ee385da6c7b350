"""Monolayer T1: the lateral face swaps in both layers, check() holds, cell volumes change only locally."""

import numpy as np

from morphosim.cells import Monolayer, MonolayerModel, Sheet, VolumeElasticity, edge_lengths, neighbours
from morphosim.cells.monolayer_topology import monolayer_divide, monolayer_extrude, monolayer_t1


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


def test_division_splits_both_layers_and_halves_V0():
    """Flat periodic prisms: the cut plane runs through the apical and basal polygons along the same
    lateral edges, so the daughters' volumes add up to the mother's exactly and tile the slab."""
    m = Monolayer.from_sheet(Sheet.hexagonal(4, 4, periodic=True), 0.5)
    model = MonolayerModel(1.0, 1.0, 1.0, volume_stiffness=10.0, V0=np.linspace(0.4, 0.6, 16))
    mother = m.volumes()[3]
    V0 = model.term(VolumeElasticity).V0[3]
    events = monolayer_divide(m, 3)
    model.carry(events)
    assert m.check()
    a, b = events.divisions[0]
    volumes = m.volumes()
    print(f"mother {mother:.6f} -> daughters {volumes[a]:.6f} + {volumes[b]:.6f}")
    assert abs(volumes[a] + volumes[b] - mother) < 1e-12
    assert abs(volumes.sum() - 8.0) < 1e-12
    np.testing.assert_allclose(model.term(VolumeElasticity).V0[[a, b]], 0.5 * V0)
    assert set(m.parents[[a, b]]) == {3}


def test_extrusion_closes_the_neighbours_over_the_cell():
    m = Monolayer.from_sheet(Sheet.hexagonal(4, 4, periodic=True), 0.5)
    events = monolayer_extrude(m, 6)
    assert m.check()
    assert m.n_cells == 15 and 6 in events.removed_ids
    assert abs(m.volumes().sum() - 8.0) < 1e-12  # the neighbours fill the slab the cell left


def test_random_t1s_and_divisions_on_a_shell(rng):
    """400 random events on a monolayer shell (T1s of short apical edges, new edge as long as the old,
    and divisions of random cells larger than the median, so that repeated divisions without relaxation do
not leave slivers that no T1 of that length fits in), check() after each. Both keep the shell layer between the two
    surfaces filled, so the total cell volume is kept, up to the fan discretisation of the changed
    lateral faces (a small fraction of one cell's volume)."""
    m = Monolayer.from_sheet(Sheet.ellipsoid_shell(120, radii=(3.0, 3.0, 3.0), seed=8), 0.5)
    model = MonolayerModel(1.0, 1.0, 1.0, volume_stiffness=10.0, V0=m.volumes())
    counts = {"t1": 0, "division": 0}
    worst = 0.0  # largest change of the total volume in one event, in mean cell volumes
    for _ in range(400):
        kind = rng.choice(["t1", "t1", "division"])
        total = m.volumes().sum()
        if kind == "t1":
            lengths = edge_lengths(m.sheet)
            short = np.flatnonzero(lengths < 0.6 * np.median(lengths))
            if not short.size or not monolayer_t1(m, int(rng.choice(short))):
                continue
        else:
            large = np.flatnonzero(m.apical_areas() > np.median(m.apical_areas()))  # as a division_area would
            model.carry(monolayer_divide(m, int(rng.choice(large))))
        assert m.check()
        counts[kind] += 1
        worst = max(worst, abs(m.volumes().sum() - total) / (total / m.n_cells))
    print(counts, m.n_cells, f"cells; worst total-volume change per event {worst:.2e} cell volumes")
    assert min(counts.values()) > 100
    assert worst < 0.05
    assert len(model.term(VolumeElasticity).V0) == m.n_cells


def test_extrusions_of_constricted_cells_on_a_shell(rng):
    """40 apoptotic extrusions on a monolayer shell: each cell first constricts (its vertices move 70% of
    the way to its centroids in both layers, what driving V0 to 0 does over time), then is removed and
    its neighbours close over it; check() after each, one cell fewer each time."""
    m = Monolayer.from_sheet(Sheet.ellipsoid_shell(120, radii=(3.0, 3.0, 3.0), seed=8), 0.5)
    for k in range(40):
        slot = int(rng.integers(m.n_cells))
        loop = m.sheet.cells()[slot]
        for layer in (m.apical_positions, m.basal_positions):
            layer[loop] += 0.7 * (layer[loop].mean(axis=0) - layer[loop])
        identity = int(m.ids[slot])
        events = monolayer_extrude(m, slot)
        assert list(events.removed_ids) == [identity]
        assert m.check()
        assert m.n_cells == 119 - k
        assert identity not in m.ids
