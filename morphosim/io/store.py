"""The run store: one zarr v3 group per run, appended frame by frame.

Layout (documented in the README):

    run.zarr/
      zarr.json               attributes: morphosim = {scenario, seed, units, versions, ...}
      times                   (T,)  simulated time of each recorded frame; written LAST
      frame/<name>/data       per-frame values of varying length, concatenated along axis 0
      frame/<name>/offsets    (T+1,) frame k is data[offsets[k]:offsets[k+1]]
      series/<name>           (T, ...) per-frame values of fixed shape (e.g. mesh fields)
      static/<name>           arrays written once (the tissue mesh)
      checkpoint/...          the full state after the last frame, for resume

`times` grows only after every other array of the frame is on disk, so a run killed while
writing leaves a store whose readable frames are exactly the complete ones.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import zarr

FORMAT_VERSION = 1


def _append(array: zarr.Array, values: np.ndarray, length: int) -> None:
    """Write `values` at rows [length, length + len(values)) of an array that may hold stale
    rows past `length` from an interrupted frame (they are overwritten)."""
    end = length + len(values)
    if array.shape[0] < end:
        array.resize((end,) + array.shape[1:])
    if len(values):
        array[length:end] = values


class StoreWriter:
    """Appends frames to a run store. Arrays are created on first use with the dtype and
    trailing shape of the first frame."""

    def __init__(self, path: str | Path, attributes: dict[str, Any] | None = None,
                 resume: bool = False):
        self.path = Path(path)
        if resume:
            self.root = zarr.open_group(self.path, mode="r+")
        else:
            # "w-" fails on an existing path instead of clearing it: the caller claims the path
            # first (morphosim.io.outputs), so nothing a user owns is ever removed here.
            self.root = zarr.open_group(self.path, mode="w-", zarr_format=3)
            self.root.attrs["morphosim"] = {"format_version": FORMAT_VERSION, **(attributes or {})}
            self.root.create_array("times", shape=(0,), chunks=(1024,), dtype="f8")
        self.layout = self.root.attrs["morphosim"].get("layout", {"frame": [], "series": [], "static": []})
        self.n_frames = self.root["times"].shape[0]

    def set_static(self, name: str, values: np.ndarray) -> None:
        values = np.asarray(values)
        array = self.root.create_array(f"static/{name}", shape=values.shape, dtype=values.dtype,
                                       overwrite=True)
        array[...] = values
        self._register("static", name)

    def append_frame(self, time: float, ragged: dict[str, np.ndarray],
                     series: dict[str, np.ndarray] | None = None) -> None:
        """Record one frame. `ragged` arrays may change length between frames (vertices,
        cells); `series` arrays keep one shape (fields on the fixed mesh)."""
        k = self.n_frames
        for name, values in ragged.items():
            values = np.asarray(values)
            data, offsets = self._ragged_arrays(name, values)
            start = int(offsets[k]) if k < offsets.shape[0] else 0
            _append(data, values, start)
            _append(offsets, np.array([start + len(values)], dtype=np.int64), k + 1)
        for name, values in (series or {}).items():
            values = np.asarray(values)
            array = self._array(f"series/{name}", values.shape, values.dtype,
                                chunks=(1,) + values.shape)
            _append(array, values[None], k)
        _append(self.root["times"], np.array([time]), k)
        self.n_frames = k + 1

    def _ragged_arrays(self, name: str, values: np.ndarray) -> tuple[zarr.Array, zarr.Array]:
        chunk_rows = max(1, (1 << 18) // max(1, values[:1].nbytes))
        data = self._array(f"frame/{name}/data", values.shape[1:], values.dtype,
                           chunks=(chunk_rows,) + values.shape[1:])
        offsets = self._array(f"frame/{name}/offsets", (), np.dtype(np.int64), chunks=(1024,))
        if offsets.shape[0] == 0:
            _append(offsets, np.zeros(1, dtype=np.int64), 0)
        return data, offsets

    def _array(self, key: str, row_shape: tuple, dtype: np.dtype, chunks: tuple) -> zarr.Array:
        if key in self.root:
            return self.root[key]
        kind, name = key.split("/", 1)
        if kind == "frame":
            name = name.rsplit("/", 1)[0]
        self._register(kind, name)
        return self.root.create_array(key, shape=(0,) + tuple(row_shape), chunks=chunks, dtype=dtype)

    def _register(self, kind: str, name: str) -> None:
        if name not in self.layout[kind]:
            self.layout[kind].append(name)
            self.set_attribute("layout", self.layout)

    def truncate(self, n_frames: int) -> None:
        """Keep the first n_frames frames; later data is overwritten by the next appends."""
        self.root["times"].resize((n_frames,))
        self.n_frames = n_frames

    def set_attribute(self, key: str, value: Any) -> None:
        attributes = dict(self.root.attrs["morphosim"])
        attributes[key] = value
        self.root.attrs["morphosim"] = attributes


class StoreReader:
    """Low-level read access: ragged frame arrays, series and static arrays by name."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not (self.path / "zarr.json").is_file():
            from morphosim.errors import InputError
            raise InputError(f"{self.path}: not a morphosim run store (no zarr.json)")
        self.root = zarr.open_group(self.path, mode="r")
        self.attributes = dict(self.root.attrs["morphosim"])
        self.times = self.root["times"][:]

    def frame_index(self, k: int) -> int:
        n = len(self.times)
        if not -n <= k < n:
            raise IndexError(f"frame {k} out of range: the store holds {n} frames")
        return k % n

    def ragged(self, name: str, k: int) -> np.ndarray:
        group = self.root[f"frame/{name}"]
        start, end = group["offsets"][k:k + 2]
        return group["data"][int(start):int(end)]

    def series(self, name: str, k: int) -> np.ndarray:
        return self.root[f"series/{name}"][k]

    def names(self, kind: str, prefix: str = "") -> list[str]:
        """Names of the arrays of one kind ("frame", "series" or "static") under `prefix`."""
        return [name for name in self.attributes.get("layout", {}).get(kind, [])
                if name.startswith(prefix)]
