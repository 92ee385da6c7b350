"""A recorded frame: the `Frame` type, and its layout in a run store (both directions).

Per frame, a store holds (README, "Run store layout"):

    frame/vertices, cell_vertex_counts, cell_vertices, cell_ids, parent_ids   ragged, per frame
    frame/basal_vertices                                                      a 3D monolayer's basal layer
    frame/species/<name>, frame/cell_data/<name>                              ragged, per cell
    series/events/<name>                                                      cumulative counts
    series/fields/<name>                                                      on the fixed tissue mesh
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .store import StoreReader


@dataclass
class Frame:
    time: float
    vertices: np.ndarray                 # (Nv, 3)
    cells: list[np.ndarray]              # vertex indices of each cell, counter-clockwise
    cell_ids: np.ndarray                 # (Nc,) persistent ids
    parent_ids: np.ndarray               # (Nc,) -1 for founder cells
    species: dict[str, np.ndarray] = field(default_factory=dict)     # {name: (Nc,)}
    cell_data: dict[str, np.ndarray] = field(default_factory=dict)   # {"area": (Nc,), ...}
    mesh_points: np.ndarray | None = None                            # (Np, 3)
    mesh_cells: np.ndarray | None = None                             # (Nt, 3)
    fields: dict[str, np.ndarray] = field(default_factory=dict)      # {name: (Np,) or (Np, 3)}
    periodic_box: np.ndarray | None = None   # (Lx, Ly) of a periodic sheet, whose vertices are wrapped into it
    events: dict[str, int] = field(default_factory=dict)   # cumulative t1_swaps, divisions, extrusions
    basal_vertices: np.ndarray | None = None   # (Nv, 3) of a 3D monolayer (vertex v below apical vertex v)


def cells_from_flat(counts: np.ndarray, flat: np.ndarray) -> list[np.ndarray]:
    """Split a flat array of polygon vertex indices into one array per cell."""
    return np.split(flat, np.cumsum(counts)[:-1]) if len(counts) else []


def frame_arrays(frame: Frame) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(ragged arrays, fixed-shape series) of one frame, keyed as the store names them."""
    cells = frame.cells
    ragged = {
        "vertices": frame.vertices,
        "cell_vertex_counts": np.array([len(cell) for cell in cells], np.int64),
        "cell_vertices": np.concatenate(cells).astype(np.int64) if cells else np.zeros(0, np.int64),
        "cell_ids": frame.cell_ids,
        "parent_ids": frame.parent_ids,
    }
    if frame.basal_vertices is not None:
        ragged["basal_vertices"] = frame.basal_vertices
    ragged.update({f"species/{name}": values for name, values in frame.species.items()})
    ragged.update({f"cell_data/{name}": values for name, values in frame.cell_data.items()})
    series = {f"events/{name}": np.asarray(count) for name, count in frame.events.items()}
    series.update({f"fields/{name}": values for name, values in frame.fields.items()})
    return ragged, series


def read_frame(store: StoreReader, k: int, mesh_points=None, mesh_cells=None) -> Frame:
    """Frame k (a valid, non-negative index) of a store, verified against its checksum."""
    arrays = store.frame_arrays(k)

    def named(kind: str, prefix: str) -> dict[str, np.ndarray]:
        start = f"{kind}/{prefix}"
        return {key[len(start):]: values for key, values in arrays.items() if key.startswith(start)}

    box = store.attributes.get("periodic_box")
    return Frame(
        time=float(arrays["time"][0]),
        vertices=arrays["frame/vertices"],
        cells=cells_from_flat(arrays["frame/cell_vertex_counts"], arrays["frame/cell_vertices"]),
        cell_ids=arrays["frame/cell_ids"],
        parent_ids=arrays["frame/parent_ids"],
        species=named("frame", "species/"),
        cell_data=named("frame", "cell_data/"),
        mesh_points=mesh_points,
        mesh_cells=mesh_cells,
        fields=named("series", "fields/"),
        periodic_box=None if box is None else np.asarray(box, float),
        events={name: int(count) for name, count in named("series", "events/").items()},
        basal_vertices=arrays.get("frame/basal_vertices"),
    )
