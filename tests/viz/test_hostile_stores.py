"""render | plot | export | view on stores that are missing, not stores, half-written or damaged, and
with bad --frame / --color values: exit code 2, one line naming the path or the option, no
traceback, nothing written."""

import shutil

import pytest

from morphosim.cli import main
from morphosim.io import StoreWriter

COMMANDS = {   # how each command is called on a store; {out} is a path in an empty folder
    "render": ["--out", "{out}/a.png"],
    "plot": ["--out", "{out}/a.png"],
    "export": ["--vtk", "{out}/vtk", "--geff", "{out}/lineage"],
    "view": [],
}


def missing(tmp_path, good):
    return tmp_path / "nothing.zarr"


def plain_folder(tmp_path, good):
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "notes.txt").write_text("mine")
    return tmp_path / "folder"


def regular_file(tmp_path, good):
    (tmp_path / "file.zarr").write_text("not a folder")
    return tmp_path / "file.zarr"


def torn_metadata(tmp_path, good):     # killed while zarr.json was written by hand (not by morphosim)
    shutil.copytree(good, tmp_path / "torn.zarr")
    text = (tmp_path / "torn.zarr" / "zarr.json").read_text()
    (tmp_path / "torn.zarr" / "zarr.json").write_text(text[: len(text) // 2])
    return tmp_path / "torn.zarr"


def lost_array(tmp_path, good):        # a half-copied store: one array's chunks are missing
    shutil.copytree(good, tmp_path / "half.zarr")
    shutil.rmtree(tmp_path / "half.zarr" / "frames" / "float")   # every frame's floating-point arrays
    return tmp_path / "half.zarr"


def no_frame_yet(tmp_path, good):      # created, stopped before its first frame
    StoreWriter(tmp_path / "empty.zarr", {"seed": 0})
    return tmp_path / "empty.zarr"


STORES = {   # name: (make the store, expected in the one line)
    "missing": (missing, "nothing.zarr: no such run store"),
    "a folder that is not a store": (plain_folder, "folder: not a morphosim run store (no zarr.json)"),
    "a regular file": (regular_file, "file.zarr: not a readable run store"),
    "torn zarr.json": (torn_metadata, "torn.zarr: not a readable run store (zarr.json:"),
    "an array lost": (lost_array, "half.zarr: frame "),
    "no frame yet": (no_frame_yet, "empty.zarr: the store holds no recorded frame yet"),
}


def one_line_exit_2(argv, capsys):
    code = main([str(arg) for arg in argv])
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, (argv, err)
    return lines[0]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("store", STORES)
def test_a_broken_store_is_one_line_exit_2(command, store, planar_store, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("DISPLAY", raising=False)   # view checks the store before it needs a window
    make, expected = STORES[store]
    path = make(tmp_path, planar_store.path)
    out = tmp_path / "out"
    out.mkdir()
    line = one_line_exit_2([command, path, *[arg.format(out=out) for arg in COMMANDS[command]]], capsys)
    assert expected in line, line
    assert list(out.iterdir()) == []


OPTIONS = {   # bad values of --frame and --color: (arguments, expected in the one line)
    "frame past the end": (["--frame", "99"], "frame 99 out of range: "),
    "frame before the start": (["--frame", "-99"], "frame -99 out of range: "),
    "frame not a number": (["--frame", "x"], "argument --frame: invalid int value: 'x'"),
    "unknown colour": (["--color", "nope"], "--color nope: unknown cell quantity; choose one of D, N, area"),
    "empty colour": (["--color", ""], "--color : unknown cell quantity"),
}


@pytest.mark.parametrize("command", ["render", "view"])
@pytest.mark.parametrize("option", OPTIONS)
def test_a_bad_frame_or_colour_is_one_line_exit_2(command, option, planar_store, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("DISPLAY", raising=False)
    arguments, expected = OPTIONS[option]
    line = one_line_exit_2([command, planar_store.path, *COMMANDS[command], *arguments], capsys) \
        if command == "view" else one_line_exit_2([command, planar_store.path, "--out", tmp_path / "a.png",
                                                   *arguments], capsys)
    assert expected in line, line
    assert not (tmp_path / "a.png").exists()
