"""The run store: one zarr v3 group per run, appended frame by frame.

Layout (documented in the README):

    run.zarr/
      zarr.json               attributes: morphosim = {scenario, seed, units, versions, commit, checkpoint, ...}
      times                   (T,)  simulated time of each recorded frame
      frame/<name>/data       per-frame values of varying length, concatenated along axis 0
      frame/<name>/offsets    (T+1,) frame k is data[offsets[k]:offsets[k+1]]
      series/<name>           (T, ...) per-frame values of fixed shape (e.g. mesh fields)
      static/<name>           arrays written once (the tissue mesh)
      checkpoint/<slot>       the full state after a recorded frame, as one .npz archive (two slots)

The commit marker (attribute `commit`: the number of frames and a checksum of each) is written
last for every frame, in one atomic write of zarr.json. A reader trusts only what it says, so a
run killed while writing leaves a store whose frames are exactly the committed ones, and a frame
or checkpoint whose arrays were damaged afterwards is detected by its checksum, never read as data.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import zarr
from zarr.core.sync import sync

from morphosim.errors import InputError

FORMAT_VERSION = 2


def checksum(arrays: dict[str, np.ndarray]) -> str:
    """A hash of named arrays (names, dtypes, shapes and bytes), in name order."""
    digest = hashlib.blake2b(digest_size=12)
    for name in sorted(arrays):
        values = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}:{values.dtype.str}:{values.shape};".encode())
        digest.update(values.tobytes())
    return digest.hexdigest()


class StoreDamaged(InputError):
    """A store whose arrays do not match their checksums, or cannot be read."""


async def _append(array: zarr.Array, values: np.ndarray, length: int) -> None:
    """Write `values` at rows [length, length + len(values)) of an array that may hold stale
    rows past `length` from an interrupted frame (they are overwritten)."""
    end = length + len(values)
    target = array._async_array
    if target.shape[0] < end:   # grow by doubling: a resize rewrites metadata; readers stop at the committed length
        await target.resize((max(end, 2 * target.shape[0]),) + target.shape[1:])
    if len(values):
        await target.setitem(slice(length, end), values)


def _append_all(writes: list[tuple[zarr.Array, np.ndarray, int]]) -> None:
    """Every (array, values, start) append at once: the arrays are distinct, and zarr then overlaps
    their metadata and chunk writes instead of doing them one after the other."""
    async def gather():
        await asyncio.gather(*(_append(array, values, start) for array, values, start in writes))

    sync(gather())


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
        self._open: dict[str, zarr.Array] = {}   # arrays opened or created so far (opening reads metadata)
        self._lengths: dict[str, int] = {}       # ragged name -> data rows after frame _lengths_frame[name] - 1
        self._lengths_frame: dict[str, int] = {}
        self.layout = self.root.attrs["morphosim"].get("layout", {"frame": [], "series": [], "static": []})
        commit = self.root.attrs["morphosim"].get("commit", {"frames": 0, "checksums": []})
        self.n_frames, self.checksums = commit["frames"], list(commit["checksums"])

    def set_static(self, name: str, values: np.ndarray) -> None:
        values = np.asarray(values)
        array = self.root.create_array(f"static/{name}", shape=values.shape, dtype=values.dtype,
                                       overwrite=True)
        array[...] = values
        self._register("static", name)
        sums = dict(self.root.attrs["morphosim"].get("static_checksums", {}))
        sums[name] = checksum({name: values})
        self.set_attribute("static_checksums", sums)

    def append_frame(self, time: float, ragged: dict[str, np.ndarray],
                     series: dict[str, np.ndarray] | None = None) -> None:
        """Record one frame. `ragged` arrays may change length between frames (vertices,
        cells); `series` arrays keep one shape (fields on the fixed mesh)."""
        k = self.n_frames
        written = {"time": np.array([time], float)}
        writes = []
        for name, values in ragged.items():
            values = np.asarray(values)
            data, offsets = self._ragged_arrays(name, values)
            start = self._ragged_length(name, offsets, k)
            writes += [(data, values, start), (offsets, np.array([start + len(values)], np.int64), k + 1)]
            self._lengths[name] = start + len(values)
            written[f"frame/{name}"] = values
        for name, values in (series or {}).items():
            values = np.asarray(values)
            writes.append((self._array(f"series/{name}", values.shape, values.dtype, chunks=(1,) + values.shape),
                           values[None], k))
            written[f"series/{name}"] = values
        writes.append((self._array("times", (), np.dtype(float), (1024,)), np.array([time]), k))
        _append_all(writes)
        self.checksums = self.checksums[:k] + [checksum(written)]
        self.n_frames = k + 1
        self.set_attribute("commit", {"frames": self.n_frames, "checksums": self.checksums})

    def _ragged_length(self, name: str, offsets: zarr.Array, k: int) -> int:
        """Rows of a ragged array's data in the first k frames: kept from the last append, else read."""
        if self._lengths_frame.get(name) != k:
            self._lengths[name] = int(offsets[k]) if k < offsets.shape[0] else 0
        self._lengths_frame[name] = k + 1
        return self._lengths[name]

    def _ragged_arrays(self, name: str, values: np.ndarray) -> tuple[zarr.Array, zarr.Array]:
        chunk_rows = max(1, (1 << 18) // max(1, values[:1].nbytes))
        data = self._array(f"frame/{name}/data", values.shape[1:], values.dtype,
                           chunks=(chunk_rows,) + values.shape[1:])
        offsets = self._array(f"frame/{name}/offsets", (), np.dtype(np.int64), chunks=(1024,))
        if offsets.shape[0] == 0:
            _append_all([(offsets, np.zeros(1, dtype=np.int64), 0)])
        return data, offsets

    def _array(self, key: str, row_shape: tuple, dtype: np.dtype, chunks: tuple) -> zarr.Array:
        if key in self._open:
            return self._open[key]
        if key in self.root:
            array = self.root[key]
        else:
            kind, name = key.split("/", 1)
            if kind == "frame":
                name = name.rsplit("/", 1)[0]
            self._register(kind, name)
            # uncompressed: simulation floats barely compress, and encoding would cost every frame
            array = self.root.create_array(key, shape=(0,) + tuple(row_shape), chunks=chunks, dtype=dtype,
                                           compressors=None)
        self._open[key] = array
        return array

    def _register(self, kind: str, name: str) -> None:
        if name not in self.layout[kind]:
            self.layout[kind].append(name)
            self.set_attribute("layout", self.layout)

    def truncate(self, n_frames: int) -> None:
        """Keep the first n_frames frames; later data is overwritten by the next appends."""
        self.root["times"].resize((n_frames,))
        self.n_frames, self.checksums = n_frames, self.checksums[:n_frames]
        self.set_attribute("commit", {"frames": self.n_frames, "checksums": self.checksums})

    def write_checkpoint(self, state: dict[str, np.ndarray], step: int) -> None:
        """Save `state` (the simulation after `step` steps, at the last frame) into the checkpoint
        slot not in use, then point the attributes at it: a crash mid-write leaves the previous
        checkpoint valid."""
        slot = 1 - self.root.attrs["morphosim"].get("checkpoint", {}).get("slot", 1)
        # one array holding the whole state as an .npz archive: one write instead of one per array
        archive = io.BytesIO()
        np.savez(archive, **{name.replace("/", "|"): values for name, values in state.items()})
        blob = np.frombuffer(archive.getbuffer(), np.uint8)
        array = self.root.create_array(f"checkpoint/{slot}", shape=blob.shape, dtype=np.uint8,
                                       chunks=(max(1, blob.size),), compressors=None, overwrite=True)
        array[...] = blob
        self.set_attribute("checkpoint", {"slot": slot, "frame": self.n_frames - 1, "step": step,
                                          "checksum": checksum(state)})

    def set_attribute(self, key: str, value: Any) -> None:
        """Set one of the store's morphosim attributes (one atomic write of zarr.json)."""
        attributes = dict(self.root.attrs["morphosim"])
        attributes[key] = value
        self.root.attrs["morphosim"] = attributes


def read_checkpoint(root: zarr.Group, path: Path) -> tuple[dict[str, np.ndarray], dict] | None:
    """(state, info) of a store's last checkpoint, verified against its checksum; None when the
    store has none yet (stopped before its first checkpoint: it resumes from the start)."""
    info = root.attrs["morphosim"].get("checkpoint")
    if info is None:
        return None
    try:
        with np.load(io.BytesIO(root[f"checkpoint/{info['slot']}"][...].tobytes())) as archive:
            state = {name.replace("|", "/"): archive[name] for name in archive.files}
    except Exception as error:   # zarr raises many kinds on missing or garbled chunks
        raise StoreDamaged(f"{path}: the checkpoint cannot be read ({_cause(error)}); "
                           "start again with --overwrite") from None
    if checksum(state) != info.get("checksum"):
        raise StoreDamaged(f"{path}: the checkpoint is damaged (checksum mismatch); start again with --overwrite")
    return state, info


def _cause(error: Exception) -> str:
    return (str(error).splitlines() or [type(error).__name__])[0][:160]


class StoreReader:
    """Low-level read access: frames (verified against their checksums), series and static arrays."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            metadata = json.loads((self.path / "zarr.json").read_text())
        except FileNotFoundError:
            raise InputError(f"{self.path}: not a morphosim run store (no zarr.json)") from None
        except (OSError, ValueError) as error:
            raise StoreDamaged(f"{self.path}: not a readable run store (zarr.json: {_cause(error)})") from None
        attributes = (metadata.get("attributes") or {}).get("morphosim") if isinstance(metadata, dict) else None
        if not isinstance(attributes, dict):
            raise InputError(f"{self.path}: not a morphosim run store (a zarr group without morphosim's attributes)")
        try:
            self.root = zarr.open_group(self.path, mode="r")
            times = self.root["times"][:]
        except Exception as error:   # zarr raises many kinds on missing or garbled arrays
            raise StoreDamaged(f"{self.path}: the store is damaged (times: {_cause(error)})") from None
        self.attributes = attributes
        commit = attributes.get("commit")
        n = commit["frames"] if commit is not None else len(times)   # format 1 stores: no marker
        self.checksums = commit["checksums"] if commit is not None else None
        if len(times) < n:
            raise StoreDamaged(f"{self.path}: the store is damaged (times holds {len(times)} of {n} frames)")
        self.times = times[:n]

    def frame_index(self, k: int) -> int:
        n = len(self.times)
        if not -n <= k < n:
            raise IndexError(f"frame {k} out of range: the store holds {n} frames")
        return k % n

    def frame_arrays(self, k: int) -> dict[str, np.ndarray]:
        """Every array of frame k (a valid index), checked against its checksum:
        {"time", "frame/<name>", "series/<name>"}. A damaged frame raises StoreDamaged naming it."""
        try:
            arrays = {"time": self.times[k:k + 1].astype(float)}
            for name in self.names("frame"):
                group = self.root[f"frame/{name}"]
                start, end = group["offsets"][k:k + 2]
                arrays[f"frame/{name}"] = group["data"][int(start):int(end)]
            for name in self.names("series"):
                arrays[f"series/{name}"] = self.root[f"series/{name}"][k]
        except Exception as error:   # zarr raises many kinds on missing or garbled chunks
            raise StoreDamaged(f"{self.path}: frame {k} cannot be read ({_cause(error)}); "
                               f"`morphosim check {self.path}` lists every damaged frame") from None
        if self.checksums is not None and checksum(arrays) != self.checksums[k]:
            raise StoreDamaged(f"{self.path}: frame {k} is damaged (its arrays do not match their checksum); "
                               f"`morphosim check {self.path}` lists every damaged frame")
        return arrays

    def static(self, name: str) -> np.ndarray:
        """A static array (the tissue mesh), checked against its checksum."""
        try:
            values = self.root[f"static/{name}"][...]
        except Exception as error:   # zarr raises many kinds on missing or garbled chunks
            raise StoreDamaged(f"{self.path}: static/{name} cannot be read ({_cause(error)})") from None
        expected = self.attributes.get("static_checksums", {}).get(name)
        if expected is not None and checksum({name: values}) != expected:
            raise StoreDamaged(f"{self.path}: static/{name} is damaged (checksum mismatch)")
        return values

    def check(self) -> list[str]:
        """One line per damaged part of the store (every frame, the static arrays, the
        checkpoint); empty when all is well."""
        problems = []
        for k in range(len(self.times)):
            try:
                self.frame_arrays(k)
            except StoreDamaged as damage:
                problems.append(str(damage).split("; `morphosim check")[0])
        for name in self.names("static"):
            try:
                self.static(name)
            except StoreDamaged as damage:
                problems.append(str(damage))
        if self.attributes.get("checkpoint") is not None:
            try:
                read_checkpoint(self.root, self.path)
            except StoreDamaged as damage:
                problems.append(str(damage).split("; start again")[0])
        return problems

    def names(self, kind: str, prefix: str = "") -> list[str]:
        """Names of the arrays of one kind ("frame", "series" or "static") under `prefix`."""
        return [name for name in self.attributes.get("layout", {}).get(kind, [])
                if name.startswith(prefix)]
