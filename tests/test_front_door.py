"""The Python front door: morphosim.Simulation from a scenario file or dict, stepped, run and
recorded exactly as `morphosim run` records it."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import morphosim
from tests.coupling.stores import assert_identical_stores, run_cli

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "lateral_inhibition_small.yaml"
OVERRIDES = ["time.end=4", "time.record_every=1"]


def test_import_is_light_and_sets_nothing():
    check = ("import os, sys, morphosim; "
             "assert not [m for m in sys.modules if m.startswith(('numba', 'dolfinx', 'zarr', 'roadrunner'))]; "
             "assert 'OMP_WAIT_POLICY' not in os.environ; "
             "assert set(morphosim.__all__) >= {'Simulation', 'open_run', 'load_scenario', 'Frame', 'genes', "
             "'cells', 'tissue'}; "
             "assert morphosim.Simulation.__name__ == 'Simulation'")
    env = {key: value for key, value in __import__("os").environ.items() if key != "OMP_WAIT_POLICY"}
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr


def test_step_run_and_frame(tmp_path):
    sim = morphosim.Simulation.from_scenario(SCENARIO, overrides=OVERRIDES)
    assert sim.time == 0.0 and sim.dt == 0.25
    sim.step()
    assert sim.time == 0.25 and sim.step_index == 1
    sim.run(until=2.0)
    assert sim.time == 2.0
    frame = sim.frame()
    assert isinstance(frame, morphosim.Frame) and frame.time == 2.0
    assert len(frame.cells) == sim.sheet.n_cells == 144
    np.testing.assert_array_equal(frame.species["D"], sim.species("D"))
    # the gene input is what coupling says it is: the neighbours' mean Delta, cell by cell
    from morphosim.coupling import input_value
    indptr, indices, _ = sim.cells.adjacency
    expected = [sim.species("D")[indices[indptr[c]:indptr[c + 1]]].mean() for c in range(144)]
    np.testing.assert_allclose(input_value(sim.cells, "neighbours.mean.D"), expected, rtol=1e-14)


def test_run_with_a_store_writes_what_the_command_writes(tmp_path):
    sim = morphosim.Simulation.from_scenario(SCENARIO, overrides=OVERRIDES)
    sim.run(store=tmp_path / "python.zarr")
    assert len(morphosim.open_run(tmp_path / "python.zarr")) == 5
    command = run_cli("run", SCENARIO, "--quiet", *[part for o in OVERRIDES for part in ("--set", o)],
                      "--set", f"output.path={tmp_path / 'cli.zarr'}")
    assert command.returncode == 0, command.stderr
    assert_identical_stores(tmp_path / "python.zarr", tmp_path / "cli.zarr")
    # a recorded frame equals the live one
    live, stored = sim.frame(), morphosim.open_run(tmp_path / "python.zarr").frame(-1)
    np.testing.assert_array_equal(live.vertices, stored.vertices)
    np.testing.assert_array_equal(live.species["N"], stored.species["N"])
    assert live.events == stored.events


def test_a_dict_scenario_is_checked_like_a_file(tmp_path):
    scenario = {
        "name": "from_python", "time": {"end": 0.5, "dt": 0.1},
        "cells": {"geometry": {"kind": "hexagonal", "rows": 4, "cols": 4, "periodic": True},
                  "mechanics": {"K": np.float64(1.0), "A0": 1.0, "Gamma": 0.04, "Lambda": 0.12}},
        "output": {"path": "x.zarr"},
    }
    sim = morphosim.Simulation.from_scenario(scenario, folder=tmp_path)
    sim.run()
    assert sim.time == pytest.approx(0.5) and sim.sheet.n_cells == 16
    scenario["cells"]["mechanics"]["K"] = "stiff"
    with pytest.raises(morphosim.InputError, match=r"^<dict>: cells.mechanics.K: expected a number"):
        morphosim.Simulation.from_scenario(scenario)
    with pytest.raises(morphosim.InputError, match=r"time.end: expected a number > 0"):
        morphosim.Simulation.from_scenario(dict(scenario, cells=None), overrides=["time.end=-1"])
