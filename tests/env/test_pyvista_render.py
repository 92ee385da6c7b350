"""pyvista renders off screen without an X server, and the pixels show the object.

The render runs in a fresh process with DISPLAY unset, as on a headless machine (VTK picks its
window kind once per process, so this also keeps the viewer tests free to use a real X window)."""

import os
import subprocess
import sys


RENDER = """
import sys
import pyvista as pv
plotter = pv.Plotter(off_screen=True, window_size=(200, 200))
plotter.background_color = "white"
plotter.add_mesh(pv.Sphere(radius=1.0), color="red", lighting=False)
plotter.camera_position = [(0, 0, 6), (0, 0, 0), (0, 1, 0)]
plotter.screenshot(sys.argv[1])
plotter.close()
"""


def test_offscreen_render_shows_a_red_sphere_on_white(tmp_path):
    environment = {key: value for key, value in os.environ.items() if key not in ("DISPLAY", "WAYLAND_DISPLAY")}
    result = subprocess.run([sys.executable, "-c", RENDER, str(tmp_path / "sphere.png")], env=environment,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    import imageio.v3 as iio

    image = iio.imread(tmp_path / "sphere.png")
    assert image.shape[:2] == (200, 200)
    red = (image[..., 0] > 200) & (image[..., 1] < 60) & (image[..., 2] < 60)
    white = (image[..., :3] > 240).all(axis=-1)
    # A unit sphere seen from distance 6 with a 30 degree view fills a disc of radius
    # about tan^-1(1/6)/tan(15 deg) * 100 px = 62 px: ~38% of the picture.
    assert 0.30 < red.mean() < 0.46
    assert red[100, 100] and white[2, 2]
    assert red.mean() + white.mean() > 0.97
