"""Stores after kills and corruption: a reader sees only committed frames, damage is detected and
named in one line (exit 2), resume refuses a changed scenario and continues a store stopped before
its first checkpoint from t = 0."""

import json
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import zarr

import morphosim
from morphosim.cli import main
from morphosim.errors import InputError
from morphosim.io import StoreWriter
from morphosim.io.store import StoreDamaged
from tests.coupling.stores import assert_identical_stores
from tests.io.test_store import square_frame

TINY = """\
name: tiny
time: {end: 0.05, dt: 0.01}
cells:
  geometry: {kind: hexagonal, rows: 4, cols: 4, periodic: true}
  mechanics: {K: 1.0, A0: 1.1, Gamma: 0.04, Lambda: 0.12}
output: {path: out.zarr}
"""


def cli(*args, capsys):
    code = main([str(a) for a in args])
    err = capsys.readouterr().err
    return code, err


@pytest.fixture
def tiny(tmp_path, capsys):
    """A finished 6-frame run of TINY: (scenario path, store path)."""
    (tmp_path / "s.yaml").write_text(TINY)
    assert cli("run", tmp_path / "s.yaml", "--quiet", capsys=capsys)[0] == 0
    return tmp_path / "s.yaml", tmp_path / "out.zarr"


def committed_frames(store) -> int:
    try:
        return json.loads((store / "zarr.json").read_text())["attributes"]["morphosim"]["commit"]["frames"]
    except (OSError, ValueError, KeyError):   # not written yet, or being replaced
        return 0


def chunk_files(store, array):
    return sorted(p for p in (store / array / "c").rglob("*") if p.is_file())


def test_a_torn_times_array_shows_only_committed_frames(tmp_path):
    path = tmp_path / "run.zarr"
    writer = StoreWriter(path, {"seed": 0})
    for k in range(2):
        writer.append_frame(0.5 * k, square_frame(2, k))
    # killed while `times` grew for a third frame: its row exists, the commit does not
    times = zarr.open_group(path, mode="r+")["times"]
    times.resize((3,))
    times[2] = 0.0
    run = morphosim.open_run(path)
    np.testing.assert_array_equal(run.times, [0.0, 0.5])
    assert run.check() == []


def test_a_store_killed_in_its_first_frame_holds_no_frame(tmp_path):
    # `times` already has its first chunk (1024 rows) but no commit was written: zero frames, not 1024
    path = tmp_path / "run.zarr"
    StoreWriter(path, {"seed": 0})
    zarr.open_group(path, mode="r+")["times"].resize((1024,))
    run = morphosim.open_run(path)
    assert len(run) == 0 and run.check() == []


@pytest.mark.parametrize("damage", ["deleted chunk", "garbage chunk"])
def test_a_damaged_frame_is_named_not_read(tiny, damage, capsys, tmp_path):
    _, store = tiny
    victim = chunk_files(store, "frames/float/0")[0]
    if damage == "deleted chunk":
        victim.unlink()
    else:
        victim.write_bytes(np.random.default_rng(0).bytes(victim.stat().st_size))
    run = morphosim.open_run(store)
    with pytest.raises(StoreDamaged, match=r"frame 0 (is damaged|cannot be read)"):
        run.frame(0)
    code, err = cli("check", store, capsys=capsys)
    assert code == 2 and "frame 0" in err and "Traceback" not in err
    for command in (["render", store, "--out", tmp_path / "a.png", "--frame", "0"],
                    ["export", store, "--vtk", tmp_path / "vtk"]):
        code, err = cli(*command, capsys=capsys)
        assert code == 2 and ("damaged" in err or "cannot be read" in err), err
        assert len(err.strip().splitlines()) == 1


def test_check_reports_a_sound_store(tiny, capsys):
    _, store = tiny
    code = main(["check", str(store)])
    assert code == 0 and "ok, 6 frames, checkpoint at frame 5" in capsys.readouterr().out


def test_broken_or_foreign_stores_are_input_errors(tmp_path, capsys):
    truncated = tmp_path / "truncated.zarr"
    truncated.mkdir()
    (truncated / "zarr.json").write_text('{"zarr_format": 3, "node_type": "gro')
    with pytest.raises(StoreDamaged, match="not a readable run store"):
        morphosim.open_run(truncated)
    foreign = tmp_path / "foreign.zarr"
    zarr.open_group(foreign, mode="w").attrs["owner"] = "someone else"
    with pytest.raises(InputError, match="a zarr group without morphosim's attributes"):
        morphosim.open_run(foreign)
    empty = tmp_path / "empty.zarr"
    StoreWriter(empty, {"seed": 0})
    assert len(morphosim.open_run(empty)) == 0
    for command in (["plot", empty, "--out", tmp_path / "p.png"], ["export", empty, "--vtk", tmp_path / "v"],
                    ["plot", truncated, "--out", tmp_path / "q.png"]):
        code, err = cli(*command, capsys=capsys)
        assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "v").exists()


def test_a_damaged_checkpoint_is_not_resumed(tiny, capsys):
    scenario, store = tiny
    slot = morphosim.open_run(store).attributes["checkpoint"]["slot"]
    chunk = chunk_files(store, f"checkpoint/{slot}")[0]
    chunk.write_bytes(np.random.default_rng(1).bytes(chunk.stat().st_size))
    code, err = cli("run", scenario, "--quiet", "--resume", "--set", "time.end=0.08", capsys=capsys)
    assert code == 2 and "checkpoint" in err and "start again with --overwrite" in err


@pytest.mark.parametrize("override, named", [("cells.mechanics.K=2.0", "cells.mechanics.K"),
                                              ("time.dt=0.02", "time.dt"),
                                              ("seed=3", "seed")])
