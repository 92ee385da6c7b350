"""T1 swaps, divisions, extrusions, apoptosis and lineage keep a valid mesh."""

import numpy as np
import pytest

from morphosim.cells import (Overdamped, Sheet, SheetError, VertexModel, apply_topology, cell_areas, compute_geometry,
                             divide_cell, edge_lengths, extrude_cell, neighbours, t1_swap)


def total_signed_area(sheet):
    return compute_geometry(sheet).signed_area[: sheet.n_cells].sum()


def boundary_enclosed_area(sheet):
    """Shoelace area inside the outer boundary loop (boundary half-edges run clockwise)."""
    ne = sheet.n_half_edges
    boundary = np.flatnonzero(sheet.face[:ne] == -1)
    p = sheet.vertices[sheet.origin[boundary]]
    q = sheet.vertices[sheet.origin[sheet.twin[boundary]]]
    return -0.5 * np.sum(p[:, 0] * q[:, 1] - q[:, 0] * p[:, 1])


@pytest.mark.parametrize("kind", ["periodic", "planar", "shell"])
def test_random_event_stress_keeps_mesh_valid_and_area(kind):
    """Thousands of random T1s, divisions and extrusions on a sheet that relaxes in between.

    After every event the topology is checked; on a periodic sheet the signed cell areas must
    sum to the box area, on an open sheet to the area enclosed by its boundary (events away from
    the boundary conserve it exactly: divisions cut along straight edges, interior T1s and T2s
    only move interior vertices)."""
    rng = np.random.default_rng({"periodic": 1, "planar": 2, "shell": 3}[kind])
    if kind == "shell":
        sheet = Sheet.ellipsoid_shell(100, radii=(3.0, 2.5, 2.0), seed=3)
    else:
        sheet = Sheet.voronoi(100, box=(10.0, 10.0), periodic=kind == "periodic", lloyd=3, seed=4)
    A0 = cell_areas(sheet).mean()
    model = VertexModel(K=1 / A0**2, A0=A0, Gamma=0.04 / A0, Lambda=0.12 / np.sqrt(A0))
    t1_length = 0.1 * np.sqrt(A0)
    integrator = Overdamped(model, min_edge_length=t1_length)
    counts = {"t1": 0, "division": 0, "extrusion": 0}
    while sum(counts.values()) < 1500:
        before = total_signed_area(sheet)
        ne, nc = sheet.n_half_edges, sheet.n_cells
        # events away from the outer boundary (that must conserve the area, and that keep the
        # number of boundary cells in check)
        inner_edge = sheet.face[:ne] >= 0
        inner_edge &= sheet.face[sheet.twin[:ne]] >= 0
        inner = np.ones(nc, bool)
        inner[sheet.face[sheet.twin[:ne]][sheet.face[:ne] == -1]] = False
        choice = rng.random()
        if choice < 0.5:
            event = "t1"
            lengths = edge_lengths(sheet)
            short = np.flatnonzero(inner_edge & (lengths < np.quantile(lengths, 0.3)))
            h = int(rng.choice(short))
            c = sheet.face[sheet.twin[sheet.next[sheet.twin[h]]]]
            d = sheet.face[sheet.twin[sheet.next[h]]]
            done = c >= 0 and d >= 0 and t1_swap(sheet, h, new_length=0.3 * np.sqrt(A0))
        elif choice < 0.75 and nc < 160 or nc < 60:
            event = "division"
            done = len(divide_cell(sheet, int(rng.choice(np.flatnonzero(inner)))).divisions) == 1
        else:
            event = "extrusion"
            areas = cell_areas(sheet)
            small = np.flatnonzero(inner & (areas < np.quantile(areas[inner], 0.3)))
            done = len(extrude_cell(sheet, int(rng.choice(small))).removed_ids) == 1
        counts[event] += done
        assert sheet.check(geometry=False)
        after = total_signed_area(sheet)
        if sheet.periodic:
            assert after == pytest.approx(sheet.box[0] * sheet.box[1], rel=1e-12)
        elif not sheet.is_shell:
            assert after == pytest.approx(before, rel=1e-12)
            assert after == pytest.approx(boundary_enclosed_area(sheet), rel=1e-12)
        # relax a little, with the T1s and T2s of normal dynamics so that edges and cells
        # cannot shrink to nothing
        integrator.step(sheet, dt=0.2 * A0**2)
        apply_topology(sheet, t1_length=t1_length, extrusion_area=0.05 * A0)
        assert sheet.check(geometry=False)
    assert min(counts.values()) > 250
    assert sheet.check(geometry=True)
    ids = sheet.ids
    assert np.unique(ids).size == ids.size


