"""A coarse shell (100 cells on the egg) records its flow at every cell: the centroids of cells
capping the poles lie far inside the egg, and their location used to fail ("points ... tolerance",
a traceback while recording)."""

from pathlib import Path

import numpy as np

import morphosim
from morphosim.cli import main

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "apical_constriction.yaml"


def test_apical_constriction_with_100_cells_records_the_flow_at_every_cell(tmp_path, capsys):
    code = main(["run", str(SCENARIO), "--quiet", "--set", "cells.geometry.n_cells=100",
                 "--set", "time.end=0.04", "--set", "time.record_every=0.02",
                 "--set", f"output.path={tmp_path / 'coarse.zarr'}"])
    assert code == 0, capsys.readouterr().err
    run = morphosim.open_run(tmp_path / "coarse.zarr")
    frame = run.frame(len(run.times) - 1)
    speed = frame.cell_data["flow_speed"]
    assert speed.shape == (100,) and np.isfinite(speed).all() and speed.max() > 0

