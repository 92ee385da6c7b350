"""Topology events on the outer boundary of open sheets: boundary T1s, corner merges, extrusion
of boundary cells (T2 onto the boundary, or cutting a corner cell out)."""

import numpy as np
import pytest

from morphosim.cells import (Overdamped, Sheet, VertexModel, apply_topology, cell_areas, compute_geometry,
                             divide_cell, edge_lengths, extrude_cell, neighbours, t1_swap)


def total_area(sheet):
    return compute_geometry(sheet).signed_area[: sheet.n_cells].sum()


def enclosed_area(sheet):
    """Shoelace area inside the boundary loops (boundary half-edges run clockwise)."""
    boundary = np.flatnonzero(sheet.face[: sheet.n_half_edges] == -1)
    p = sheet.vertices[sheet.origin[boundary]]
    q = sheet.vertices[sheet.origin[sheet.twin[boundary]]]
    return -0.5 * np.sum(p[:, 0] * q[:, 1] - q[:, 0] * p[:, 1])


def degree(sheet, v):
    """Number of edges at vertex v."""
    return int(np.sum(sheet.origin[: sheet.n_half_edges] == v))


def boundary_edges(sheet):
    """Cell-side half-edges of the outer boundary."""
    ne = sheet.n_half_edges
    return np.flatnonzero((sheet.face[:ne] >= 0) & (sheet.face[sheet.twin[:ne]] == -1))


def boundary_cells(sheet):
    return np.unique(sheet.face[boundary_edges(sheet)])


def boundary_neighbourhood(sheet, h):
    """(p, i, j, n): positions along the boundary around the boundary edge h (i -> j in a cell)."""
    t = sheet.twin[h]  # the outside loop runs n -> j -> i -> p
    before = t
    while sheet.next[before] != t:
        before = sheet.next[before]
    p, i, j, n = (sheet.origin[sheet.next[sheet.next[t]]], sheet.origin[h], sheet.origin[t], sheet.origin[before])
    return tuple(sheet.vertices[v].copy() for v in (p, i, j, n))


def area_change_bound(p, i, j, n):
    """Largest change of the enclosed area when i, j move to (or merge at) their midpoint."""
    length = np.linalg.norm(j - i)
    return 0.25 * length * (np.linalg.norm(p - i) + np.linalg.norm(n - j)) * (1 + 1e-9)


def squeeze(sheet, h, length):
    i, j = sheet.origin[h], sheet.origin[sheet.twin[h]]
    middle = 0.5 * (sheet.vertices[i] + sheet.vertices[j])
    direction = (sheet.vertices[j] - sheet.vertices[i]) / np.linalg.norm(sheet.vertices[j] - sheet.vertices[i])
    sheet.vertices[i] = middle - 0.5 * length * direction
    sheet.vertices[j] = middle + 0.5 * length * direction


