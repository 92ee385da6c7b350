"""The public reader of run stores (DESIGN.md):

    run = morphosim.open_run("out/x.zarr")
    run.times, run.scenario
    f = run.frame(-1)
    f.vertices, f.cells, f.cell_ids, f.parent_ids, f.species, f.cell_data,
    f.mesh_points, f.mesh_cells, f.fields
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

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


def cells_from_flat(counts: np.ndarray, flat: np.ndarray) -> list[np.ndarray]:
    """Split a flat array of polygon vertex indices into one array per cell."""
    return np.split(flat, np.cumsum(counts)[:-1]) if len(counts) else []


class Run:
    """A recorded run, read frame by frame (nothing is loaded until asked for)."""

    def __init__(self, path: str | Path):
        self._store = StoreReader(path)
        self.path = Path(path)
        self.times: np.ndarray = self._store.times
        self.attributes: dict = self._store.attributes

    @property
    def scenario(self) -> dict:
        return self.attributes.get("scenario", {})

    @property
    def seed(self) -> int:
        return self.attributes.get("seed", 0)

    @cached_property
    def events(self) -> dict[str, np.ndarray]:
        """Cumulative topology event counts at each recorded frame: {"t1_swaps", "divisions",
        "extrusions"}: (T,) each."""
        return {name.split("/", 1)[1]: self._store.root[f"series/{name}"][: len(self.times)]
                for name in self._store.names("series", "events/")}

    def __len__(self) -> int:
        return len(self.times)

    @cached_property
    def _mesh(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        static = self._store.names("static")
        if "mesh_points" not in static:
            return None, None
        return (self._store.root["static/mesh_points"][:], self._store.root["static/mesh_cells"][:])

    def frame(self, k: int) -> Frame:
        k = self._store.frame_index(k)
        ragged = lambda name: self._store.ragged(name, k)  # noqa: E731
        mesh_points, mesh_cells = self._mesh
        box = self.attributes.get("periodic_box")
        return Frame(
            time=float(self.times[k]),
            vertices=ragged("vertices"),
            cells=cells_from_flat(ragged("cell_vertex_counts"), ragged("cell_vertices")),
            cell_ids=ragged("cell_ids"),
            parent_ids=ragged("parent_ids"),
            species={name.split("/", 1)[1]: ragged(name) for name in self._store.names("frame", "species/")},
            cell_data={name.split("/", 1)[1]: ragged(name)
                       for name in self._store.names("frame", "cell_data/")},
            mesh_points=mesh_points,
            mesh_cells=mesh_cells,
            fields={name.split("/", 1)[1]: self._store.series(name, k)
                    for name in self._store.names("series", "fields/")},
            periodic_box=None if box is None else np.asarray(box, float),
        )


def open_run(path: str | Path) -> Run:
    return Run(path)
