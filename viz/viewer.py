"""The interactive viewer: the scene of `viz.scene` plus a time slider with play/pause, a picker
for the coloured quantity, and cell picking with the cell's values and lineage.

Mouse and keys: click a cell to select it (its ancestors and descendants are outlined too);
drag to turn the camera; space plays/pauses; Left/Right step one frame.

The window is sized from the screen (it fits a 1280 × 800 screen; the panels share its width), and
the widgets sit in a band above the panels, so they never cover the cells. Frames are counted from
0 everywhere (slider, label, `--frame`). In Jupyter, `Viewer(store, notebook=True).show()` returns
pyvista's trame widget (the scene rendered by the kernel, the same widgets).
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace

import numpy as np
import vtk

from morphosim.errors import InputError

from .lineage import Lineage
from .options import ViewOptions
from .quantities import cell_quantities, check_name, label, scalar_fields, time_label
from .offscreen import open_store
from .scene import Scene, run_index

PLAY_INTERVAL_MS = 400
WIDGET_BAND_PX = 90      # the band above the panels that holds the play button and the two sliders
SCREEN_MARGIN_PX = (40, 120)   # room left for window decorations, a task bar, a notebook's margins
NOTEBOOK_SCREEN = (1280, 800)  # a notebook cell: as wide as a laptop screen
HIGHLIGHT = {"selected": "magenta", "ancestors": "orange", "descendants": "white"}
SLIDER_SIZE = dict(slider_width=0.02, tube_width=0.006, title_height=0.025)
CLICK_TOLERANCE_PX = 3   # a press and release further apart than this is a camera drag


class Viewer:
    """An interactive window on a run store. `show()` blocks until the window is closed;
    `start()` opens it and returns (drive it with `set_frame`, `set_color`, clicks, `close`)."""

    def __init__(self, store, options: ViewOptions | None = None, frame: int = 0, notebook: bool = False):
        self.run = open_store(store)
        options = options or ViewOptions()
        first = self.run.frame(run_index(self.run, frame))   # bad names are refused before any window opens
        if options.color is not None:
            check_name(options.color, list(cell_quantities(first)), "cell quantity", "--color")
        for name in options.fields:
            check_name(name, list(scalar_fields(first)), "tissue field", "--fields")
        if not notebook and sys.platform.startswith("linux") and not (
                os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            raise InputError("morphosim view needs a display (DISPLAY is not set); "
                             "use `morphosim render` for pictures without one, or Viewer(store, notebook=True) "
                             "in Jupyter")
        self.notebook = notebook
        if options.window_size is None:
            panels = 1 + len(options.fields)
            options = replace(options, window_size=window_fitting(NOTEBOOK_SCREEN if notebook else screen_size(),
                                                                   panels))
        self.scene = Scene(self.run, options, range(len(self.run.times)), off_screen=notebook,
                           widget_band=WIDGET_BAND_PX / options.window_size[1], notebook=notebook)
        self.plotter = self.scene.plotter
        self.selected: int | None = None
        self.playing = False
        self._lineage: Lineage | None = None
        self._press_position = (0, 0)
        self.plotter.subplot(0, 0)
        self._add_widgets()
        self.set_frame(frame)

    # --- widgets and events ----------------------------------------------------------------

    def _add_widgets(self) -> None:
        last = len(self.run.times) - 1
        width, height = self.scene.options.window_size
        width //= len(self.plotter.renderers)   # the widgets are the cells panel's
        # the sliders' tubes run along the middle of the band, their titles and values above it
        row = 1.0 - 0.6 * WIDGET_BAND_PX / height
        start = 100 / width          # right of the play button
        middle = start + 0.5 * (0.98 - start)
        self.time_slider = self.plotter.add_slider_widget(
            self._on_time_slider, rng=[0, max(last, 1e-9)], value=0, title="frame",
            pointa=(start, row), pointb=(middle - 0.03, row), fmt="%.0f", style="modern",
            interaction_event="end", color="black", **SLIDER_SIZE)
        self.color_picker = self.plotter.add_text_slider_widget(
            self._on_color_picker, self.scene.cell_names, value=self.scene.cell_names.index(self.scene.color),
            pointa=(middle + 0.03, row), pointb=(0.98, row), color="black", style="modern")
        picker_look = self.color_picker.GetRepresentation()
        picker_look.SetTitleHeight(SLIDER_SIZE["title_height"])
        picker_look.SetSliderWidth(SLIDER_SIZE["slider_width"])
        picker_look.SetTubeWidth(SLIDER_SIZE["tube_width"])
        button_y = height - WIDGET_BAND_PX // 2 - 15
        self.play_button = self.plotter.add_checkbox_button_widget(
            self._set_playing, value=False, position=(10, button_y), size=30, color_on="green", color_off="grey")
        self.plotter.add_text("play", position=(48, button_y + 4), font_size=10, color="black")
        self.plotter.add_key_event("space", lambda: self._set_playing(not self.playing))
        self.plotter.add_key_event("Right", lambda: self.set_frame(min(self.frame_index + 1, last)))
        self.plotter.add_key_event("Left", lambda: self.set_frame(max(self.frame_index - 1, 0)))
        self.plotter.iren.add_observer("LeftButtonPressEvent", self._on_press)
        self.plotter.iren.add_observer("LeftButtonReleaseEvent", self._on_release)
        self.plotter.iren.initialize()
        self.plotter.iren.add_timer_event(max_steps=sys.maxsize, duration=PLAY_INTERVAL_MS, callback=self._on_timer)

    def _on_time_slider(self, value: float) -> None:
        if int(round(value)) != self.frame_index:   # pyvista also calls this once on creation
            self.set_frame(int(round(value)))

    def _on_color_picker(self, name: str) -> None:
        if name != self.scene.color:   # pyvista also calls this once on creation
            self.set_color(name)

    def _set_playing(self, playing: bool) -> None:
        self.playing = bool(playing)
        self.play_button.GetRepresentation().SetState(int(self.playing))

    def _on_timer(self, _step) -> None:
        if self.playing:
            self.set_frame((self.frame_index + 1) % len(self.run.times))

    def _on_press(self, _style, _event) -> None:
        self._press_position = self.plotter.iren.interactor.GetEventPosition()

    def _on_release(self, _style, _event) -> None:
        x, y = self.plotter.iren.interactor.GetEventPosition()
        if max(abs(x - self._press_position[0]), abs(y - self._press_position[1])) <= CLICK_TOLERANCE_PX:
            self.pick_at(x, y)

    # --- state -------------------------------------------------------------------------------

    @property
    def frame_index(self) -> int:
        return self.scene.frame_index

    def set_frame(self, k: int) -> None:
        self.scene.show_frame(k)
        self.time_slider.GetRepresentation().SetValue(self.frame_index)
        self.time_slider.GetRepresentation().SetTitleText(time_label(self.scene.frame.time, self.scene.units))
        self._show_selection()
        self.plotter.render()

    def set_color(self, name: str) -> None:
        self.scene.set_color(name)
        self.color_picker.GetRepresentation().SetValue(self.scene.cell_names.index(name))
        self.color_picker.GetRepresentation().SetTitleText(name)
        self._show_selection()
        self.plotter.render()

    def pick_at(self, x: int, y: int) -> int | None:
        """Select the cell drawn at display position (x, y) of the cells panel; returns its id
        (None, and the selection is kept, when no cell is there)."""
        # The prop picker finds the point on the surface as rendered (exact for the non-planar
        # polygons of a shell, where ray-polygon intersection is not); the cell is the closest one.
        picker = vtk.vtkPropPicker()
        renderer = self.plotter.renderers[0]
        if not picker.Pick(x, y, 0, renderer) or picker.GetActor() is not self.scene.cells_actor:
            return None
        row = self.scene.cells.find_closest_cell(np.array(picker.GetPickPosition()))
        return self.select(int(self.scene.cells.cell_data["cell_id"][row]))

    def select(self, cell_id: int) -> int:
        """Select a cell by id: outline it, its ancestors and its descendants; list its values."""
        self.selected = cell_id
        self._show_selection()
        self.plotter.render()
        return cell_id

    @property
    def lineage(self) -> Lineage:
        if self._lineage is None:
            self._lineage = Lineage.from_run(self.run)
        return self._lineage

    def lineage_of_selected(self) -> dict[str, list[int]]:
        if self.selected is None:
            return {}
        return {"selected": [self.selected], "ancestors": self.lineage.ancestors(self.selected),
                "descendants": self.lineage.descendants(self.selected)}

    def _show_selection(self) -> None:
        self.plotter.subplot(0, 0)
        ids = self.scene.cells.cell_data["cell_id"]
        for group, members in self.lineage_of_selected().items():
            present = np.flatnonzero(np.isin(ids, members))
            if len(present):
                outline = self.scene.cells.extract_cells(present)
                self.plotter.add_mesh(outline, style="wireframe", color=HIGHLIGHT[group], line_width=5,
                                      scalars=None, pickable=False, name=f"lineage-{group}", reset_camera=False)
            else:
                self.plotter.remove_actor(f"lineage-{group}", render=False)
        self.plotter.add_text(self.selection_text(), position="right_edge", font_size=9, color="black",
                              name="selection")

    def selection_text(self) -> str:
        """The selected cell's id, values in the current frame and lineage."""
        if self.selected is None:
            return "click a cell"
        relatives = self.lineage_of_selected()
        ids = self.scene.cells.cell_data["cell_id"]
        lines = [f"cell {self.selected}"]
        where = np.flatnonzero(ids == self.selected)
        if len(where):
            row = where[0]
            lines[0] += f" (parent {self.scene.cells.cell_data['parent_id'][row]})"
            lines += [f"{label(name, self.scene.units)} = {self.scene.cells.cell_data[name][row]:.4g}"
                      for name in self.scene.cell_names]
        else:
            lines[0] += " (not in this frame)"
        for group in ("ancestors", "descendants"):
            shown = ", ".join(map(str, relatives[group][:12])) + (" ..." if len(relatives[group]) > 12 else "")
            lines.append(f"{group} ({HIGHLIGHT[group]}): {shown or '-'}")
        return "\n".join(lines)

    # --- window --------------------------------------------------------------------------------

    def show(self):
        """Open the window and block until it is closed; in a notebook, return the trame widget."""
        if self.notebook:
            return self.plotter.show(jupyter_backend="trame", return_viewer=True)
        self.plotter.show(title=f"morphosim: {self.run.path}")

    def start(self) -> None:
        """Open the window and return at once (for scripts and tests)."""
        self.plotter.show(title=f"morphosim: {self.run.path}", interactive_update=True)

    def close(self) -> None:
        self.plotter.close()


def screen_size() -> tuple[int, int]:
    """The display's size in pixels, as VTK sees it (1280 × 800 when it cannot tell)."""
    window = vtk.vtkRenderWindow()
    width, height = window.GetScreenSize()
    window.Finalize()
    return (width, height) if width > 0 and height > 0 else NOTEBOOK_SCREEN


def window_fitting(screen: tuple[int, int], panels: int) -> tuple[int, int]:
    """A window size inside `screen` (minus SCREEN_MARGIN_PX) whose panels, sharing its width, are
    4:3 below the widget band, as large as fits."""
    room_width, room_height = screen[0] - SCREEN_MARGIN_PX[0], screen[1] - SCREEN_MARGIN_PX[1]
    panel_width = min(room_width / panels, (room_height - WIDGET_BAND_PX) * 4 / 3)
    return int(panel_width * panels), int(panel_width * 3 / 4) + WIDGET_BAND_PX
