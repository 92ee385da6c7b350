"""No command deletes what it did not write: run, export, render and plot claim their output paths.

Every refusal is checked to leave the folder exactly as it was (same files, same contents)."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import morphosim
from morphosim.cli import main

TINY = """\
name: tiny
time: {end: 0.02, dt: 0.01}
cells:
  geometry: {kind: hexagonal, rows: 4, cols: 4, periodic: true}
  mechanics: {K: 1.0, A0: 1.0, Gamma: 0.04, Lambda: 0.12}
output: {path: out.zarr}
"""


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def project(tmp_path):
    """A scratch folder holding a scenario and a user's file beside it."""
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "s.yaml").write_text(TINY)
    (folder / "notes.txt").write_text("my notes\n")
    return folder


def cli(*args, capsys):
    code = main([str(a) for a in args])
    return code, capsys.readouterr().err


@pytest.mark.parametrize("output", ["d", ".", "..", "~", "s.yaml", "notes.txt", "/dev/null", "empty"])
def test_run_refuses_an_existing_path_that_is_not_a_store_and_touches_nothing(project, output, capsys,
                                                                               monkeypatch):
    (project / "d").mkdir()
    (project / "d" / "keep.txt").write_text("x\n")
    (project / "empty").mkdir()
    monkeypatch.setenv("HOME", str(project))        # "~" is the home folder: a scratch one here
    before = snapshot(project.parent)
    for flags in ([], ["--overwrite"]):
        code, err = cli("run", project / "s.yaml", "--quiet", "--set", f"output.path='{output}'", *flags,
                        capsys=capsys)
        assert code == 2
        assert "is not a morphosim run store; nothing was touched" in err and len(err.strip().splitlines()) == 1
        assert snapshot(project.parent) == before


def test_an_existing_store_needs_overwrite_and_overwrite_replaces_only_the_store(project, capsys):
    run = ["run", project / "s.yaml", "--quiet"]
    assert cli(*run, capsys=capsys)[0] == 0
    first = snapshot(project / "out.zarr")
    code, err = cli(*run, capsys=capsys)
    assert code == 2 and "use --overwrite to replace it or --resume to continue" in err
    assert snapshot(project / "out.zarr") == first
    assert cli(*run, "--set", "time.end=0.03", "--overwrite", capsys=capsys)[0] == 0
    assert len(morphosim.open_run(project / "out.zarr")) == 4    # the new run, not the old (3 frames)
    assert (project / "notes.txt").read_text() == "my notes\n"
    # a store that also holds a user's file is not removed, even with --overwrite
    (project / "out.zarr" / "mine.txt").write_text("mine\n")
    before = snapshot(project)
    code, err = cli(*run, "--overwrite", capsys=capsys)
    assert code == 2 and "holds files that are not part of the run store (mine.txt)" in err
    assert snapshot(project) == before


def test_a_scenario_inside_the_store_survives_overwrite(project, capsys):
    assert cli("run", project / "s.yaml", "--quiet", capsys=capsys)[0] == 0
    inner = project / "out.zarr" / "meta"
    inner.mkdir()
    (inner / "zarr.json").write_text('{"zarr_format": 3, "node_type": "group", "attributes": {}}')
    (inner / "s.yaml").write_text(TINY.replace("out.zarr", ".."))       # output.path: the store itself
    before = snapshot(project)
    code, err = cli("run", inner / "s.yaml", "--quiet", "--overwrite", capsys=capsys)
    assert code == 2 and "not replaced" in err and "s.yaml" in err
    assert snapshot(project) == before


def test_resume_needs_a_store(project, capsys):
    (project / "out.zarr").mkdir()
    code, err = cli("run", project / "s.yaml", "--quiet", "--resume", capsys=capsys)
    assert code == 2 and "no run store to resume" in err


@pytest.fixture(scope="module")
def tiny_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny")
    (folder / "s.yaml").write_text(TINY)
    result = subprocess.run([sys.executable, "-m", "morphosim.cli", "run", "s.yaml", "--quiet"], cwd=folder,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return folder / "out.zarr"


def test_export_claims_its_folder(tiny_store, tmp_path, capsys):
    user = tmp_path / "user"
    user.mkdir()
    (user / "keep.txt").write_text("x\n")
    before = snapshot(tmp_path)
    for flags in ([], ["--overwrite"]):
        code, err = cli("export", tiny_store, "--vtk", user, *flags, capsys=capsys)
        assert code == 2 and "is not a morphosim export folder" in err
        assert snapshot(tmp_path) == before
    vtk = tmp_path / "vtk"
    assert cli("export", tiny_store, "--vtk", vtk, capsys=capsys)[0] == 0
    assert (vtk / "cells.pvd").is_file()
    code, err = cli("export", tiny_store, "--vtk", vtk, capsys=capsys)
    assert code == 2 and "use --overwrite to replace it" in err
    (vtk / "cells" / "stale.vtp").write_text("old")
    assert cli("export", tiny_store, "--vtk", vtk, "--overwrite", capsys=capsys)[0] == 0
    assert not (vtk / "cells" / "stale.vtp").exists() and (vtk / "cells.pvd").is_file()


@pytest.mark.parametrize("command", ["render", "plot"])
def test_render_and_plot_replace_a_file_only_with_overwrite(tiny_store, tmp_path, command, capsys):
    picture = tmp_path / "picture.png"
    picture.write_bytes(b"user's picture")
    code, err = cli(command, tiny_store, "--out", picture, capsys=capsys)
    assert code == 2 and "exists: use --overwrite to replace it" in err
    assert picture.read_bytes() == b"user's picture"
    folder = tmp_path / "folder.png"
    folder.mkdir()
    code, err = cli(command, tiny_store, "--out", folder, "--overwrite", capsys=capsys)
    assert code == 2 and "is not a regular file" in err and folder.is_dir()
    assert cli(command, tiny_store, "--out", picture, "--overwrite", capsys=capsys)[0] == 0
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