def test_resume_refuses_a_changed_scenario(tiny, override, named, capsys):
    scenario, store = tiny
    before = json.loads((store / "zarr.json").read_text())
    code, err = cli("run", scenario, "--quiet", "--resume", "--set", "time.end=0.08", "--set", override,
                    capsys=capsys)
    assert code == 2 and f"differs from the stored run's in {named}" in err
    assert json.loads((store / "zarr.json").read_text()) == before


def test_resume_refuses_a_changed_model_file(tmp_path, capsys):
    model = tmp_path / "m.ant"
    model.write_text("model m\n  J0: -> X; k\n  k = 1; X = 0\nend\n")
    (tmp_path / "s.yaml").write_text(TINY + "genes: {model: m.ant}\n")
    assert cli("run", tmp_path / "s.yaml", "--quiet", capsys=capsys)[0] == 0
    model.write_text("model m\n  J0: -> X; k\n  k = 2; X = 0\nend\n")
    code, err = cli("run", tmp_path / "s.yaml", "--quiet", "--resume", "--set", "time.end=0.08", capsys=capsys)
    assert code == 2 and "the SBML model file's content" in err


def test_a_store_stopped_before_its_first_checkpoint_resumes_from_the_start(tiny, tmp_path, capsys):
    """Frame 0 committed, no checkpoint yet (a kill between the two): --resume starts again at
    t = 0 and gives the uninterrupted run's store."""
    scenario, whole = tiny
    early = tmp_path / "early.zarr"
    assert cli("run", scenario, "--quiet", "--set", f"output.path={early}", "--set", "time.end=0.01",
               capsys=capsys)[0] == 0
    root = zarr.open_group(early, mode="r+")
    attributes = dict(root.attrs["morphosim"])
    del attributes["checkpoint"]
    attributes["commit"] = {"frames": 1, "checksums": attributes["commit"]["checksums"][:1]}
    root.attrs["morphosim"] = attributes
    code, err = cli("run", scenario, "--quiet", "--resume", "--set", f"output.path={early}", capsys=capsys)
    assert code == 0, err
    assert_identical_stores(whole, early)


def test_sigterm_stops_between_steps_like_ctrl_c(tmp_path):
    (tmp_path / "s.yaml").write_text(TINY.replace("end: 0.05", "end: 1000.0"))
    process = subprocess.Popen([sys.executable, "-m", "morphosim.cli", "run", "s.yaml", "--quiet"], cwd=tmp_path,
                               stderr=subprocess.PIPE, text=True)
    store = tmp_path / "out.zarr"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if len(morphosim.open_run(store)) >= 3:
                break
        except InputError:
            pass
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 1 and "interrupted" in stderr and "Traceback" not in stderr
    assert "PETSC" not in stderr.upper()
    run = morphosim.open_run(store)
    assert run.attributes["status"] == "stopped" and len(run) >= 3 and run.check() == []


def test_sparse_checkpoints_resume_bit_identically(tiny, tmp_path, capsys):
    """With a checkpoint every 2nd frame, a run killed after its last frame but before that frame's
    checkpoint resumes from frame 4's checkpoint, recomputes frame 5 and matches the uninterrupted run."""
    import io

    from morphosim.io.store import archive_checksum

    scenario, whole = tiny
    part = tmp_path / "part.zarr"
    every = ["--set", "output.checkpoint_every=2"]
    assert cli("run", scenario, "--quiet", "--set", f"output.path={part}", *every, capsys=capsys)[0] == 0
    root = zarr.open_group(part, mode="r+")
    attributes = dict(root.attrs["morphosim"])
    assert attributes["checkpoint"]["frame"] == 5                 # the last frame always has one
    older = 1 - attributes["checkpoint"]["slot"]                  # the slot before holds frame 4's
    blob = root[f"checkpoint/{older}"][...].tobytes()
    with np.load(io.BytesIO(blob)) as archive:
        assert int(archive["step"][0]) == 4
    attributes["checkpoint"] = {"slot": older, "frame": 4, "step": 4, "checksum": archive_checksum(blob)}
    root.attrs["morphosim"] = attributes
    assert cli("run", scenario, "--quiet", "--resume", "--set", f"output.path={part}", *every, capsys=capsys)[0] == 0
    assert_identical_stores(whole, part)


def test_a_run_killed_with_sigkill_keeps_every_committed_frame_and_resumes(tmp_path, capsys):
    """kill -9 while frames are written (one every step, so the kill most likely lands inside a
    frame or a checkpoint): every committed frame reads back sound, and --resume finishes the
    uninterrupted run's store bit for bit."""
    long_run = TINY.replace("end: 0.05", "end: 0.8")
    (tmp_path / "s.yaml").write_text(long_run)
    store = tmp_path / "out.zarr"
    process = subprocess.Popen([sys.executable, "-m", "morphosim.cli", "run", str(tmp_path / "s.yaml"), "--quiet"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 240
        while process.poll() is None and time.monotonic() < deadline:
            if committed_frames(store) >= 10:
                break
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    run = morphosim.open_run(store)
    assert 10 <= len(run) < 81 and run.check() == []
    assert [run.frame(k).time for k in range(len(run))] == pytest.approx(0.01 * np.arange(len(run)))
    assert cli("run", tmp_path / "s.yaml", "--quiet", "--resume", capsys=capsys)[0] == 0
    (tmp_path / "s.yaml").write_text(long_run.replace("out.zarr", "whole.zarr"))
    assert cli("run", tmp_path / "s.yaml", "--quiet", capsys=capsys)[0] == 0
    assert_identical_stores(tmp_path / "whole.zarr", store)
