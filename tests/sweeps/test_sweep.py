"""Sweeps on a real dask.distributed LocalCluster: every variant its own store, one table, failures
recorded, resumable, the same table on 1 and 2 workers."""

import textwrap
from pathlib import Path

import numpy as np
import pytest

import morphosim
from morphosim.cli import main
from morphosim.sweeps import load_sweep, plot_sweep, variants
from morphosim.sweeps.metrics import compute_metrics
from morphosim.sweeps.runner import SweepProgress

MODELS = Path(__file__).resolve().parents[2] / "models"

BASE = f"""\
name: sweep_base
seed: 1
time: {{end: 1.0, dt: 0.25, record_every: 0.5}}
cells:
  geometry: {{kind: voronoi, n_cells: 36, box: [6, 6], periodic: true, lloyd: 2}}
  mechanics: {{K: 1.0, A0: 1.0, Gamma: 0.04, Lambda: 0.12}}
genes:
  model: {MODELS / "collier_notch_delta.xml"}
  initial: {{N: {{uniform: [0.0, 0.1]}}, D: {{uniform: [0.0, 1.0]}}}}
  inputs: {{D_nbr: neighbours.mean.D}}
output: {{path: unused.zarr}}
"""

SWEEP = """\
base: base.yaml
vary:
  cells.mechanics.Lambda: [0.08, 0.16, -3.0]      # the last one folds the cells over: a failed run
  cells.mechanics.K: [1.0, 2.0, 0.0]
combine: zip
replicates: 3
seed: 5
metrics:
  cells: final_cell_count
  shape: mean_shape_index
  high_delta: {species_fraction_above: {species: D, threshold: 0.5}}
  custom: {python: metrics.py:delta_spread}
output: out
"""

METRICS = """\
import numpy as np

def delta_spread(run):
    delta = run.frame(-1).species["D"]
    return {"low": float(np.min(delta)), "high": float(np.max(delta))}
"""


@pytest.fixture
def sweep_file(tmp_path):
    (tmp_path / "base.yaml").write_text(BASE)
    (tmp_path / "metrics.py").write_text(METRICS)
    (tmp_path / "sweep.yaml").write_text(SWEEP)
    return tmp_path / "sweep.yaml"


def test_variants_and_seeds_follow_the_file(sweep_file):
    spec = load_sweep(sweep_file)
    found = variants(spec)
    assert len(found) == 9
    assert [v.values["cells.mechanics.Lambda"] for v in found[::3]] == [0.08, 0.16, -3.0]
    # replicate r has the same seed for every parameter set, and replicates differ
    assert [v.seed for v in found[:3]] == [v.seed for v in found[3:6]] and len({v.seed for v in found[:3]}) == 3


def test_a_two_worker_sweep_fills_its_table_records_failures_and_resumes(sweep_file, tmp_path, capsys):
    assert main(["sweep", str(sweep_file), "--workers", "2"]) == 0
    err = capsys.readouterr().err
    assert "sweep: 9 of 9 variants to run; dashboard http://" in err
    assert "[##############################] 9/9: 6 done, 3 failed, 0 running" in err   # the bar's last state
    table = morphosim.open_sweep(tmp_path / "out")
    assert len(table) == 9 and list(table["variant"]) == [f"v{k:04d}" for k in range(9)]
    failed = table[table["status"] == "failed"]
    assert list(failed["cells.mechanics.Lambda"]) == [-3.0] * 3
    assert all("turned inside out" in message for message in failed["message"])
    # typed columns: numbers stay numbers, a failed run's metrics are missing (NaN), not ""
    assert table["seed"].dtype.kind == "i" and table["cells.mechanics.Lambda"].dtype.kind == "f"
    assert table["cells"].dtype.kind == "f" and failed["cells"].isna().all()
    done = table[table["status"] == "done"]
    assert len(done) == 6
    folder = sweep_file.parent
    spec = load_sweep(sweep_file)
    for _, row in done.iterrows():            # the table's metrics are those of each store
        run = morphosim.open_run(tmp_path / "out" / f"{row['variant']}.zarr")
        assert run.seed == row["seed"]
        assert run.scenario["cells"]["mechanics"]["Lambda"] == row["cells.mechanics.Lambda"]
        expected = compute_metrics(run, spec["metrics"], folder)
        for name, value in expected.items():
            assert row[name] == pytest.approx(value, rel=1e-12), name
    assert (done["custom.high"] >= done["custom.low"]).all() and (done["cells"] == 36).all()
    check_plot(tmp_path / "out", table)

    # a rerun does no finished variant again; the failed ones run again (and fail again)
    stamps = {v: (tmp_path / "out" / f"{v}.zarr" / "zarr.json").stat().st_mtime_ns for v in done["variant"]}
    assert main(["sweep", str(sweep_file), "--workers", "2"]) == 0
    assert stamps == {v: (tmp_path / "out" / f"{v}.zarr" / "zarr.json").stat().st_mtime_ns for v in done["variant"]}
    again = morphosim.open_sweep(tmp_path / "out")
    assert again.drop(columns="wall_time_s").equals(table.drop(columns="wall_time_s"))

    # one worker gives the same table
    (sweep_file.parent / "one.yaml").write_text(SWEEP.replace("output: out", "output: out1"))
    assert main(["sweep", str(sweep_file.parent / "one.yaml"), "--workers", "1"]) == 0
    single = morphosim.open_sweep(tmp_path / "out1")
    assert single.drop(columns="wall_time_s").equals(table.drop(columns="wall_time_s"))


