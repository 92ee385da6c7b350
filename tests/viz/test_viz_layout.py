"""The viewer's layout: a window that fits the screen, widgets in a band above the cells, frames
counted from 0 everywhere, a default colour that varies; and the viewer inside Jupyter (trame)."""

import numpy as np
import pytest

import morphosim
from morphosim.cli import main
from morphosim.io import StoreWriter
from tests.viz.test_viz_viewer import x_display  # noqa: F401  (the Xvfb fixture, screen 1280 x 1024)
from viz.options import ViewOptions

# pyvista (VTK) is imported inside the tests, as in the other viz tests: loaded before libRoadRunner,
# its LLVM aborts the process when a later run imports libRoadRunner.


@pytest.mark.parametrize("screen", [(1280, 800), (1280, 1024), (1920, 1080)])
@pytest.mark.parametrize("panels", [1, 2, 3])
def test_the_window_fits_the_screen_and_its_panels_share_the_width(screen, panels):
    from viz.viewer import SCREEN_MARGIN_PX, WIDGET_BAND_PX, window_fitting

    width, height = window_fitting(screen, panels)
    assert width <= screen[0] - SCREEN_MARGIN_PX[0] and height <= screen[1] - SCREEN_MARGIN_PX[1]
    panel_width = width / panels
    assert abs(panel_width / (height - WIDGET_BAND_PX) - 4 / 3) < 0.01     # 4:3 panels below the band
    # as large as fits: one of the two limits is reached
    assert max(width / (screen[0] - SCREEN_MARGIN_PX[0]), height / (screen[1] - SCREEN_MARGIN_PX[1])) > 0.99


def squares_store(path, species):
    """Two frames of a 3 x 2 block of unit squares with the given species {name: (2, 6) values}."""
    corners = np.array([[x, y, 0.0] for y in range(3) for x in range(4)])
    squares = [[y * 4 + x, y * 4 + x + 1, y * 4 + x + 5, y * 4 + x + 4] for y in range(2) for x in range(3)]
    writer = StoreWriter(path, {"scenario": {"name": "squares"}})
    for k in range(2):
        writer.append_frame(float(k), {"vertices": corners, "cell_vertex_counts": np.full(6, 4),
                                       "cell_vertices": np.ravel(squares), "cell_ids": np.arange(6),
                                       "parent_ids": np.full(6, -1),
                                       **{f"species/{name}": values[k] for name, values in species.items()}})
    return morphosim.open_run(path)


def test_the_default_colour_is_the_first_quantity_that_varies(tmp_path):
    from viz.scene import Scene

    flat, wave = np.ones((2, 6)), np.array([np.arange(6.0), np.arange(6.0)[::-1]])
    run = squares_store(tmp_path / "a.zarr", {"flat": flat, "wave": wave})
    scene = Scene(run, ViewOptions(), range(2), off_screen=True)
    try:   # species come first; `flat` is uniform over both frames, `wave` is not
        assert scene.cell_names[:2] == ["flat", "wave"] and scene.color == "wave"
        assert scene.cells_actor.mapper.array_name == "wave"
    finally:
        scene.close()
    # unit squares that do not move: every quantity is uniform, and the first is shown
    run = squares_store(tmp_path / "b.zarr", {"flat": flat})
    scene = Scene(run, ViewOptions(), range(2), off_screen=True)
    try:
        assert scene.color == "flat"
    finally:
        scene.close()


def test_render_labels_frames_from_0_like_frame(planar_store, tmp_path):
    from viz.scene import Scene

    run = morphosim.open_run(planar_store.path)
    last = len(run) - 1
    scene = Scene(run, ViewOptions(), range(len(run)), off_screen=True)
    try:
        for k in (0, last):
            scene.show_frame(k)
            assert f"(frame {k} of 0..{last})" in scene.plotter.actors["time"].GetText(2)
        scene.show_frame(-1)
        assert scene.frame_index == last
    finally:
        scene.close()


