"""The view | render | plot | export subcommands through an argparse parser, as morphosim.cli wires them."""

import argparse

import imageio.v3 as iio
import pytest

import numpy as np

import morphosim
from morphosim.errors import InputError
from morphosim.io import StoreWriter
from viz.cli import add_commands


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="morphosim")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args([str(arg) for arg in argv])
    return args.handler(args)


def test_render_plot_and_export_commands(shell_store, tmp_path, capsys):
    run = morphosim.open_run(shell_store.path)
    assert run_cli("render", shell_store.path, "--out", tmp_path / "shell.png", "--color", "N",
                   "--fields", "bmp", "--camera", "xz", "--frame", "-1", "--size", "640", "320") == 0
    assert iio.imread(tmp_path / "shell.png").shape == (320, 640, 3)
    assert run_cli("plot", shell_store.path, "--out", tmp_path / "series.png") == 0
    assert (tmp_path / "series.png").stat().st_size > 10_000
    assert run_cli("export", shell_store.path, "--vtk", tmp_path / "vtk") == 0
    assert len(list((tmp_path / "vtk" / "cells").glob("*.vtp"))) == len(run.times)
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["render", "{missing}", "--out", "{tmp}/a.png"], "no such run store"),
    (["render", "{store}", "--out", "{tmp}/a.png", "--color", "nope"], "--color nope: unknown cell quantity; choose one of .*area"),
    (["render", "{store}", "--out", "{tmp}/a.png", "--fields", "nope"], "--fields nope: unknown tissue field"),
    (["render", "{store}", "--out", "{tmp}/a.png", "--frame", "99"], "frame 99 out of range"),
    (["render", "{store}", "--out", "{tmp}/a.bmp"], "unsupported file type .bmp"),
    (["render", "{store}", "--out", "{tmp}/no/such/folder/a.png"], "does not exist"),
    (["render", "{store}", "--out", "{tmp}/a.gif", "--frame", "1"], "a movie shows every frame"),
    (["render", "{store}", "--out", "{tmp}/a.png", "--zoom", "0"], "--zoom 0.0: the zoom factor must be positive"),
    (["render", "{store}", "--out", "{tmp}/a.gif", "--fps", "-1"], "--fps -1.0: frames per second must be positive"),
    (["plot", "{store}", "--out", "{tmp}/a.txt"], "unsupported file type .txt"),
    (["export", "{missing}", "--vtk", "{tmp}/vtk"], "no such run store"),
])
def test_bad_input_is_a_one_line_input_error(argv, message, planar_store, tmp_path):
    fill = {"store": planar_store.path, "missing": tmp_path / "missing.zarr", "tmp": tmp_path}
    with pytest.raises(InputError, match=message) as error:
        run_cli(*[arg.format(**fill) for arg in argv])
    assert "\n" not in str(error.value)


def test_a_run_without_tissue_mesh_renders_plots_and_exports(tmp_path):
    """A plain vertex-model run: two frames of a 3 x 2 block of unit squares, no flow."""
    corners = np.array([[x, y, 0.0] for y in range(3) for x in range(4)])
    squares = [[y * 4 + x, y * 4 + x + 1, y * 4 + x + 5, y * 4 + x + 4] for y in range(2) for x in range(3)]
    writer = StoreWriter(tmp_path / "sheet.zarr", {"scenario": {"name": "squares"}})
    for k in range(2):
        writer.append_frame(float(k), {"vertices": corners * (1 + 0.1 * k), "cell_vertex_counts": np.full(6, 4),
                                       "cell_vertices": np.ravel(squares), "cell_ids": np.arange(6),
                                       "parent_ids": np.full(6, -1), "species/A": np.arange(6.0)})
    store = tmp_path / "sheet.zarr"
    assert run_cli("render", store, "--out", tmp_path / "sheet.gif", "--color", "shape_index") == 0
    assert len(iio.imread(tmp_path / "sheet.gif", index=None)) == 2
    assert run_cli("plot", store, "--out", tmp_path / "series.png") == 0
    assert run_cli("export", store, "--vtk", tmp_path / "vtk") == 0
    assert not (tmp_path / "vtk" / "tissue.pvd").exists()
    with pytest.raises(InputError, match="--fields bmp: unknown tissue field; the run records none"):
        run_cli("render", store, "--out", tmp_path / "sheet.png", "--fields", "bmp")


def test_viz_never_loads_dolfinx_and_its_cli_does_not_load_pyvista():
    import subprocess
    import sys

    check = ("import sys, viz.cli; assert 'pyvista' not in sys.modules, 'viz.cli loads pyvista'; "
             "import viz.viewer, viz.offscreen, viz.plot, viz.export; "
             "assert not [m for m in sys.modules if m.startswith(('dolfinx', 'petsc4py'))], 'viz loads dolfinx'")
    subprocess.run([sys.executable, "-c", check], check=True)