def test_division_splits_area_and_records_lineage():
    sheet = Sheet.voronoi(30, box=(5.5, 5.5), periodic=True, lloyd=3, seed=8)
    areas = cell_areas(sheet)
    slot = 7
    mother_id = int(sheet.cell_id[slot])
    axis = np.array([1.0, 0.0, 0.0])
    labels = np.arange(sheet.n_cells) * 10.0
    events = divide_cell(sheet, slot, axis=axis)
    (mother_slot, daughter_slot), = events.divisions
    assert mother_slot == slot and daughter_slot == 30
    new_areas = cell_areas(sheet)
    assert new_areas[mother_slot] + new_areas[daughter_slot] == pytest.approx(areas[slot], rel=1e-12)
    assert np.delete(new_areas, [mother_slot, daughter_slot]) == pytest.approx(np.delete(areas, slot), rel=1e-12)
    # both daughters are new cells whose parent is the mother; ids are never reused
    assert set(events.division_ids[0]) == {30, 31} and events.mother_ids[0] == mother_id
    assert sheet.parent_id[[mother_slot, daughter_slot]].tolist() == [mother_id, mother_id]
    # the cleavage edge is perpendicular to the spindle and the daughter lies on the +axis side
    shared = [h for h in range(sheet.n_half_edges)
              if sheet.face[h] == mother_slot and sheet.face[sheet.twin[h]] == daughter_slot]
    edge = sheet.vertices[sheet.origin[sheet.twin[shared[0]]]] - sheet.vertices[sheet.origin[shared[0]]]
    edge[:2] -= sheet.box[:2] * np.round(edge[:2] / sheet.box[:2])
    assert abs(edge @ axis) < 1e-9 * np.linalg.norm(edge)
    centroids = compute_geometry(sheet).centroid
    offset = centroids[daughter_slot] - centroids[mother_slot]
    offset[:2] -= sheet.box[:2] * np.round(offset[:2] / sheet.box[:2])
    assert offset @ axis > 0
    carried = events.carry(labels)
    assert carried[daughter_slot] == labels[slot] and np.all(carried[:30] == labels)


def test_t1_swaps_short_edge_once_and_does_not_flip_back():
    sheet = Sheet.hexagonal(4, 4, periodic=True)
    h = next(h for h in range(sheet.n_half_edges) if sheet.face[h] >= 0)
    i, j = sheet.origin[h], sheet.origin[sheet.twin[h]]
    a, b = sheet.face[h], sheet.face[sheet.twin[h]]
    middle = sheet.vertices[i] + 0.5 * (sheet.vertices[j] - sheet.vertices[i])
    sheet.vertices[i] = middle - 0.01 * (sheet.vertices[j] - sheet.vertices[i])
    sheet.vertices[j] = middle + 0.01 * (sheet.vertices[j] - sheet.vertices[i])
    events = apply_topology(sheet, t1_length=0.1, t1_cooldown=3)
    assert events.n_t1 == 1
    assert sheet.check()
    # a and b no longer touch; the new edge has 1.5 x the threshold length
    indptr, indices, contact = neighbours(sheet)
    assert b not in indices[indptr[a]:indptr[a + 1]]
    assert edge_lengths(sheet)[h] == pytest.approx(0.15)
    # squeeze the new edge again: it may not swap back during the cooldown
    i, j = sheet.origin[h], sheet.origin[sheet.twin[h]]
    sheet.vertices[j] = sheet.vertices[i] + 0.1 * (sheet.vertices[j] - sheet.vertices[i])
    assert [apply_topology(sheet, t1_length=0.1, t1_cooldown=3).n_t1 for _ in range(4)] == [0, 0, 0, 1]