def test_short_boundary_edge_is_swapped_and_does_not_flip_back():
    sheet = Sheet.voronoi(40, box=(6.3, 6.3), lloyd=3, seed=11)  # shortest edge 0.0114
    h = next(int(h) for h in boundary_edges(sheet)
             if degree(sheet, sheet.origin[h]) == 3 and degree(sheet, sheet.origin[sheet.twin[h]]) == 3
             and len(sheet.cells()[sheet.face[h]]) > 4)
    a = int(sheet.face[h])
    c = int(sheet.face[sheet.twin[sheet.next[sheet.twin[h]]]])  # the cell at i
    d = int(sheet.face[sheet.twin[sheet.next[h]]])  # the cell at j
    squeeze(sheet, h, 0.004)
    p, i, j, n = boundary_neighbourhood(sheet, h)
    areas, before, ids = cell_areas(sheet), total_area(sheet), sheet.ids.copy()
    events = apply_topology(sheet, t1_length=0.01, t1_cooldown=3)
    assert (events.n_t1, events.n_boundary_t1, events.n_corner_merges) == (1, 1, 0)
    assert sheet.check()
    assert a not in boundary_cells(sheet)  # a left the boundary, c and d now touch
    indptr, indices, _ = neighbours(sheet)
    assert d in indices[indptr[c]:indptr[c + 1]]
    assert edge_lengths(sheet)[h] == pytest.approx(0.015)
    # only a, c and d changed shape; the sheet's area moved by the small midpoint shift only
    after = cell_areas(sheet)
    others = np.setdiff1d(np.arange(sheet.n_cells), [a, c, d])
    assert after[others] == pytest.approx(areas[others], rel=1e-12, abs=0)
    assert total_area(sheet) == pytest.approx(enclosed_area(sheet), rel=1e-12)
    assert abs(total_area(sheet) - before) <= area_change_bound(p, i, j, n)  # 0 on a straight side
    assert np.array_equal(sheet.ids, ids) and np.all(sheet.parents == -1)
    # squeeze the new (inner) edge: it may not swap back to the boundary during the cooldown
    squeeze(sheet, h, 0.002)
    assert [apply_topology(sheet, t1_length=0.01, t1_cooldown=3).n_t1 for _ in range(4)] == [0, 0, 0, 1]
    assert sheet.check()
    assert a in boundary_cells(sheet)
    # and without boundary T1s nothing happens to a short boundary edge
    h = boundary_edges(sheet)[0]
    squeeze(sheet, h, 0.004)
    assert apply_topology(sheet, t1_length=0.01, boundary_t1=False).changed is False


def test_short_edge_at_a_corner_merges_the_corner_vertex():
    sheet = Sheet.hexagonal(4, 4)
    h = next(int(h) for h in boundary_edges(sheet) if degree(sheet, sheet.origin[h]) == 2
             and degree(sheet, sheet.origin[sheet.twin[h]]) == 3)
    a = int(sheet.face[h])
    sides = len(sheet.cells()[a])
    squeeze(sheet, h, 0.02)
    p, i, j, n = boundary_neighbourhood(sheet, h)
    areas, before, nv = cell_areas(sheet), total_area(sheet), sheet.n_vertices
    positions = sheet.positions.copy()
    removed_vertex = int(sheet.origin[h])
    events = apply_topology(sheet, t1_length=0.1)
    assert (events.n_t1, events.n_corner_merges) == (0, 1) and events.changed
    assert sheet.check()
    assert sheet.n_vertices == nv - 1 and events.vertex_old_to_new[removed_vertex] == -1
    assert np.array_equal(np.flatnonzero(events.vertex_old_to_new < 0), [removed_vertex])
    kept = np.flatnonzero(events.vertex_old_to_new >= 0)  # all but the kept end stay in place
    unmoved = np.all(sheet.positions[events.vertex_old_to_new[kept]] == positions[kept], axis=1)
    assert unmoved.sum() == nv - 2
    assert len(sheet.cells()[a]) == sides - 1
    assert edge_lengths(sheet).min() > 0.3  # no short edge left
    assert total_area(sheet) == pytest.approx(enclosed_area(sheet), rel=1e-12)
    assert abs(total_area(sheet) - before) <= area_change_bound(p, i, j, n)
    moved = np.abs(cell_areas(sheet) - areas) > 1e-12
    assert moved.sum() <= 2 and moved[a]  # a and the cell at the kept vertex


