"""Time-series figure and ParaView export hold every frame and every cell of the store."""

import numpy as np
import pytest
import pyvista as pv
from PIL import Image

import morphosim
from viz.export import export_vtk
from viz.plot import plot_timeseries, timeseries

STORES = ["planar_store", "shell_store"]


@pytest.mark.parametrize("store_fixture", STORES)
def test_time_series_match_the_frames(store_fixture, request, tmp_path):
    run = morphosim.open_run(request.getfixturevalue(store_fixture).path)
    series = timeseries(run)
    frames = [run.frame(k) for k in range(len(run.times))]
    np.testing.assert_array_equal(series["time"], run.times)
    np.testing.assert_array_equal(series["cell_count"], [len(f.cells) for f in frames])
    for name in frames[0].species:
        np.testing.assert_allclose(series[f"{name}.mean"], [f.species[name].mean() for f in frames])
        np.testing.assert_allclose(series[f"{name}.std"], [f.species[name].std() for f in frames])
    np.testing.assert_allclose(series["area.mean"], [f.cell_data["area"].mean() for f in frames])
    np.testing.assert_allclose(series["shape_index.mean"],
                               [np.mean(f.cell_data["perimeter"] / np.sqrt(f.cell_data["area"])) for f in frames])
    np.testing.assert_allclose(series["speed.max"], [np.linalg.norm(f.fields["velocity"], axis=1).max() for f in frames])

    figure = plot_timeseries(run, tmp_path / "series.png")
    with Image.open(tmp_path / "series.png") as image:
        assert image.size == (1300, 700)
        assert np.asarray(image.convert("L")).std() > 10, "the figure is not blank"
    count_line = figure.axes[1].get_lines()[0]
    np.testing.assert_array_equal(count_line.get_ydata(), series["cell_count"])


@pytest.mark.parametrize("store_fixture", STORES)
def test_export_reads_back_in_vtk_with_every_frame_and_cell(store_fixture, request, tmp_path):
    store = request.getfixturevalue(store_fixture)
    run = morphosim.open_run(store.path)
    written = export_vtk(run, tmp_path / "vtk")
    assert [path.name for path in written] == ["cells.pvd", "tissue.pvd"]
    cells, tissue = (pv.get_reader(str(path)) for path in written)
    np.testing.assert_allclose(cells.time_values, run.times)
    assert tissue.number_time_points == len(run.times)
    for k in range(len(run.times)):
        frame = run.frame(k)
        cells.set_active_time_point(k)
        tissue.set_active_time_point(k)
        sheet, mesh = cells.read()[0], tissue.read()[0]
        assert sheet.n_cells == len(frame.cells)
        np.testing.assert_array_equal(sheet.cell_data["cell_id"], frame.cell_ids)
        np.testing.assert_allclose(sheet.cell_data[store.species], frame.species[store.species])
        np.testing.assert_allclose(sheet.points, frame.vertices)
        assert mesh.n_cells == len(frame.mesh_cells)
        np.testing.assert_allclose(mesh.point_data["velocity"], frame.fields["velocity"])
