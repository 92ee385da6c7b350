"""One picture of a run, frame by frame, shared by the off-screen renderer and the viewer.

Panel 0 shows the cells coloured by one quantity (polygons; for a 3D monolayer closed polyhedra,
optionally clipped by a cross-section plane x = const); each requested tissue field gets its own panel
(the field's colour map on the tissue mesh, the cell outlines on top), with linked cameras. The
flow is drawn as arrows or streamlines on the field panels, or on the cells when there are none.
Colour ranges, arrow lengths and the camera are fixed over the frames the scene will show, so a
movie does not flicker.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pyvista as pv

from morphosim.errors import InputError

from .meshes import cell_polydata, flow_arrows, flow_streamlines, tissue_polydata
from .options import CAMERAS, FLOW_STYLES, ViewOptions
from .quantities import cell_quantities, check_name, label, run_units, scalar_fields, time_label

CELL_COLORMAP, FIELD_COLORMAP = "viridis", "plasma"
FLOW_FIELD = "velocity"
BACKGROUND = "white"


@dataclass
class Ranges:
    """Extremes over a set of frames: colour limits of every quantity, the union of the bounds
    and the largest flow speed."""
    limits: dict[str, tuple[float, float]] = field(default_factory=dict)
    bounds: np.ndarray = field(default_factory=lambda: np.array([np.inf, -np.inf] * 3))
    max_speed: float = 0.0

    @classmethod
    def scan(cls, run, frames) -> "Ranges":
        ranges = cls()
        for k in frames:
            frame = run.frame(k)
            for name, values in {**cell_quantities(frame), **scalar_fields(frame)}.items():
                low, high = ranges.limits.get(name, (np.inf, -np.inf))
                ranges.limits[name] = (min(low, float(np.min(values))), max(high, float(np.max(values))))
            points = [frame.vertices] + [p for p in (frame.basal_vertices, frame.mesh_points) if p is not None]
            for p in points:
                ranges.bounds[0::2] = np.minimum(ranges.bounds[0::2], p.min(axis=0))
                ranges.bounds[1::2] = np.maximum(ranges.bounds[1::2], p.max(axis=0))
            if FLOW_FIELD in frame.fields:
                ranges.max_speed = max(ranges.max_speed, float(np.linalg.norm(frame.fields[FLOW_FIELD], axis=1).max()))
        return ranges

    def clim(self, name: str) -> tuple[float, float]:
        low, high = self.limits[name]
        pad = 1e-6 * max(abs(low), 1.0) if high == low else 0.0   # a flat colour bar still shows
        return low - pad, high + pad

    @property
    def size(self) -> float:
        return float(np.linalg.norm(self.bounds[1::2] - self.bounds[0::2]))

    @property
    def is_planar(self) -> bool:
        extent = self.bounds[1::2] - self.bounds[0::2]
        return extent[2] <= 1e-9 * max(extent.max(), 1e-300)


@contextmanager
def offscreen_backend():
    """Without an X display, let VTK render through EGL directly (instead of trying X first and
    warning); the choice is made when a render window is created, so it is undone afterwards.

    libRoadRunner is loaded first: a software OpenGL driver (Mesa's llvmpipe) brings its own LLVM,
    and libRoadRunner's LLVM loaded after it aborts the process ("inconsistency in registered
    CommandLine options"), e.g. a notebook that renders a run and then simulates one."""
    import roadrunner  # noqa: F401

    key = "VTK_DEFAULT_OPENGL_WINDOW"
    use_egl = not os.environ.get("DISPLAY") and key not in os.environ
    if use_egl:
        os.environ[key] = "vtkEGLRenderWindow"
    try:
        yield
    finally:
        if use_egl:
            del os.environ[key]


def default_color(names: list[str], ranges: Ranges) -> str:
    """The first quantity (species first) that varies over the scene's frames; the first of all
    when none does. A uniform colour shows nothing."""
    for name in names:
        low, high = ranges.limits[name]
        if high - low > 1e-9 * max(abs(low), abs(high)):
            return name
    return names[0]


class Scene:
    """Draws frames of `run` into a pyvista Plotter (panels as described in the module docstring).

    `frames`: the frame indices that will be shown; colour ranges and camera cover them all.
    `widget_band`: the fraction of the window's height kept free above the panels (the viewer's
    sliders go there, so they never cover the cells). `notebook`: a Jupyter plotter (trame).
    """

    def __init__(self, run, options: ViewOptions, frames, off_screen: bool, widget_band: float = 0.0,
                 notebook: bool = False):
        self.run, self.options = run, options
        self.units = run_units(run)
        self.frame_indices = [run_index(run, k) for k in frames]
        self.ranges = Ranges.scan(run, self.frame_indices)
        first = run.frame(self.frame_indices[0])
        self.cell_names = list(cell_quantities(first))
        chosen = options.color if options.color is not None else default_color(self.cell_names, self.ranges)
        self.color = check_name(chosen, self.cell_names,
                                "cell quantity", "--color")
        field_names = list(scalar_fields(first))
        self.fields = [check_name(name, field_names, "tissue field", "--fields") for name in options.fields]
        check_name(options.flow, FLOW_STYLES, "flow style", "--flow")
        check_name(options.camera, CAMERAS, "camera", "--camera")
        if not options.zoom > 0:
            raise InputError(f"--zoom {options.zoom}: the zoom factor must be positive")
        if options.section is not None and first.basal_vertices is None:
            raise InputError(f"--section {options.section}: a cross-section needs a 3D monolayer run "
                             "(frames with basal vertices); this run's cells are polygons")
        if options.window_size is not None and min(options.window_size) < 16:
            raise InputError(f"--size {options.window_size[0]} {options.window_size[1]}: pictures need at least 16 x 16 pixels")
        # a flow slower than round-off (a tissue at rest) has no direction worth drawing
        moving = self.ranges.max_speed > 1e-9 * self.ranges.size
        self.flow = options.flow if FLOW_FIELD in first.fields and moving else "none"

        panels = 1 + len(self.fields)
        width, height = options.window_size or (896 * panels if panels > 1 else 1024, 768)   # multiples of 16 for video codecs
        with offscreen_backend():
            self.plotter = pv.Plotter(shape=(1, panels), off_screen=off_screen, window_size=(width, height),
                                      border=False, notebook=notebook)
        self.plotter.set_background(BACKGROUND)
        self.widget_band = widget_band
        self.cells, self.tissue, self.flow_lines = pv.PolyData(), pv.PolyData(), pv.PolyData()
        self.frame_index = None
        self.frame = None
        self.show_frame(self.frame_indices[0])
        self._add_actors()
        self._set_camera()

    # --- drawing -----------------------------------------------------------------------------

    def _add_actors(self) -> None:
        bar = dict(color="black", vertical=False, position_x=0.2, position_y=0.05, width=0.6,
                   title_font_size=18, label_font_size=14, fmt="%.3g")
        flow_panels = range(1, 1 + len(self.fields)) if self.fields else [0]
        self.plotter.subplot(0, 0)
        self._add_cell_colors(bar)
        for panel, name in enumerate(self.fields, start=1):
            self.plotter.subplot(0, panel)
            field_actor = self.plotter.add_mesh(
                self.tissue, scalars=name, cmap=FIELD_COLORMAP, clim=self.ranges.clim(name), preference="point",
                scalar_bar_args={**bar, "title": label(name, self.units)})
            self._finish_look(field_actor, label(name, self.units))
            self.plotter.add_mesh(self.cells, style="wireframe", color="black", line_width=1,
                                  scalars=None, pickable=False)
        for panel in flow_panels if self.flow != "none" else []:
            self.plotter.subplot(0, panel)
            # white over a field's colour map; red over the cells (viridis has no red) and the background
            self.plotter.add_mesh(self.flow_lines, color="white" if panel else "red",
                                  line_width=2, scalars=None, pickable=False, name=f"flow{panel}")
        self.plotter.subplot(0, 0)
        if len(self.fields):
            self.plotter.link_views()

    def _add_cell_colors(self, bar: dict) -> None:
        self.plotter.subplot(0, 0)
        actor = self.plotter.add_mesh(self.cells, scalars=self.color, cmap=CELL_COLORMAP,
                                      clim=self.ranges.clim(self.color), preference="cell", show_edges=True,
                                      edge_color="#333333", name="cells",
                                      scalar_bar_args={**bar, "title": label(self.color, self.units)})
        self._finish_look(actor, label(self.color, self.units))
        self.cells_actor, self.bar_style = actor, bar

    def _finish_look(self, actor, bar_title: str) -> None:
        if not self.ranges.is_planar:
            actor.prop.interpolation = "phong"   # smooth over the point normals of a shell
        # Labels under a horizontal bar, so they do not run into its title.
        self.plotter.scalar_bars[bar_title].SetTextPositionToPrecedeScalarBar()

    def set_color(self, name: str) -> None:
        """Colour the cells by another quantity."""
        check_name(name, self.cell_names, "cell quantity", "--color")
        if name == self.color:
            return
        self.plotter.remove_scalar_bar(label(self.color, self.units), render=False)
        self.color = name
        self.cells.set_active_scalars(name, preference="cell")
        self._add_cell_colors(self.bar_style)

    def show_frame(self, k: int) -> None:
        """Load frame k and update every panel (the camera stays where it is)."""
        k = run_index(self.run, k)
        self.frame_index, self.frame = k, self.run.frame(k)
        self.cells.copy_from(cell_polydata(self.frame, self.options.section))
        self.cells.set_active_scalars(self.color, preference="cell")
        tissue = tissue_polydata(self.frame)
        if tissue is not None:
            self.tissue.copy_from(tissue)
        if self.flow == "arrows":
            self.flow_lines.copy_from(flow_arrows(tissue, FLOW_FIELD, 0.06 * self.ranges.size / self.ranges.max_speed))
        elif self.flow == "streamlines":
            self.flow_lines.copy_from(flow_streamlines(tissue, FLOW_FIELD))
        if not self.widget_band:   # the viewer's time slider shows time and frame in its band
            self.plotter.subplot(0, 0)
            self.plotter.add_text(f"{time_label(self.frame.time, self.units)}   "
                                  f"(frame {k} of 0..{len(self.run.times) - 1})",
                                  position="upper_left", font_size=12, color="black", name="time")

    def _set_camera(self) -> None:
        camera = self.options.camera
        if camera == "auto":   # a cross-section is seen face on, from +x
            camera = "yz" if self.options.section is not None else "xy" if self.ranges.is_planar else "iso"
        self.plotter.subplot(0, 0)
        if camera == "iso":
            self.plotter.view_isometric(render=False)
        else:   # "-xy": the same plane from the other side (e.g. an embryo's ventral side, at -z)
            getattr(self.plotter, f"view_{camera.lstrip('-')}")(negative=camera.startswith("-"), render=False)
        if camera == "iso":
            self.plotter.camera.elevation = -10.0
        # a sheet and a cross-section are flat pictures: no perspective
        self.plotter.camera.parallel_projection = self.ranges.is_planar or self.options.section is not None
        self.plotter.reset_camera(bounds=self.ranges.bounds, render=False)
        # the picture fills the panel below the widget band: shrunk to its height and moved down
        self.plotter.camera.SetWindowCenter(0.0, self.widget_band)
        self.plotter.camera.zoom(1.1 * self.options.zoom * (1.0 - self.widget_band))

    def screenshot(self) -> np.ndarray:
        """The picture as an (H, W, 3) uint8 array."""
        self.plotter.render()   # after the first picture pyvista's screenshot reuses the last render
        return self.plotter.screenshot(return_img=True)

    def close(self) -> None:
        self.plotter.close()


def run_index(run, k: int) -> int:
    """Frame k of the run (negative counts from the end), as an index in [0, T)."""
    n = len(run.times)
    if n == 0:
        raise InputError(f"{run.path}: the store holds no frames yet")
    if not -n <= k < n:
        raise InputError(f"frame {k} out of range: {run.path} holds {n} frames (0..{n - 1}, or -1 for the last)")
    return k % n
