"""The command line as a user runs it: real subprocesses, exit codes, no tracebacks."""

import subprocess
import sys

import pytest


def morphosim(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "morphosim.cli", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def test_info_prints_the_engine_versions():
    result = morphosim("info")
    assert result.returncode == 0, result.stderr
    versions = dict(line.split(None, 1) for line in result.stdout.strip().splitlines())
    assert set(versions) >= {"morphosim", "python", "dolfinx", "petsc", "libroadrunner", "numba",
                             "pyvista", "zarr", "mpi_size", "numba_threads"}
    assert tuple(int(part) for part in versions["python"].split(".")[:2]) >= (3, 12)
    assert versions["dolfinx"].startswith("0.11")
    assert versions["mpi_size"] == "1" and int(versions["numba_threads"]) >= 1


def test_help_lists_the_commands():
    result = morphosim("--help")
    assert result.returncode == 0
    for command in ("info", "validate"):
        assert command in result.stdout


@pytest.mark.parametrize("text, expected", [
    ("name: [unclosed", "malformed YAML"),
    ("name: x\ntime: {end: 1, dt: 0.1}\ncells: {}\noutput: {path: o.zarr}\nbogus: 1\n",
     "scenario.yaml:5: bogus: unknown key"),
    ("name: x\ntime: {end: one, dt: 0.1}\ncells: {geometry: {kind: hexagonal, rows: 2, cols: 2},"
     " mechanics: {K: 1, A0: 1, Gamma: 0, Lambda: 0}}\noutput: {path: o.zarr}\n",
     "scenario.yaml:2: time.end: expected a number > 0, got 'one'"),
])
def test_validate_reports_bad_input_in_one_line_with_exit_code_2(tmp_path, text, expected):
    (tmp_path / "scenario.yaml").write_text(text)
    result = morphosim("validate", "scenario.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert not list(tmp_path.glob("*.zarr"))


def test_validate_missing_file(tmp_path):
    result = morphosim("validate", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2 and "scenario file not found" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
