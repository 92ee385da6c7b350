"""A cell turned inside out: the failure names the cells and advice that fits the cause. A cell
that shrank steadily over many steps collapsed physically (extrusion or lower tension); one that
flipped within one step moved faster than the time step follows (lower time.dt)."""

import re

import numpy as np
import pytest

import morphosim
from morphosim import Simulation
from morphosim.cli import main
from morphosim.coupling import SimulationFailure

# An open 4 x 4 patch whose line tension beats its area stiffness: the cells shrink, the
# corner cells (two boundary edges) first, until one reaches zero area at t ≈ 2.5.
COLLAPSE = """\
name: collapse
time: {end: 4.0, dt: 0.1}
cells:
  geometry: {kind: hexagonal, rows: 4, cols: 4, periodic: false}
  mechanics: {K: 0.2, A0: 1.0, Gamma: 0.04, Lambda: 0.6}
output: {path: collapse.zarr}
"""


def failure(tmp_path, dt):
    path = tmp_path / "collapse.yaml"
    path.write_text(COLLAPSE)
    sim = Simulation.from_scenario(path, [f"time.dt={dt}", f"time.record_every={dt}"])
    with pytest.raises(SimulationFailure) as error:
        sim.run(store=tmp_path / "collapse.zarr")
    inverted_ids = sim.sheet.ids[sim.cells.inverted]
    return str(error.value), inverted_ids, morphosim.open_run(tmp_path / "collapse.zarr")


def named_cells(message, kind):
    found = re.search(rf"cells ([\d, ]+) turned inside out {kind}", message)
    return sorted(int(i) for i in found.group(1).split(", ")) if found else []


def test_a_steady_collapse_is_called_physical_and_suggests_extrusion(tmp_path):
    message, inverted_ids, run = failure(tmp_path, 0.1)
    assert named_cells(message, "after shrinking steadily") == sorted(inverted_ids.tolist()) and len(inverted_ids) >= 1
    assert "cells.extrusion.area" in message and "cells.mechanics.Lambda" in message
    assert "within one step" not in message and "lower time.dt" not in message
    # the store's recorded areas show that collapse: every named cell lost area in each of the last
    # four recorded steps, and was below a tenth of its starting area one step before it failed
    for cell in inverted_ids:
        areas = [run.frame(k).cell_data["area"][run.frame(k).cell_ids == cell][0] for k in range(-4, 0)]
        assert np.all(np.diff(areas) < 0) and areas[-1] < 0.1 * run.frame(0).cell_data["area"].max()
    assert run.times[-1] >= 2.0          # it failed after many steps, not at the start


def test_a_flip_within_one_step_suggests_a_shorter_time_step(tmp_path):
    message, inverted_ids, run = failure(tmp_path, 1.0)
    assert named_cells(message, "within one step") == sorted(inverted_ids.tolist()) and len(inverted_ids) >= 1
    assert "lower time.dt = 1" in message and "extrusion" not in message
    # one recorded step before, the named cells still held a fifth of their start area or more
    last = run.frame(-1)
    for cell in inverted_ids:
        assert last.cell_data["area"][last.cell_ids == cell][0] > 0.2 * run.frame(0).cell_data["area"].max()


def test_the_cli_prints_the_advice_as_one_line(tmp_path, capsys):
    path = tmp_path / "collapse.yaml"
    path.write_text(COLLAPSE)
    assert main(["run", str(path), "--quiet"]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in lines[0]
    assert "turned inside out after shrinking steadily to zero area" in lines[0]


# A 3D monolayer whose surface tensions beat its volume stiffness: the cells' volumes fall steadily.
COLLAPSING_MONOLAYER = """\
name: collapse3d
time: {end: 1.0, dt: 0.05}
cells:
  geometry: {kind: hexagonal, rows: 4, cols: 4}
  monolayer: {height: 1.0}
  mechanics: {apical_tension: 3.0, basal_tension: 3.0, lateral_tension: 3.0, volume_stiffness: 0.05}
output: {path: collapse3d.zarr}
"""


def test_a_monolayer_collapse_names_volumes_and_surface_tensions(tmp_path):
    path = tmp_path / "collapse3d.yaml"
    path.write_text(COLLAPSING_MONOLAYER)
    sim = Simulation.from_scenario(path)
    volumes = [sim.cells.signed_sizes.copy()]
    with pytest.raises(SimulationFailure) as error:
        while True:
            sim.step()
            volumes.append(sim.cells.signed_sizes.copy())
    message, inverted_ids = str(error.value), sim.sheet.ids[sim.cells.inverted]
    assert named_cells(message, "after shrinking steadily") == sorted(inverted_ids.tolist())
    assert "zero volume" in message and "cells.extrusion.volume" in message
    assert "cells.mechanics.apical_tension, basal_tension, lateral_tension" in message
    # the named cells' volumes fell in every step before (slots do not change: no topology events here)
    history = np.array(volumes)[:, sim.cells.inverted]
    assert np.all(np.diff(history, axis=0) < 0) and len(history) >= 4
