"""pyvista renders off screen (no X server) and the pixels show the object."""

import numpy as np
import pyvista as pv


def test_offscreen_render_shows_a_red_sphere_on_white():
    plotter = pv.Plotter(off_screen=True, window_size=(200, 200))
    plotter.background_color = "white"
    plotter.add_mesh(pv.Sphere(radius=1.0), color="red", lighting=False)
    plotter.camera_position = [(0, 0, 6), (0, 0, 0), (0, 1, 0)]
    image = plotter.screenshot(return_img=True)
    plotter.close()
    assert image.shape[:2] == (200, 200)
    red = (image[..., 0] > 200) & (image[..., 1] < 60) & (image[..., 2] < 60)
    white = (image[..., :3] > 240).all(axis=-1)
    # A unit sphere seen from distance 6 with a 30 degree view fills a disc of radius
    # about tan^-1(1/6)/tan(15 deg) * 100 px = 62 px: ~38% of the picture.
    assert 0.30 < red.mean() < 0.46
    assert red[100, 100] and white[2, 2]
    assert red.mean() + white.mean() > 0.97
