"""`mpiexec -n 2 morphosim run`: the store of a 2-rank run with flow and morphogen fields matches
the 1-rank run's, a 2-rank checkpoint resumes on 2 ranks (and is refused on 1), and a
failure on one rank ends both ranks with its message instead of leaving one waiting for ever."""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.coupling.stores import store_arrays

ROOT = Path(__file__).resolve().parents[2]
MPIEXEC = Path(sys.executable).with_name("mpiexec")
# an open sheet (periodic meshes are serial only) on its padded rectangle of compressible flow,
# a gene circuit reading x and a morphogen field that it secretes: every part that MPI splits
SCENARIO = f"""\
name: mpi_small
seed: 3
time: {{end: 2.0, dt: 0.25, record_every: 0.5}}
cells:
  geometry: {{kind: hexagonal, rows: 4, cols: 6, periodic: false}}
  mechanics: {{K: 1.0, A0: 1.0, Gamma: 0.04, Lambda: 0.12, xi: 1.0}}
genes:
  model: {ROOT / "models" / "morphogen_french_flag.xml"}
  inputs: {{x: position.x, morphogen: field.morphogen}}
  outputs:
    A0: {{species: Growth, base: 1.0, gain: 1.5}}
tissue:
  flow: {{mu: 1.0, gamma: 0.1, mesh_size: 0.5, compressible: true, bulk_viscosity: 1.0}}
  fields:
    morphogen: {{D: 1.0, k: 0.1, secreted_by: Source}}
output: {{path: out.zarr}}
"""
pytestmark = pytest.mark.mpi


def environment() -> dict:
    # the checkout under test, not whichever morphosim is installed
    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    return dict(os.environ, OMP_NUM_THREADS="1", MORPHOSIM_THREADS="1", PYTHONPATH=path)


def morphosim(ranks: int, *args, timeout=300) -> subprocess.CompletedProcess:
    launcher = [str(MPIEXEC), "-n", str(ranks)] if ranks > 1 else []
    return subprocess.run([*launcher, sys.executable, "-m", "morphosim.cli", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, env=environment())


def committed_frames(store: Path) -> int:
    try:
        return json.loads((store / "zarr.json").read_text())["attributes"]["morphosim"]["commit"]["frames"]
    except (OSError, ValueError, KeyError):
        return 0


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Stores of the scenario run to t = 2 on 1 rank and on 2, and on 2 ranks stopped at t = 1
    then resumed to t = 2."""
    folder = tmp_path_factory.mktemp("mpi")
    (folder / "s.yaml").write_text(SCENARIO)
    stores = {}
    for name, ranks, steps in (("one", 1, [()]), ("two", 2, [()]),
                               ("resumed", 2, [("--set", "time.end=1.0"), ("--resume",)])):
        for extra in steps:
            done = morphosim(ranks, "run", folder / "s.yaml", "--quiet", *extra)
            assert done.returncode == 0, done.stderr[-3000:]
        stores[name] = folder / name
        (folder / "out.zarr").rename(stores[name])
    return folder, stores


def assert_close_stores(first: dict, second: dict) -> None:
    """The same arrays; integers (topology, ids, counts) equal, floats within round-off."""
    assert sorted(first) == sorted(second)
    for name, reference in first.items():
        assert reference.shape == second[name].shape, name
        if reference.dtype.kind != "f":
            assert np.array_equal(reference, second[name]), name
            continue
        # the flow's solve on 2 ranks sums in another order than on 1, and its ghost updates
        # need not arrive in the same order from one 2-rank run to the next: round-off, ~1e-15
        # of the values (measured), carried through 8 steps of dissipative motion. 1e-9 leaves
        # room and still fails for any misplaced, missing or rank-local value.
        scale = max(np.abs(reference).max(), 1e-300)
        assert np.abs(second[name] - reference).max() <= 1e-9 * scale, name


def test_two_ranks_record_what_one_rank_records(runs):
    folder, stores = runs
    one, two = store_arrays(stores["one"]), store_arrays(stores["two"])
    assert len(one["times"]) == 5 and one["series/fields/velocity"].shape[1] == len(one["static/mesh_points"])
    assert np.abs(one["series/fields/velocity"]).max() > 1e-2 and one["series/fields/morphogen"].max() > 0
    # the whole mesh and every field on it, not rank 0's part: the same points, triangles and values
    assert_close_stores(one, two)


def test_a_two_rank_checkpoint_resumes_on_two_ranks_and_is_refused_on_one(runs):
    folder, stores = runs
    two, resumed = store_arrays(stores["two"]), store_arrays(stores["resumed"])
    assert_close_stores(two, resumed)
    shutil.copytree(stores["resumed"], folder / "out.zarr")
    (folder / "s.yaml").write_text(SCENARIO.replace("end: 2.0", "end: 2.5"))
    done = morphosim(1, "run", folder / "s.yaml", "--quiet", "--resume")
    assert done.returncode == 2
    assert "written by 2 MPI rank(s): resume it on as many (mpiexec -n 2), not 1" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_failure_on_one_rank_ends_every_rank_with_its_message():
    started = time.perf_counter()
    case = Path(__file__).with_name("mpi_failure_case.py")
    done = subprocess.run([str(MPIEXEC), "-n", "2", sys.executable, str(case)], capture_output=True, text=True,
                          timeout=60, env=environment())
    assert done.returncode != 0
    assert "morphosim: run failed on rank 1 of 2: rank 1 lost its disk" in done.stderr, \
        f"exit {done.returncode}, stdout {done.stdout!r}, stderr {done.stderr!r}"
    assert time.perf_counter() - started < 60


def test_a_store_write_failing_on_rank_0_mid_run_ends_both_ranks(tmp_path):
    (tmp_path / "s.yaml").write_text(SCENARIO.replace("end: 2.0", "end: 50.0"))
    store = tmp_path / "out.zarr"
    command = [str(MPIEXEC), "-n", "2", sys.executable, "-m", "morphosim.cli", "run", tmp_path / "s.yaml", "--quiet"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment())
    try:
        deadline = time.monotonic() + 240
        while committed_frames(store) < 2 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert committed_frames(store) >= 2, "the run did not record two frames"
        store.rename(tmp_path / "moved.zarr")   # rank 0 alone writes: its next frame fails there only,
        store.write_text("a file")              # while rank 1 goes on into the next flow solve
        _, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:   # hung: mpiexec passes SIGTERM on to the ranks
            process.terminate()
            process.wait(timeout=30)
    assert process.returncode != 0
    line = next(line for line in stderr.splitlines() if line.startswith("morphosim: run failed on rank 0 of 2: [Errno"))
    assert str(store) in line   # the OS error writing the store, where it happened
    # an environment problem: one line, not a traceback, up to the abort; what the other rank prints
    # while MPI_Abort tears it down (under load it can be caught inside a collective) is MPI's
    before_abort = stderr.split("Abort(1)")[0]
    assert "Traceback" not in before_abort
