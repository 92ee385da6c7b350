"""The scripts in docs/examples run as a user runs them (a fresh process, from a folder holding
the project's scenarios and models) and print numbers that would be wrong if the physics were."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_example(name: str, folder: Path) -> str:
    for shared in ("scenarios", "models"):
        (folder / shared).symlink_to(ROOT / shared)
    result = subprocess.run([sys.executable, str(ROOT / "docs" / "examples" / name)], cwd=folder,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_coupled_run_ends_in_a_picture(tmp_path):
    out = run_example("coupled_run.py", tmp_path)
    high = float(re.search(r"(\d+)% of 144 cells high-Delta", out).group(1)) / 100
    assert 0.1 <= high <= 1 / 3              # isolated high-Delta cells: at most a third of a hexagonal sheet
    picture = tmp_path / "lateral_inhibition.png"
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and picture.stat().st_size > 10_000


def test_vertex_sheet_relaxes_to_equilibrium(tmp_path):
    out = run_example("vertex_sheet.py", tmp_path)
    mean_area = float(re.search(r"cell areas ([\d.]+)", out).group(1))
    assert abs(mean_area - 1.0) < 1e-4      # a periodic box is tiled exactly: mean area = box area / cells


def test_gene_network_runs_on_ten_thousand_cells(tmp_path):
    out = run_example("gene_network.py", tmp_path)
    low, high = map(float, re.search(r"P_lacI over the cells: ([\d.]+) \.\. ([\d.]+)", out).groups())
    assert "10000 cells x 6 species" in out and high - low > 10    # cells oscillate out of phase


def test_stokes_solve_matches_the_exact_shear_flow(tmp_path):
    out = run_example("stokes_solve.py", tmp_path)
    error, peak = map(float, re.search(r"largest error ([\d.e+-]+) of a peak speed ([\d.]+)", out).groups())
    assert peak == pytest.approx(1 / ((2 * 3.14159265 / 4) ** 2 + 0.5), rel=0.01) and error < 1e-3 * peak


def test_the_readme_shows_the_coupled_example_and_the_handshake_tables_as_they_are():
    from morphosim.coupling import handshake_tables

    readme = (ROOT / "README.md").read_text()
    tables = readme.split("<!-- handshake tables: written by morphosim.coupling.handshake_tables() -->\n")[1]
    assert tables.split("<!-- end of handshake tables -->")[0] == handshake_tables()
    example = (ROOT / "docs" / "examples" / "coupled_run.py").read_text()
    body = example.split('"""\n\n', 1)[1].rsplit("\nprint(", 1)[0]     # the script without docstring and last line
    assert body.strip() in readme