def test_random_boundary_events_keep_open_sheet_valid_and_area_accounted():
    """Hundreds of random boundary T1s, boundary extrusions, divisions of boundary cells and
    interior T1s on an open sheet that relaxes in between (with the events of apply_topology).

    After each: check(); the cells tile exactly the area inside the boundary; a boundary T1
    changes that area by at most the bound of the midpoint shift; cutting out a cell removes
    exactly its area and leaves the other cells untouched."""
    rng = np.random.default_rng(31)
    sheet = Sheet.voronoi(80, box=(9.0, 9.0), lloyd=3, seed=12)
    A0 = cell_areas(sheet).mean()
    model = VertexModel(K=1 / A0**2, A0=A0, Gamma=0.04 / A0, Lambda=0.12 / np.sqrt(A0))
    t1_length = 0.1 * np.sqrt(A0)
    integrator = Overdamped(model, min_edge_length=t1_length)
    counts = {"boundary_t1": 0, "boundary_extrusion": 0, "division": 0, "t1": 0}
    resolved_by_apply = 0  # boundary T1s and corner merges of apply_topology
    while min(counts.values()) < 100:
        before, areas = total_area(sheet), cell_areas(sheet)
        choice = rng.random()
        if choice < 0.35:
            event = "boundary_t1"
            h = int(rng.choice(boundary_edges(sheet)))
            p, i, j, n = boundary_neighbourhood(sheet, h)
            done = t1_swap(sheet, h, new_length=0.3 * np.sqrt(A0))
            if done:
                assert abs(total_area(sheet) - before) <= area_change_bound(p, i, j, n)
        elif choice < 0.6 and sheet.n_cells > 50:
            event = "boundary_extrusion"
            slot = int(rng.choice(boundary_cells(sheet)))
            ids = sheet.ids.copy()
            events = extrude_cell(sheet, slot)
            done = len(events.removed_ids) == 1
            if done:  # the others keep their ids and order
                assert np.array_equal(sheet.ids, np.delete(ids, slot))
        elif choice < 0.8 and sheet.n_cells < 110:
            event = "division"
            events = divide_cell(sheet, int(rng.choice(boundary_cells(sheet))))
            done = len(events.divisions) == 1
            if done:  # the cut only splits edges: every area is kept
                assert total_area(sheet) == pytest.approx(before, rel=1e-12)
        else:
            event = "t1"
            h = int(rng.integers(sheet.n_half_edges))
            done = sheet.face[h] >= 0 and sheet.face[sheet.twin[h]] >= 0 and t1_swap(sheet, h)
        counts[event] += bool(done)
        assert sheet.check(geometry=False)
        assert total_area(sheet) == pytest.approx(enclosed_area(sheet), rel=1e-12)
        integrator.step(sheet, dt=0.2 * A0**2)
        events = apply_topology(sheet, t1_length=t1_length, extrusion_area=0.05 * A0)
        model.carry(events)
        resolved_by_apply += events.n_boundary_t1 + events.n_corner_merges
        assert sheet.check(geometry=False)
        assert total_area(sheet) == pytest.approx(enclosed_area(sheet), rel=1e-12)
    assert resolved_by_apply > 0
    assert sheet.check(geometry=True)
    assert np.unique(sheet.ids).size == sheet.n_cells


def test_cut_out_corner_cell_removes_exactly_its_area():
    sheet = Sheet.hexagonal(4, 4)
    corner = int(np.argmax(np.bincount(sheet.face[boundary_edges(sheet)]) >= 2))
    areas, before = cell_areas(sheet), total_area(sheet)
    events = extrude_cell(sheet, corner)
    assert events.removed_slots.tolist() == [corner]
    assert sheet.check()
    assert total_area(sheet) == pytest.approx(before - areas[corner], rel=1e-12)
    assert cell_areas(sheet) == pytest.approx(np.delete(areas, corner), rel=1e-12)


def test_apoptotic_boundary_cell_is_extruded_and_the_boundary_closes():
    sheet = Sheet.voronoi(40, box=(6.3, 6.3), lloyd=3, seed=9)
    dying = next(int(c) for c in boundary_cells(sheet)
                 if np.sum(sheet.face[boundary_edges(sheet)] == c) == 1)
    dying_id = int(sheet.cell_id[dying])
    A0 = np.ones(sheet.n_cells)
    A0[dying] = 0.0
    model = VertexModel(K=1.0, A0=A0, Gamma=0.04, Lambda=0.12)
    integrator = Overdamped(model, min_edge_length=0.05)
    start_area = cell_areas(sheet)[dying]
    for step in range(600):
        integrator.step(sheet, dt=0.1)
        before = total_area(sheet)
        events = apply_topology(sheet, t1_length=0.05, extrusion_area=0.1)
        model.carry(events)
        if len(events.removed_ids):
            break
    assert start_area > 0.5
    assert events.removed_ids.tolist() == [dying_id]
    assert sheet.n_cells == 39 and dying_id not in sheet.ids
    assert np.all(model.A0 == 1.0)
    assert sheet.check()
    # one boundary loop around all remaining cells; the little area the dying cell still had
    # (< extrusion_area) is all the sheet can lose, plus the midpoint shift of a boundary T1
    assert total_area(sheet) == pytest.approx(enclosed_area(sheet), rel=1e-12)
    assert abs(total_area(sheet) - before) < 0.1 + 0.05