def check_plot(folder, table):
    """`morphosim plot` writes the PNG; every panel's points are the table's mean ± s.d. over the
    replicates of each finished parameter set (read back from the figure's artists)."""
    assert main(["plot", str(folder)]) == 0
    assert (folder / "sweep.png").stat().st_size > 10_000
    points, figure = plot_sweep(folder, folder / "again.png")
    parameters, metrics = table.attrs["parameters"], table.attrs["metrics"]
    assert parameters == ["cells.mechanics.Lambda", "cells.mechanics.K"]
    assert metrics == ["cells", "shape", "high_delta", "custom.low", "custom.high"]
    groups = table[table["status"] == "done"].groupby(parameters)
    for i, metric in enumerate(metrics):
        for j, parameter in enumerate(parameters):
            axis = figure.axes[i * len(parameters) + j]
            assert axis.get_xlabel() == parameter and axis.get_ylabel() == metric
            (container,) = axis.containers              # a zip sweep: one line per panel
            data_line, _, (bars,) = container.lines
            expected_x = [key[j] for key in groups.groups]
            np.testing.assert_array_equal(data_line.get_xdata(), expected_x)
            np.testing.assert_allclose(data_line.get_ydata(), groups[metric].mean().to_numpy(), rtol=1e-12)
            half_lengths = [(top[1] - bottom[1]) / 2 for bottom, top in bars.get_segments()]
            np.testing.assert_allclose(half_lengths, groups[metric].std(ddof=1).to_numpy(), rtol=1e-9, atol=1e-15)
    assert (points["n"] == 3).all()
    import matplotlib.pyplot as plt
    plt.close(figure)


def test_an_interrupted_variant_continues_from_its_checkpoint(sweep_file, tmp_path):
    """A variant whose store stopped part-way (as after a kill) resumes instead of starting again."""
    spec = load_sweep(sweep_file)
    first = variants(spec)[0]
    store = tmp_path / "out" / f"{first.name}.zarr"
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "morphosim-sweep.json").write_text("{}")
    sim = morphosim.Simulation.from_scenario(spec["base"], first.overrides())
    sim.run(until=0.5, store=store)               # stopped at t = 0.5 of 1.0
    table = morphosim.sweep(spec, workers=1)
    assert table.loc[0, "status"] == "done"
    whole = morphosim.Simulation.from_scenario(spec["base"], first.overrides())
    whole.run()
    np.testing.assert_array_equal(morphosim.open_run(store).frame(-1).vertices, whole.frame().vertices)


def test_the_progress_bar_counts_and_times_from_this_session():
    bar = SweepProgress(8, enabled=False)
    bar.started -= 10.0                                     # 10 s in, 4 of the 8 finished: 10 s to go
    assert bar.line(3, 1, 2, 4, 4).startswith("[###############...............] 4/8: 3 done, 1 failed, 2 running")
    assert bar.line(3, 1, 2, 4, 4).split("ETA ")[1] in ("10 s", "11 s")
    assert bar.line(5, 3, 0, 2, 0).endswith(" 0 running  10 s")        # finished: the elapsed time


def test_bad_sweep_files_are_one_line_errors(sweep_file, capsys):
    sweep_file.write_text(SWEEP.replace("replicates: 3", "replicates: three"))
    assert main(["sweep", str(sweep_file)]) == 2
    assert "sweep.yaml:6: replicates: expected an integer >= 1" in capsys.readouterr().err
    sweep_file.write_text(SWEEP.replace("cells.mechanics.K: [1.0, 2.0, 0.0]", "cells.mechanics.K: [1.0, 2.0]"))
    assert main(["sweep", str(sweep_file)]) == 2
    assert "combine: zip needs every vary entry to have the same number of values" in capsys.readouterr().err
    sweep_file.write_text(SWEEP.replace("cells.mechanics.K:", "cells.mechanics.Kay:"))
    assert main(["sweep", str(sweep_file)]) == 2
    err = capsys.readouterr().err
    assert "vary.cells.mechanics.Kay" in err and "unknown key" in err
    assert not (sweep_file.parent / "out").exists()
