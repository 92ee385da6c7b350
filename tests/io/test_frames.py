"""A frame's cells: flat vertex loops (CellLoops) that read as the list of per-cell arrays, taken
from the sheet's ring table, equal to the sheet's own loops after divisions change the topology."""

import numpy as np
import pytest

import morphosim
from morphosim.io.frames import CellLoops

DIVIDING = {"name": "dividing", "time": {"end": 0.05, "dt": 0.01},
            "cells": {"geometry": {"kind": "hexagonal", "rows": 4, "cols": 4, "periodic": True},
                      "mechanics": {"K": 1.0, "A0": 1.1, "Gamma": 0.04, "Lambda": 0.12},
                      "division": {"area": 0.8}},
            "output": {"path": "unused.zarr"}}


def test_cell_loops_read_as_a_list_of_arrays():
    cells = [np.array([0, 1, 2]), np.array([2, 1, 3, 4]), np.array([5, 6, 7, 8, 9])]
    loops = CellLoops.of(cells)
    assert len(loops) == 3 and CellLoops.of(loops) is loops
    for k in range(-3, 3):
        np.testing.assert_array_equal(loops[k], cells[k])
    assert [list(cell) for cell in loops[1:]] == [list(cell) for cell in cells[1:]]
    np.testing.assert_array_equal(np.concatenate(loops), np.concatenate(cells))
    with pytest.raises(IndexError):
        loops[3]
    with pytest.raises(ValueError, match="sum to 12, but there are 11"):
        CellLoops(loops.counts, loops.flat[:-1])


def test_a_frame_has_the_sheets_cells_after_divisions():
    sim = morphosim.Simulation.from_scenario(DIVIDING)
    n_before = sim.sheet.n_cells
    for _ in range(3):
        sim.step()
    assert sim.sheet.n_cells > n_before   # the topology changed
    frame, reference = sim.frame(), sim.sheet.cells()
    assert len(frame.cells) == len(reference) == sim.sheet.n_cells
    assert all(np.array_equal(mine, theirs) for mine, theirs in zip(frame.cells, reference))