def display_heights(viewer):
    """Display y (pixels from the bottom) of every cell vertex in the cells panel."""
    renderer = viewer.plotter.renderers[0]
    heights = []
    for point in viewer.scene.cells.points:
        renderer.SetWorldPoint(*point, 1.0)
        renderer.WorldToDisplay()
        heights.append(renderer.GetDisplayPoint()[1])
    return np.array(heights)


@pytest.mark.parametrize("fields", [(), ("bmp",)])
def test_the_viewer_fits_the_screen_and_its_widgets_stay_above_the_cells(planar_store, fields, x_display):  # noqa: F811
    from viz.viewer import WIDGET_BAND_PX, Viewer, window_fitting

    run = morphosim.open_run(planar_store.path)
    viewer = Viewer(planar_store.path, ViewOptions(fields=fields), frame=-1)
    try:
        viewer.start()
        width, height = viewer.plotter.window_size
        assert (width, height) == window_fitting((1280, 1024), 1 + len(fields))
        band_bottom = height - WIDGET_BAND_PX
        for slider in (viewer.time_slider, viewer.color_picker):
            representation = slider.GetRepresentation()
            for point in (representation.GetPoint1Coordinate(), representation.GetPoint2Coordinate()):
                x, y, _ = point.GetValue()      # normalized display coordinates
                assert y * height > band_bottom and 0 < x * width <= width / (1 + len(fields))
        for k in (0, len(run) - 1):            # the cells, at their largest, stay below the band
            viewer.set_frame(k)
            heights = display_heights(viewer)
            assert heights.max() < band_bottom and heights.min() > 0
        # frames counted from 0: --frame -1 opened the last, the slider shows the frame index
        viewer.set_frame(2)
        assert viewer.frame_index == 2 and viewer.time_slider.GetRepresentation().GetValue() == 2
        assert viewer.scene.frame.time == run.times[2]
    finally:
        viewer.close()


def test_a_bad_frame_colour_or_field_is_refused_before_any_window(planar_store, monkeypatch, capsys):
    monkeypatch.delenv("DISPLAY", raising=False)     # the store is checked first, then the display
    for argv, message in ((["--frame", "99"], "frame 99 out of range"),
                          (["--frame", "-99"], "frame -99 out of range"),
                          (["--color", "nope"], "--color nope: unknown cell quantity; choose one of D, N"),
                          (["--fields", "nope"], "--fields nope: unknown tissue field; choose one of speed, bmp")):
        assert main(["view", planar_store.path, *argv]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0]


def test_a_notebook_viewer_needs_no_display(planar_store, monkeypatch):
    from viz.viewer import Viewer, window_fitting

    monkeypatch.delenv("DISPLAY", raising=False)
    viewer = Viewer(planar_store.path, notebook=True)
    try:
        assert viewer.plotter.notebook and viewer.plotter.off_screen
        assert tuple(viewer.plotter.window_size) == window_fitting((1280, 800), 1)
        viewer.set_frame(1)
        assert viewer.frame_index == 1 and viewer.time_slider.GetRepresentation().GetValue() == 1
    finally:
        viewer.close()


@pytest.mark.slow
def test_view_works_inside_a_jupyter_kernel(planar_store, tmp_path):
    """A real kernel runs the viewer cell: the result is pyvista's trame widget."""
    import nbclient
    import nbformat

    root = str(__import__("pathlib").Path(__file__).resolve().parents[2])
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(
        f"import sys; sys.path.insert(0, {root!r})\n"
        "from viz.viewer import Viewer\n"
        f"viewer = Viewer({planar_store.path!r}, notebook=True)\n"
        "widget = viewer.show()\n"
        "print(type(widget).__module__, type(widget).__name__, viewer.scene.color)\n"
        "widget")]
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
                            ).execute()
    outputs = notebook.cells[0].outputs
    printed = "".join(out.get("text", "") for out in outputs if out.get("name") == "stdout")
    assert "trame_pyvista.jupyter Widget D" in printed
    shown = [out for out in outputs if out.get("output_type") == "execute_result"]
    assert shown and "application/vnd.jupyter.widget-view+json" in shown[0]["data"]
