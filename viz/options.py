"""What a picture shows (kept free of pyvista so the CLI starts fast)."""

from __future__ import annotations

from dataclasses import dataclass

CAMERAS = ("auto", "xy", "xz", "yz", "-xy", "-xz", "-yz", "iso")   # "-xy": the xy plane seen from -z
FLOW_STYLES = ("arrows", "streamlines", "none")


@dataclass
class ViewOptions:
    """What to draw. `color`: the cell quantity (default: the first species); `fields`: tissue
    fields to draw, each in its own panel (vector fields by magnitude); `flow`: how to draw the
    velocity field; `camera`: auto (top view of a sheet, oblique view of a shell) or a named view;
    `zoom`: camera zoom factor; `window_size`: (width, height) in pixels; `section`: for a 3D monolayer,
    the x of a cross-section plane normal to x (the anterior-posterior axis): the cells are clipped
    there, the part x <= section is drawn and the default camera looks at the cut face from +x."""
    color: str | None = None
    fields: tuple[str, ...] = ()
    flow: str = "arrows"
    camera: str = "auto"
    zoom: float = 1.0
    window_size: tuple[int, int] | None = None
    section: float | None = None
