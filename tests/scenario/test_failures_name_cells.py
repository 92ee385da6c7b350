"""A failed run names the cells (their ids) and what to change: cells that left the flow's mesh, a
gene integrator that failed for a block of cells."""

import numpy as np

import morphosim
from morphosim.cli import main


def test_cells_leaving_a_planar_flow_mesh_are_named(tmp_path, capsys):
    """A sheet of cells at 1/6 of their target area swells out of a flow mesh without padding: the
    failure names the cells whose vertices left it (boundary cells of the 4 x 4 sheet) and what to change."""
    (tmp_path / "s.yaml").write_text(
        "name: swell\ntime: {end: 2.0, dt: 0.1}\ncells:\n"
        "  geometry: {kind: hexagonal, rows: 4, cols: 4, cell_area: 1.0}\n"
        "  mechanics: {K: 1.0, A0: 6.0, Gamma: 0.04, Lambda: 0.12}\n"
        "tissue:\n  flow: {mu: 1.0, gamma: 1.0, mesh_size: 0.5, padding: 0.0}\noutput: {path: out.zarr}\n")
    assert main(["run", str(tmp_path / "s.yaml"), "--quiet"]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "left the tissue mesh (their vertices lie farther than" in lines[0], lines
    named = [int(word) for word in lines[0].split("cells ")[1].split(" left")[0].replace(" and", ",").split(", ")
             if word.isdigit()]
    assert named and set(named) <= {0, 1, 2, 3, 4, 7, 8, 11, 12, 13, 14, 15}   # cells on the sheet's rim
    assert "tissue.flow.padding" in lines[0]


def test_a_gene_integrator_failure_names_the_cell_ids(tmp_path, capsys):
    """dX/dt = X^2 blows up at t = 1/X0 (X0 in [0.35, 0.4]: after t = 2.5); by then cells have divided,
    so the sheet's ids differ from the population's rows, and the message gives the ids."""
    (tmp_path / "s.yaml").write_text(
        "name: blow-up\ntime: {end: 3.0, dt: 0.25}\ncells:\n"
        "  geometry: {kind: hexagonal, rows: 4, cols: 4, cell_area: 1.0}\n"
        "  mechanics: {K: 1.0, A0: 2.0, Gamma: 0.04, Lambda: 0.12}\n  division: {area: 1.3}\n"
        "genes:\n  antimony: |\n    model m\n      J0: -> X; X^2\n      X = 1\n    end\n"
        "  initial: {X: {uniform: [0.35, 0.4]}}\noutput: {path: out.zarr}\n")
    assert main(["run", str(tmp_path / "s.yaml"), "--quiet"]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "integrator needed a step too small" in lines[0], lines
    run = morphosim.open_run(tmp_path / "out.zarr")
    ids = run.frame(len(run.times) - 1).cell_ids   # the frame just before the failed step
    assert (ids[:8] != np.arange(8)).any()        # divisions made ids differ from rows
    assert f"(cell ids {', '.join(str(i) for i in ids[:8])} and {len(ids) - 8} more)" in lines[0]
