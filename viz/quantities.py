"""What a cell or the tissue mesh can be coloured by: values per frame, names with units.

Cell quantities are the recorded species and cell data, plus `area`, `perimeter` (computed from
the polygons when the store does not hold them) and the shape index p = P / sqrt(A).
"""

from __future__ import annotations

import numpy as np

from morphosim.errors import InputError

SHAPE_INDEX = "shape_index"


def polygon_area_perimeter(vertices: np.ndarray, cells: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Area and perimeter of every polygon (length², length).

    The area is the fan area around the vertex mean, projected on the polygon's mean normal: the
    exact area of a planar polygon (convex or not) and the vertex model's area on a curved shell.
    """
    counts = np.array([len(cell) for cell in cells])
    corner = np.concatenate(cells)
    owner = np.repeat(np.arange(len(cells)), counts)
    first = np.repeat(np.cumsum(counts) - counts, counts)
    following = corner[first + (np.arange(len(corner)) - first + 1) % counts[owner]]
    centre = np.stack([np.bincount(owner, vertices[corner, axis]) for axis in range(3)], axis=1)
    centre /= counts[:, None]
    fan = np.cross(vertices[corner] - centre[owner], vertices[following] - centre[owner])
    normal = np.stack([np.bincount(owner, fan[:, axis]) for axis in range(3)], axis=1)
    normal /= np.maximum(np.linalg.norm(normal, axis=1), np.finfo(float).tiny)[:, None]
    area = 0.5 * np.bincount(owner, np.einsum("ij,ij->i", fan, normal[owner]))
    perimeter = np.bincount(owner, np.linalg.norm(vertices[following] - vertices[corner], axis=1))
    return area, perimeter


def cell_quantities(frame) -> dict[str, np.ndarray]:
    """Every per-cell scalar of a frame, species first: {name: (Nc,)} (vectors such as the
    centroid are left out: they colour nothing)."""
    values = {name: array for name, array in {**frame.species, **frame.cell_data}.items() if array.ndim == 1}
    if "area" not in values or "perimeter" not in values:
        area, perimeter = polygon_area_perimeter(frame.vertices, frame.cells)
        values.setdefault("area", area)
        values.setdefault("perimeter", perimeter)
    values[SHAPE_INDEX] = values["perimeter"] / np.sqrt(values["area"])
    return values


def field_magnitude_name(name: str) -> str:
    return "speed" if name == "velocity" else f"|{name}|"


def scalar_fields(frame) -> dict[str, np.ndarray]:
    """Fields on the tissue mesh as scalars per mesh point; vector fields by their magnitude."""
    return {(field_magnitude_name(name) if values.ndim == 2 else name):
            (np.linalg.norm(values, axis=1) if values.ndim == 2 else values)
            for name, values in frame.fields.items()}


def run_units(run) -> dict[str, str]:
    """The run's units {"length", "time", "force"}; empty for a non-dimensional run."""
    return dict(run.attributes.get("units") or {})


_UNIT_OF = {
    "area": lambda u: f"{u['length']}²",
    "perimeter": lambda u: u["length"],
    "speed": lambda u: f"{u['length']}/{u['time']}",
}


def label(name: str, units: dict[str, str]) -> str:
    """A scalar bar / axis title: the quantity's name and, where known, its unit."""
    if name == SHAPE_INDEX:
        return "shape index P/√A"
    if name in _UNIT_OF and not units:
        return f"{name} (dimensionless)"
    try:
        return f"{name} [{_UNIT_OF[name](units)}]"
    except KeyError:   # a quantity without a known unit (a species, a field)
        return name


def time_label(time: float, units: dict[str, str]) -> str:
    return f"t = {time:.4g} {units['time']}" if units else f"t = {time:.4g} (dimensionless)"


def check_name(name: str, available, what: str, option: str) -> str:
    """`name` if it is one of `available`, else an InputError naming the option and the choices."""
    if name not in available:
        choices = f"choose one of {', '.join(available)}" if len(available) else "the run records none"
        raise InputError(f"{option} {name}: unknown {what}; {choices}")
    return name
