"""The public reader of run stores (docs/DESIGN.md):

    run = morphosim.open_run("out/x.zarr")
    run.times, run.scenario
    f = run.frame(-1)
    f.vertices, f.cells, f.cell_ids, f.parent_ids, f.species, f.cell_data,
    f.mesh_points, f.mesh_cells, f.fields
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import numpy as np

from .frames import Frame, read_frame
from .store import StoreReader


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
        return self._store.static("mesh_points"), self._store.static("mesh_cells")

    def check(self) -> list[str]:
        """One line per damaged frame, static array or checkpoint; empty when the store is sound."""
        return self._store.check()

    def frame(self, k: int) -> Frame:
        """The k-th recorded frame (negative k counts from the end)."""
        mesh_points, mesh_cells = self._mesh
        return read_frame(self._store, self._store.frame_index(k), mesh_points, mesh_cells)


def open_run(path: str | Path) -> Run:
    return Run(path)