def test_apoptosis_shrinks_then_extrudes_the_cell():
    sheet = Sheet.voronoi(40, box=(6.3, 6.3), periodic=True, lloyd=3, seed=9)
    A0 = np.ones(sheet.n_cells)
    dying_id = int(sheet.cell_id[11])
    A0[11] = 0.0
    model = VertexModel(K=1.0, A0=A0, Gamma=0.04, Lambda=0.12)
    integrator = Overdamped(model, min_edge_length=0.05)
    areas = [cell_areas(sheet)[11]]
    for step in range(400):
        integrator.step(sheet, dt=0.1)
        # the neighbours' pressure stops the shrinking cell near A ~ 0.14: extrude below 0.2
        events = apply_topology(sheet, t1_length=0.05, extrusion_area=0.2)
        model.carry(events)
        if len(events.removed_ids):
            break
        areas.append(cell_areas(sheet)[11])
    assert areas[0] > 0.6 and np.all(np.diff(areas) < 0)  # shrank steadily from its normal size
    assert events.removed_ids.tolist() == [dying_id]
    assert events.old_to_new[11] == -1 and events.old_to_new[12] == 11
    assert sheet.n_cells == 39 and dying_id not in sheet.ids
    assert np.all(model.A0 == 1.0)  # the carried parameters lost exactly the dead cell's entry
    assert sheet.check()
    assert total_signed_area(sheet) == pytest.approx(sheet.box[0] * sheet.box[1], rel=1e-12)


def test_neighbours_of_periodic_hexagons():
    sheet = Sheet.hexagonal(4, 6, periodic=True, cell_area=2.0)
    indptr, indices, contact = neighbours(sheet)
    assert np.all(np.diff(indptr) == 6)
    side = np.sqrt(2 * 2.0 / (3 * np.sqrt(3)))
    assert contact == pytest.approx(side, rel=1e-12)
    pairs = {(c, int(n)) for c in range(sheet.n_cells) for n in indices[indptr[c]:indptr[c + 1]]}
    assert all((n, c) in pairs for c, n in pairs)


def test_constructors_and_bad_input():
    for sheet in (Sheet.hexagonal(3, 4), Sheet.hexagonal(4, 4, periodic=True, cell_area=2.0),
                  Sheet.voronoi(50, box=(7, 7), seed=1), Sheet.ellipsoid_shell(30, radii=(1, 1, 1), seed=2)):
        assert sheet.check()
    hexes = Sheet.hexagonal(4, 4, periodic=True, cell_area=2.0)
    assert cell_areas(hexes) == pytest.approx(2.0) and hexes.box[0] * hexes.box[1] == pytest.approx(32.0)
    assert len(Sheet.voronoi(50, box=(7, 7), seed=1).cells()) == 50
    assert np.array_equal(Sheet.voronoi(20, (4, 4), seed=3).positions, Sheet.voronoi(20, (4, 4), seed=3).positions)
    with pytest.raises(ValueError, match="counter-clockwise"):
        Sheet.from_polygons([[0, 0], [1, 0], [1, 1]], [[0, 2, 1]])
    with pytest.raises(ValueError, match="even rows"):
        Sheet.hexagonal(3, 4, periodic=True)
    with pytest.raises(ValueError, match="divide must be a boolean array"):
        apply_topology(hexes, divide=np.ones(3, bool))


def test_check_detects_broken_meshes():
    sheet = Sheet.hexagonal(4, 4, periodic=True)
    swapped_next = sheet.copy()
    swapped_next.next[[0, 1]] = swapped_next.next[[1, 0]]
    wrong_twin = sheet.copy()
    wrong_twin.twin[[0, 2]] = wrong_twin.twin[[2, 0]]
    clockwise = sheet.copy()
    clockwise.vertices[: clockwise.n_vertices, 0] *= -1.0  # mirror image: every cell clockwise
    clockwise.vertices[: clockwise.n_vertices, 0] %= clockwise.box[0]
    for broken, message in ((swapped_next, "next"), (wrong_twin, "twin"), (clockwise, "counter-clockwise")):
        with pytest.raises(SheetError, match=message):
            broken.check()
    assert clockwise.check(geometry=False)  # a mirror image is still a valid torus
