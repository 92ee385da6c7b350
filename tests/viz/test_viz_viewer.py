"""The interactive viewer in a real X window (Xvfb): slider, play, colour picker, cell picking."""

import os
import shutil
import socket
import subprocess
import time

import pytest

import morphosim
from morphosim.errors import InputError
from viz.options import ViewOptions
from viz.quantities import run_units, time_label


@pytest.fixture
def x_display(monkeypatch):
    """A private Xvfb server; DISPLAY points at it for the test."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.fail("Xvfb is missing: install Debian's xvfb package (apt-get install -y xvfb)")
    read_end, write_end = os.pipe()
    server = subprocess.Popen([xvfb, "-displayfd", str(write_end), "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
                              pass_fds=(write_end,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_end)
    with os.fdopen(read_end) as announced:
        display = announced.readline().strip()     # Xvfb writes the display number once it is ready
    assert display, "Xvfb did not start"
    # wait until the server accepts connections (VTK falls back to EGL if the first one fails)
    deadline = time.monotonic() + 20
    while True:
        with socket.socket(socket.AF_UNIX) as probe:
            try:
                probe.connect(f"/tmp/.X11-unix/X{display}")
                break
            except OSError:
                assert time.monotonic() < deadline, "Xvfb does not accept connections"
                time.sleep(0.05)
    monkeypatch.setenv("DISPLAY", f":{display}")
    yield
    server.terminate()
    server.wait(timeout=10)


def click(viewer, x, y, drag=0):
    interactor = viewer.plotter.iren.interactor
    interactor.SetEventInformation(int(round(x)), int(round(y)))
    interactor.InvokeEvent("LeftButtonPressEvent")
    interactor.SetEventInformation(int(round(x)) + drag, int(round(y)))
    interactor.InvokeEvent("LeftButtonReleaseEvent")


@pytest.mark.parametrize("store_fixture", ["planar_store", "shell_store"])
def test_viewer_steps_plays_picks_and_closes(store_fixture, request, x_display, look_at_cell):
    from viz.viewer import Viewer

    store = request.getfixturevalue(store_fixture)
    run = morphosim.open_run(store.path)
    assert len(run.times) > 1
    viewer = Viewer(store.path, ViewOptions(fields=("bmp",), window_size=(1000, 500)))
    try:
        viewer.start()
        assert viewer.plotter.render_window.GetClassName() == "vtkXOpenGLRenderWindow"

        for k in reversed(range(len(run.times))):     # drive the time slider as a user would
            viewer.time_slider.GetRepresentation().SetValue(k)
            viewer.time_slider.InvokeEvent("EndInteractionEvent")
            assert viewer.frame_index == k
            assert viewer.scene.cells.n_cells == len(run.frame(k).cells)
            assert viewer.time_slider.GetRepresentation().GetTitleText() == time_label(run.times[k], run_units(run))

        x, y = look_at_cell(viewer.scene, store.high_cell)
        click(viewer, x, y, drag=20)                   # a drag turns the camera, it selects nothing
        assert viewer.selected is None
        click(viewer, x, y)
        assert viewer.selected == store.high_cell
        value = run.frame(0).species[store.species][list(run.frame(0).cell_ids).index(store.high_cell)]
        assert f"{store.species} = {value:.4g}" in viewer.selection_text()
        outline = viewer.plotter.actors["lineage-selected"].mapper.dataset
        assert outline.n_cells == 1 and outline.cell_data["cell_id"][0] == store.high_cell

        picker = viewer.color_picker.GetRepresentation()
        picker.SetValue(viewer.scene.cell_names.index("area"))
        viewer.color_picker.InvokeEvent("EndInteractionEvent")
        assert viewer.scene.color == "area"
        assert viewer.scene.cells_actor.mapper.array_name == "area"

        viewer.play_button.GetRepresentation().SetState(1)
        viewer.play_button.InvokeEvent("StateChangedEvent")
        assert viewer.playing
        deadline = time.monotonic() + 10
        while viewer.frame_index == 0 and time.monotonic() < deadline:   # the play timer steps the frames
            viewer.plotter.update(stime=100)
        assert viewer.frame_index > 0
    finally:
        viewer.close()


def test_viewer_without_a_display_says_so(planar_store, monkeypatch):
    from viz.viewer import Viewer

    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    with pytest.raises(InputError, match="needs a display"):
        Viewer(planar_store.path)
