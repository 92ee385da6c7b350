"""The public reader of run stores (docs/DESIGN.md):

    run = morphosim.open_run("out/x.zarr")
    run.times, run.scenario
    f = run.frame(-1)
    f.vertices, f.cells, f.cell_ids, f.parent_ids, f.species, f.cell_data,
    f.mesh_points, f.mesh_cells, f.fields
    run.to_pandas()     # one row per cell per frame: frame, time, cell_id, parent_id, species, cell data
    run.to_xarray()     # a Dataset over (time, cell_id), NaN where a cell does not exist, plus fields and events
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


    @property
    def units(self) -> dict[str, str]:
        """The scenario's units {"length", "time", "force"}; empty for a non-dimensional run."""
        return dict(self.attributes.get("units") or {})

    def to_pandas(self):
        """A tidy table, one row per cell per recorded frame (frames in order, cells in slot order):
        frame, time, cell_id, parent_id, one column per species, then per cell quantity (area,
        perimeter, ...; the centroid as x, y, z, other vectors as <name>_x, _y, _z).
        `table.attrs["units"]` holds the run's units."""
        return self._read_all(fields=False)[0]

    def to_xarray(self):
        """An xarray Dataset: every species and cell quantity as a (time, cell_id) variable over every
        cell id that ever existed (NaN in the frames where that cell does not), parent_id as a
        coordinate along cell_id, the topology event counts over time, and each tissue field as
        field_<name> over (time, mesh_point[, component]) on the fixed mesh (mesh_points, mesh_cells)."""
        import xarray as xr

        table, fields = self._read_all(fields=True)
        ids = np.unique(table["cell_id"].to_numpy())
        row, column = table["frame"].to_numpy(), np.searchsorted(ids, table["cell_id"].to_numpy())
        parents = np.full(len(ids), -1, np.int64)
        parents[column] = table["parent_id"].to_numpy()
        variables = {}
        for name in table.columns.drop(["frame", "time", "cell_id", "parent_id"]):
            grid = np.full((len(self), len(ids)), np.nan)
            grid[row, column] = table[name].to_numpy(dtype=float)
            variables[name] = (("time", "cell_id"), grid)
        for name, counts in self.events.items():
            variables[name] = (("time",), np.asarray(counts))
        for name, values in fields.items():
            variables[f"field_{name}"] = (("time", "mesh_point", "component")[: values.ndim], values)
        mesh_points, mesh_cells = self._mesh
        if mesh_points is not None:
            variables["mesh_points"] = (("mesh_point", "xyz"), mesh_points)
            variables["mesh_cells"] = (("triangle", "corner"), mesh_cells)
        return xr.Dataset(variables, coords={"time": self.times, "cell_id": ids, "parent_id": ("cell_id", parents)},
                          attrs={"name": self.scenario.get("name", ""),
                                 **({f"{kind}_unit": unit for kind, unit in self.units.items()}
                                    or {"units": "dimensionless"})})

    def _read_all(self, fields: bool):
        """(tidy cell table, {field name: (T, Np[, 3])}) from one pass over the frames."""
        import pandas as pd

        tables, field_frames = [], []
        for k in range(len(self)):
            frame = self.frame(k)
            n = len(frame.cell_ids)
            columns = {"frame": np.full(n, k), "time": np.full(n, frame.time), "cell_id": frame.cell_ids,
                       "parent_id": frame.parent_ids}
            columns.update(frame.species)
            for name, values in frame.cell_data.items():   # vectors (the centroid) one column per axis
                columns.update({name: values} if values.ndim == 1 else
                               {("" if name == "centroid" else f"{name}_") + axis: values[:, i]
                                for i, axis in enumerate("xyz")})
            tables.append(pd.DataFrame(columns))
            if fields:
                field_frames.append(frame.fields)
        table = (pd.concat(tables, ignore_index=True) if tables
                 else pd.DataFrame(columns=["frame", "time", "cell_id", "parent_id"]))
        table.attrs["units"] = self.units
        names = field_frames[0] if field_frames else {}
        stacked = {name: np.stack([fields_of_frame[name] for fields_of_frame in field_frames]) for name in names}
        return table, stacked


def open_run(path: str | Path) -> Run:
    return Run(path)
