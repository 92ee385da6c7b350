"""Contiguous cell rings: the layout the hot kernels read, and its rebuild after topology changes."""

import numpy as np
import pytest

from morphosim.cells import Overdamped, Sheet, VertexModel, apply_topology, t1_swap


@pytest.mark.parametrize("kind", ["planar", "periodic", "shell"])
def test_rings_list_every_side_of_every_cell_once(kind, small_sheet):
    sheet = small_sheet(kind)
    rings = sheet.rings()
    for c, loop in enumerate(sheet.cells()):
        assert np.array_equal(rings.ring_vertex[rings.cell_start[c]:rings.cell_start[c + 1]], loop)
    edge, reversed_, boundary = rings.ring_code >> 2, (rings.ring_code >> 1) & 1, rings.ring_code & 1
    ne = sheet.n_half_edges
    n_boundary = int(np.count_nonzero(sheet.face[:ne] < 0))
    assert rings.n_edges == ne // 2
    # every edge is run forwards by exactly one cell, backwards by the other (if any)
    assert np.array_equal(np.bincount(edge[reversed_ == 0], minlength=rings.n_edges), np.ones(rings.n_edges))
    assert np.count_nonzero(reversed_) == rings.n_edges - n_boundary
    assert np.count_nonzero(boundary) == n_boundary
    # the stored direction is the one the forward cell runs: tail -> head = its vertex -> next vertex
    forward = np.flatnonzero(reversed_ == 0)
    assert np.array_equal(rings.edge_tail[edge[forward]], rings.ring_vertex[forward])


def fresh_forces(sheet, model):
    """Forces on a copy, whose rings are built from scratch."""
    return model.forces(sheet.copy())


def test_rings_are_rebuilt_after_topology_events(rng):
    sheet = Sheet.voronoi(60, box=(7.7, 7.7), periodic=True, lloyd=2, seed=4)
    model = VertexModel(K=1.0, A0=1.0, Gamma=0.04, Lambda=0.12)
    integrator = Overdamped(model, xi=1.0)
    integrator.step(sheet, 0.01)  # rings of the first topology are cached now
    before = sheet.rings()
    events = apply_topology(sheet, division_area=1.1, t1_length=0.2)
    assert len(events.divisions) > 0 and sheet.rings() is not before
    assert np.array_equal(model.forces(sheet), fresh_forces(sheet, model))
    # a single swap through the Python API
    h = int(np.flatnonzero(sheet.face[: sheet.n_half_edges] >= 0)[0])
    assert t1_swap(sheet, h)
    assert np.array_equal(model.forces(sheet), fresh_forces(sheet, model))
    # no event: the rings are kept
    kept = sheet.rings()
    assert not apply_topology(sheet, t1_length=1e-6).changed
    assert sheet.rings() is kept


def test_replaced_arrays_rebuild_rings():
    """A checkpoint load replaces the sheet's arrays (same topology version): rings must follow."""
    sheet = Sheet.voronoi(40, box=(6.3, 6.3), periodic=True, seed=5)
    model = VertexModel(K=1.0, A0=1.0, Gamma=0.04, Lambda=0.12)
    divided = sheet.copy()
    apply_topology(divided, divide=np.arange(divided.n_cells) % 3 == 0)
    model.forces(sheet)
    for name in ("vertices", "vertex_edge", "origin", "twin", "next", "face", "t1_block", "cell_edge", "cell_id",
                 "parent_id", "counts"):
        setattr(sheet, name, getattr(divided, name).copy())
    assert np.array_equal(model.forces(sheet), model.forces(divided))


@pytest.mark.parametrize("kind", ["periodic", "shell"])
def test_steps_are_deterministic(kind, small_sheet):
    def run():
        sheet = small_sheet(kind)
        integrator = Overdamped(VertexModel(K=1.0, A0=1.1, Gamma=0.04, Lambda=0.12), xi=1.0)
        for _ in range(5):
            integrator.step(sheet, 0.05)
        return sheet.positions.copy()

    assert np.array_equal(run(), run())
