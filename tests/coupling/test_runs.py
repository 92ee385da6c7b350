"""Whole runs from the CLI: restart equality, determinism, failures that keep their frames."""

import os

import numpy as np
import pytest

import morphosim
from tests.coupling.stores import assert_identical_stores, run_cli

FLOW_SHEET = """\
name: flowing_sheet
seed: 11
time: {end: 0.6, dt: 0.05, record_every: 0.1}
cells:
  geometry: {kind: voronoi, n_cells: 40, box: [7, 7], periodic: true, lloyd: 1}
  mechanics: {K: 1.0, A0: 1.0, Gamma: 0.04, Lambda: 0.12, xi: 1.0}
  division: {area: 1.35}
tissue:
  flow: {mu: 1.0, gamma: 0.2, mesh_size: 0.7}
  fields: {bmp: {D: 0.5, k: 0.1, initial: 1.0}}
output: {path: out/run.zarr}
"""


def test_restart_continues_bit_identically(write_scenario, tmp_path):
    scenario = write_scenario(FLOW_SHEET)
    whole = run_cli("run", scenario, "--quiet", "--set", "output.path=whole.zarr")
    assert whole.returncode == 0, whole.stderr
    half = run_cli("run", scenario, "--quiet", "--set", "output.path=split.zarr", "--set", "time.end=0.3")
    assert half.returncode == 0, half.stderr
    assert len(morphosim.open_run(tmp_path / "split.zarr")) == 4
    rest = run_cli("run", scenario, "--quiet", "--resume", "--set", "output.path=split.zarr")
    assert rest.returncode == 0, rest.stderr
    run = morphosim.open_run(tmp_path / "whole.zarr")
    assert len(run) == 7 and len(run.frame(-1).cells) > 40       # cells divided
    assert_identical_stores(tmp_path / "whole.zarr", tmp_path / "split.zarr")


def test_same_seed_same_store_whatever_the_thread_count(write_scenario, tmp_path):
    scenario = write_scenario(FLOW_SHEET.replace("end: 0.6", "end: 0.3"))
    stores = []
    for threads in ("1", "2"):
        env = dict(os.environ, NUMBA_NUM_THREADS=threads)
        result = run_cli("run", scenario, "--quiet", "--set", f"output.path=t{threads}.zarr", env=env)
        assert result.returncode == 0, result.stderr
        stores.append(tmp_path / f"t{threads}.zarr")
    assert_identical_stores(*stores)
    other_seed = run_cli("run", scenario, "--quiet", "--set", "output.path=s.zarr", "--set", "seed=12")
    assert other_seed.returncode == 0
    assert not np.array_equal(morphosim.open_run(stores[0]).frame(0).vertices,
                              morphosim.open_run(tmp_path / "s.zarr").frame(0).vertices)


def test_a_failing_run_keeps_its_frames_and_names_the_cause(write_scenario, tmp_path):
    # Strong negative line tension with no area stiffness: edges grow without bound until
    # cells fold over themselves.
    scenario = write_scenario(FLOW_SHEET.replace("K: 1.0", "K: 0.0").replace("Lambda: 0.12", "Lambda: -3.0")
                              .replace("end: 0.6", "end: 20.0"))
    result = run_cli("run", scenario, "--quiet")
    assert result.returncode == 1, result.stderr
    message = result.stderr.strip().splitlines()[-1]
    assert message.startswith("morphosim: run failed: step ") and "(t = " in message
    assert "cells" in message and "Traceback" not in result.stderr
    run = morphosim.open_run(tmp_path / "out" / "run.zarr")
    assert len(run) >= 1
    assert np.isfinite(run.frame(-1).vertices).all()


def _wait_for_frames(path, count, process, timeout=120):
    import time
    started = time.monotonic()
    while time.monotonic() - started < timeout and process.poll() is None:
        try:
            if len(morphosim.open_run(path)) >= count:
                return True
        except Exception:   # the store is being created
            pass
        time.sleep(0.2)
    return False


@pytest.mark.parametrize("signal_name", ["SIGKILL", "SIGINT"])
def test_a_killed_run_leaves_a_store_with_every_frame_written(write_scenario, tmp_path, signal_name):
    import signal
    import subprocess
    import sys

    scenario = write_scenario(FLOW_SHEET.replace("end: 0.6", "end: 100.0").replace("record_every: 0.1",
                                                                                    "record_every: 0.05"))
    process = subprocess.Popen([sys.executable, "-m", "morphosim.cli", "run", str(scenario), "--quiet"],
                               cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    store = tmp_path / "out" / "run.zarr"
    assert _wait_for_frames(store, 3, process), "the run did not record 3 frames"
    process.send_signal(getattr(signal, signal_name))
    _, stderr = process.communicate(timeout=60)
    run = morphosim.open_run(store)
    assert len(run) >= 3
    for k in range(len(run)):                       # every frame opens, complete
        frame = run.frame(k)
        assert len(frame.cells) == len(frame.cell_ids) and np.isfinite(frame.vertices).all()
    if signal_name == "SIGINT":
        assert process.returncode == 1 and "interrupted" in stderr and "Traceback" not in stderr
        resumed = run_cli("run", scenario, "--quiet", "--resume", "--set", "time.end=" + str(run.times[-1] + 0.1),
                          cwd=tmp_path)
        assert resumed.returncode == 0, resumed.stderr
        assert len(morphosim.open_run(store)) >= len(run) + 1
