"""The same Stokes solves on 1 and 2 MPI ranks agree to 1e-8."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

CASE = Path(__file__).with_name("mpi_stokes_case.py")
MPIEXEC = Path(sys.executable).with_name("mpiexec")


def run(ranks: int, output: Path) -> dict:
    # the checkout under test, not whichever morphosim is installed
    root = str(CASE.parents[2])
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]))
    command = [str(MPIEXEC), "-n", str(ranks), sys.executable, str(CASE), str(output)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(np.load(output))


@pytest.mark.mpi
def test_two_ranks_match_one_rank(tmp_path):
    serial = run(1, tmp_path / "one.npz")
    parallel = run(2, tmp_path / "two.npz")
    assert np.abs(serial["planar_velocity"]).max() > 1e-3
    assert np.abs(serial["surface_velocity"]).max() > 1e-3
    assert np.abs(serial["volume_velocity"]).max() > 1e-3
    for name, reference in serial.items():
        scale = max(np.abs(reference).max(), 1e-300)
        assert np.abs(parallel[name] - reference).max() <= 1e-8 * scale, name
