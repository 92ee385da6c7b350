"""Off-screen pictures and movies of planar and shell stores: the pixels show the tissue, and a
cell high in a species is drawn in a different colour than one low in it."""

import imageio.v3 as iio
import matplotlib
import numpy as np
import pytest

import morphosim
from viz.options import ViewOptions
from viz.offscreen import render
from viz.scene import CELL_COLORMAP, Scene

STORES = ["planar_store", "shell_store"]


def background_fraction(image: np.ndarray) -> float:
    return float(np.mean(np.all(image == 255, axis=-1)))


def pixel(image: np.ndarray, x: float, y: float) -> np.ndarray:
    """The pixel at display position (x, y) (VTK counts rows from the bottom)."""
    return image[image.shape[0] - 1 - int(round(y)), int(round(x))].astype(float)


@pytest.mark.parametrize("store_fixture", STORES)
def test_high_and_low_cells_take_the_two_ends_of_the_colour_map(store_fixture, request, look_at_cell):
    store = request.getfixturevalue(store_fixture)
    run = morphosim.open_run(store.path)
    scene = Scene(run, ViewOptions(color=store.species, flow="none", window_size=(400, 300)), [-1], off_screen=True)
    try:
        assert background_fraction(scene.screenshot()) < 0.9, "the tissue fills a good part of the picture"
        colours = []
        for cell in (store.high_cell, store.low_cell):
            x, y = look_at_cell(scene, cell)
            colours.append(pixel(scene.screenshot(), x, y))
        high, low = colours
    finally:
        scene.close()
    assert np.abs(high - low).sum() > 150
    # Shading scales the colour map's colours; compare directions in RGB space.
    top, bottom = (np.array(matplotlib.colormaps[CELL_COLORMAP](end)[:3]) for end in (1.0, 0.0))
    cosine = lambda a, b: a @ b / np.linalg.norm(a) / np.linalg.norm(b)  # noqa: E731
    assert cosine(high, top) > cosine(high, bottom)
    assert cosine(low, bottom) > cosine(low, top)


@pytest.mark.parametrize("store_fixture", STORES)
def test_still_picture_with_a_field_panel_and_streamlines(store_fixture, request, tmp_path):
    store = request.getfixturevalue(store_fixture)
    out = render(store.path, tmp_path / "frame.png",
                 ViewOptions(color="area", fields=("speed",), flow="streamlines", window_size=(800, 400)), frame=0)
    image = iio.imread(out)
    assert image.shape == (400, 800, 3)
    for panel in (image[:, :400], image[:, 400:]):
        assert 0.05 < 1 - background_fraction(panel) < 0.95


def test_gif_has_one_frame_per_recorded_frame(planar_store, tmp_path):
    run = morphosim.open_run(planar_store.path)
    out = render(planar_store.path, tmp_path / "movie.gif", ViewOptions(window_size=(320, 240)))
    frames = iio.imread(out, index=None)
    assert frames.shape[0] == len(run.times)
    assert frames.shape[1:3] == (240, 320)
    assert all(np.any(a != b) for a, b in zip(frames[:-1], frames[1:])), "time label and tissue change"


def test_mp4_has_one_frame_per_recorded_frame(shell_store, tmp_path):
    run = morphosim.open_run(shell_store.path)
    out = render(shell_store.path, tmp_path / "movie.mp4", ViewOptions(window_size=(320, 240)), fps=2)
    frames = list(iio.imiter(out, plugin="FFMPEG"))
    assert len(frames) == len(run.times)


def test_a_tissue_at_rest_gets_no_flow_arrows(tmp_path):
    """Regular hexagons at their target area: the flow is round-off (< 1e-12), and drawing it as
    arrows scaled to its largest value would show noise; the scene draws no flow instead."""
    from morphosim.scenario import load_scenario
    from morphosim.scenario.run import run_scenario

    path = tmp_path / "rest.yaml"
    path.write_text("""\
name: rest
time: {end: 0.2, dt: 0.1}
cells:
  geometry: {kind: hexagonal, rows: 4, cols: 4, periodic: true}
  mechanics: {K: 1.0, A0: 1.0, Gamma: 0.0, Lambda: 0.0}
tissue:
  flow: {mu: 1.0, gamma: 0.1, mesh_size: 0.8}
output: {path: rest.zarr}
""")
    run = morphosim.open_run(run_scenario(load_scenario(path), progress=False))
    speed = np.linalg.norm(run.frame(-1).fields["velocity"], axis=1).max()
    assert 0 < speed < 1e-12          # round-off, not zero
    scene = Scene(run, ViewOptions(color="area", flow="arrows", window_size=(200, 150)), [-1], off_screen=True)
    try:
        assert scene.flow == "none"
    finally:
        scene.close()
