"""A recorded frame: the `Frame` type, and its layout in a run store (both directions).

Per frame, a store holds (README, "Run store layout"; the frame arrays packed into two blocks
a frame by morphosim.io.store):

    frame/vertices, cell_vertex_counts, cell_vertices, cell_ids, parent_ids   ragged, per frame
    frame/basal_vertices                                                      a 3D monolayer's basal layer
    frame/species/<name>, frame/cell_data/<name>                              ragged, per cell
    series/events/<name>                                                      cumulative counts
    series/fields/<name>                                                      on the fixed tissue mesh
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .store import StoreReader


@dataclass
class Frame:
    time: float
    vertices: np.ndarray                 # (Nv, 3)
    cells: Sequence[np.ndarray]          # vertex indices of each cell, counter-clockwise (a CellLoops)
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


class CellLoops(Sequence):
    """The vertex indices of every cell, held flat: cell k is flat[start[k]:start[k + 1]]. A
    sequence of per-cell arrays, cut out only when asked for (a store keeps them flat, and so
    does the sheet's ring table: 10^4 cells need no Python loop to record or read)."""

    def __init__(self, counts: np.ndarray, flat: np.ndarray):
        self.counts = np.asarray(counts, np.int64)
        self.flat = np.asarray(flat, np.int64)
        self.start = np.concatenate([[0], np.cumsum(self.counts)])
        if self.start[-1] != len(self.flat):
            raise ValueError(f"cell vertex counts sum to {self.start[-1]}, but there are {len(self.flat)} indices")

    @classmethod
    def of(cls, cells) -> "CellLoops":
        """`cells` (a CellLoops, or any sequence of index arrays) as a CellLoops."""
        if isinstance(cells, CellLoops):
            return cells
        flat = np.concatenate(cells) if len(cells) else np.zeros(0, np.int64)
        return cls(np.array([len(cell) for cell in cells], np.int64), flat)

    def __len__(self) -> int:
        return len(self.counts)

    def __getitem__(self, k):
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(len(self)))]
        k = range(len(self))[k]   # negative indices and the IndexError of a list
        return self.flat[self.start[k]:self.start[k + 1]]


def frame_arrays(frame: Frame) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(ragged arrays, fixed-shape series) of one frame, keyed as the store names them."""
    cells = CellLoops.of(frame.cells)
    ragged = {
        "vertices": frame.vertices,
        "cell_vertex_counts": cells.counts,
        "cell_vertices": cells.flat,
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
        cells=CellLoops(arrays["frame/cell_vertex_counts"], arrays["frame/cell_vertices"]),
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