def run_open_sheet_under_boundary_tension(seed, boundary_t1, min_edge_length, steps=500):
    """40-cell open Voronoi patch whose boundary cells have 10x the line tension of the others
    (the outline contracts and squeezes boundary edges). Returns (sub-steps per step, shortest
    boundary edge after each step's topology events); stops early if the step stalls."""
    sheet = Sheet.voronoi(40, box=(6.3, 6.3), lloyd=3, seed=seed)
    A0 = cell_areas(sheet).mean()
    line_tension = np.full(sheet.n_cells, 0.1)
    line_tension[boundary_cells(sheet)] = 1.0
    model = VertexModel(K=3.0, A0=A0, Gamma=0.04, Lambda=line_tension)
    integrator = Overdamped(model, min_edge_length=min_edge_length, max_substeps=3000)
    substeps, shortest = [], []
    for _ in range(steps):
        try:
            substeps.append(integrator.step(sheet, dt=0.05))
        except RuntimeError:  # more than max_substeps: the explicit step collapsed
            break
        model.carry(apply_topology(sheet, t1_length=0.05, boundary_t1=boundary_t1, extrusion_area=0.05 * A0))
        shortest.append(edge_lengths(sheet)[boundary_edges(sheet)].min())
    assert sheet.check()
    return np.array(substeps), np.array(shortest)


def test_open_sheet_under_strong_boundary_tension_runs_without_step_collapse():
    # no floor on the step bound: without boundary T1s a boundary edge shrinks to nothing and
    # one step needs more than 3000 sub-steps; with them 500 steps run at a few sub-steps each
    stalled, _ = run_open_sheet_under_boundary_tension(5, boundary_t1=False, min_edge_length=0.0)
    substeps, shortest = run_open_sheet_under_boundary_tension(5, boundary_t1=True, min_edge_length=0.0)
    assert len(stalled) < 500
    assert len(substeps) == 500 and substeps.max() <= 20
    assert shortest.min() > 0.5 * 0.05
    # with the step bound floored at the T1 length the run goes on, but the boundary edge
    # shrinks to ~0 (a degenerate cell) and costs more sub-steps
    floored, squeezed = run_open_sheet_under_boundary_tension(2, boundary_t1=False, min_edge_length=0.05)
    substeps, shortest = run_open_sheet_under_boundary_tension(2, boundary_t1=True, min_edge_length=0.05)
    assert len(floored) == len(substeps) == 500
    assert squeezed.min() < 0.05 * 0.05 and shortest.min() > 0.5 * 0.05
    assert substeps.sum() < 0.7 * floored.sum()


def test_boundary_triangle_collapses_onto_the_boundary():
    """A triangle standing on the straight bottom side between two pentagons (3 x 2 sheet):
    it collapses into the midpoint of its boundary edge, the pentagons become the two
    1.5 x 2 rectangles and the sheet keeps its area (the side was straight)."""
    vertices = [[0, 0], [1, 0], [2, 0], [3, 0], [0, 2], [1.5, 0.6], [3, 2], [1.5, 2]]
    left, triangle, right = [0, 1, 5, 7, 4], [1, 2, 5], [2, 3, 6, 7, 5]
    sheet = Sheet.from_polygons(vertices, [left, triangle, right])
    events = extrude_cell(sheet, 1)
    assert events.removed_ids.tolist() == [1] and events.old_to_new.tolist() == [0, -1, 1]
    assert sheet.check()
    assert cell_areas(sheet) == pytest.approx([3.0, 3.0], rel=1e-12)
    assert sorted(len(c) for c in sheet.cells()) == [4, 4]
    assert [1.5, 0.0, 0.0] in sheet.positions.tolist()
