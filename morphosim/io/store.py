"""The run store: one zarr v3 group per run, appended frame by frame.

Layout (documented in the README):

    run.zarr/
      zarr.json               attributes: morphosim = {scenario, seed, units, versions, commit, checkpoint, ...}
      times                   (T,)  simulated time of each recorded frame
      frames/float/<k>        frame k's arrays of varying length (vertices, per-cell values):
      frames/int/<k>          every floating-point one flattened into one float64 array, every
                              integer one into one int64 array, in the order of the layout's
                              frame names; frames/int/<k> starts with [n, rows of each of the
                              first n names (-1: absent from this frame)]
      series/<name>           (T, ...) per-frame values of fixed shape (e.g. mesh fields)
      static/<name>           arrays written once (the tissue mesh)
      checkpoint/<slot>       the full state after a recorded frame, as one .npz archive (two slots)

Two arrays per frame, whatever the number of names, keep a frame to a few writes (one chunk each,
never a partly filled chunk read back and rewritten). Format 2 stores (frame/<name>/data and
offsets, one pair per name) are still read.

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
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import zarr
from zarr.core.buffer import default_buffer_prototype
from zarr.core.sync import sync

from morphosim.errors import InputError

FORMAT_VERSION = 3
BLOCK_DTYPES = {"float": np.dtype(np.float64), "int": np.dtype(np.int64)}   # frames/<kind>/<k>


def _block_kind(values: np.ndarray) -> str:
    if values.dtype.kind == "f":
        return "float"
    if values.dtype.kind in "iub":
        return "int"
    raise ValueError(f"a frame array of dtype {values.dtype} cannot be recorded (floats, integers, booleans)")


def checksum(arrays: dict[str, np.ndarray]) -> str:
    """A hash of named arrays (names, dtypes, shapes and bytes), in name order."""
    digest = hashlib.blake2b(digest_size=12)
    for name in sorted(arrays):
        values = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}:{values.dtype.str}:{values.shape};".encode())
        digest.update(values.tobytes())
    return digest.hexdigest()


def archive_checksum(blob: bytes) -> str:
    """A checkpoint archive's checksum: its length and CRC-32 (the archive's members carry their
    own CRC-32 too; a hash of the arrays, as for frames, would cost several times more)."""
    return f"crc32:{len(blob)}:{zlib.crc32(blob):08x}"


class StoreDamaged(InputError):
    """A store whose arrays do not match their checksums, or cannot be read."""


def _raw(values: np.ndarray, dtype: np.dtype):
    """A chunk's bytes as zarr stores an uncompressed chunk (the bytes codec, little-endian)."""
    return default_buffer_prototype().buffer.from_bytes(
        np.ascontiguousarray(values, dtype=np.dtype(dtype).newbyteorder("<")).tobytes())


async def _append(array: zarr.Array, values: np.ndarray, length: int) -> None:
    """Write `values` at rows [length, length + len(values)) of an array that may hold stale
    rows past `length` from an interrupted frame (they are overwritten)."""
    end = length + len(values)
    target = array._async_array
    if target.shape[0] < end:   # grow by doubling: a resize rewrites metadata; readers stop at the committed length
        await target.resize((max(end, 2 * target.shape[0]),) + target.shape[1:])
    if not len(values):
        return
    rows = target.chunks[0]
    if (length % rows == 0 and len(values) == rows and target.chunks[1:] == target.shape[1:]
            and not array.compressors and not array.filters):
        # exactly one whole uncompressed chunk (a series' frame): its bytes, nothing read back
        key = target.metadata.encode_chunk_key((length // rows,) + (0,) * (len(target.shape) - 1))
        await (target.store_path / key).set(_raw(values, target.dtype))
    else:
        await target.setitem(slice(length, end), values)


async def _put_block(root: zarr.Group, key: str, values: np.ndarray, template: dict | None) -> None:
    """The 1-D array `key` holding `values` in one chunk, replacing any a stopped run left there.
    With `template` (the zarr.json of an earlier block of the same dtype) its metadata and chunk
    are written as they are, which costs a fraction of zarr's array creation; without, zarr
    creates it."""
    if template is None:
        array = await root._async_group.create_array(key, shape=values.shape, dtype=values.dtype,
                                                     chunks=(max(1, len(values)),), compressors=None, overwrite=True)
        if len(values):
            await array.setitem(slice(None), values)
        return
    metadata = dict(template, shape=[len(values)],
                    chunk_grid={"name": "regular", "configuration": {"chunk_shape": [max(1, len(values))]}})
    folder = root.store_path / key
    prototype = default_buffer_prototype()
    puts = [(folder / "zarr.json").set(prototype.buffer.from_bytes(json.dumps(metadata).encode()))]
    if len(values):
        puts.append((folder / "c/0").set(_raw(values, values.dtype)))
    await asyncio.gather(*puts)


def _write_all(appends: list[tuple[zarr.Array, np.ndarray, int]],
               blocks: list[tuple[zarr.Group, str, np.ndarray, dict | None]] = ()) -> None:
    """Every (array, values, start) append and every (root, key, values, template) block at once:
    the arrays are distinct, and zarr then overlaps their writes instead of doing them one after
    the other."""
    async def gather():
        await asyncio.gather(*(_append(array, values, start) for array, values, start in appends),
                             *(_put_block(*block) for block in blocks))

    sync(gather())


class StoreWriter:
    """Appends frames to a run store. Arrays are created on first use with the dtype and
    trailing shape of the first frame.

    The writer keeps the store's attributes and times in memory and writes zarr.json itself (the
    group metadata as zarr writes it, in one atomic write), once a frame: zarr's attribute update
    would cost several times the frame's own arrays."""

    TIMES_CHUNK = 1024

    def __init__(self, path: str | Path, attributes: dict[str, Any] | None = None,
                 resume: bool = False):
        self.path = Path(path)
        if resume:
            self.root = zarr.open_group(self.path, mode="r+")
            found = self.root.attrs["morphosim"].get("format_version")
            if found != FORMAT_VERSION:
                raise InputError(f"{self.path}: a store of format {found} (an older morphosim) cannot be "
                                 f"continued (this one writes format {FORMAT_VERSION}); start again with --overwrite")
        else:
            # "w-" fails on an existing path instead of clearing it: the caller claims the path
            # first (morphosim.io.outputs), so nothing a user owns is ever removed here.
            self.root = zarr.open_group(self.path, mode="w-", zarr_format=3)
            self.root.attrs["morphosim"] = {"format_version": FORMAT_VERSION, **(attributes or {})}
            self.root.create_array("times", shape=(0,), chunks=(self.TIMES_CHUNK,), dtype="f8", compressors=None)
        self._group_metadata = json.loads((self.path / "zarr.json").read_text())
        self.attributes: dict[str, Any] = dict(self._group_metadata["attributes"]["morphosim"])
        self._open: dict[str, zarr.Array] = {}   # arrays opened or created so far (opening reads metadata)
        self._templates: dict[str, dict] = {}    # block kind or "checkpoint" -> zarr.json of the first one written
        self.layout = self.attributes.get("layout", {"frame": [], "series": [], "static": []})
        commit = self.attributes.get("commit", {"frames": 0, "checksums": []})
        self.n_frames, self.checksums = commit["frames"], list(commit["checksums"])
        self._times = [float(t) for t in self.root["times"][: self.n_frames]]

    def set_static(self, name: str, values: np.ndarray) -> None:
        values = np.asarray(values)
        array = self.root.create_array(f"static/{name}", shape=values.shape, dtype=values.dtype,
                                       overwrite=True)
        array[...] = values
        self._register("static", name)
        sums = dict(self.attributes.get("static_checksums", {}))
        sums[name] = checksum({name: values})
        self.set_attribute("static_checksums", sums)

    def append_frame(self, time: float, ragged: dict[str, np.ndarray],
                     series: dict[str, np.ndarray] | None = None,
                     checkpoint: tuple[dict[str, np.ndarray], int] | None = None) -> None:
        """Record one frame. `ragged` arrays may change length between frames (vertices,
        cells); `series` arrays keep one shape (fields on the fixed mesh). With `checkpoint`
        (state, step), the state after `step` steps is saved with it (see write_checkpoint):
        its archive is written beside the frame's arrays, and one write of zarr.json commits both."""
        k = self.n_frames
        written = {"time": np.array([time], float)}
        arrays = {name: np.asarray(values) for name, values in ragged.items()}
        for name, values in arrays.items():
            self._register_frame_array(name, values)
            written[f"frame/{name}"] = values
        names = self.layout["frame"]
        rows = [len(arrays[name]) if name in arrays else -1 for name in names]
        parts = {"float": [], "int": [np.array([len(names), *rows], np.int64)]}
        for name in names:
            if name in arrays:
                parts[_block_kind(arrays[name])].append(arrays[name].reshape(-1))
        blocks = [(f"frames/{kind}/{k}", np.concatenate(parts[kind]).astype(BLOCK_DTYPES[kind], copy=False)
                   if parts[kind] else np.zeros(0, BLOCK_DTYPES[kind]), kind) for kind in BLOCK_DTYPES]
        appends = []
        for name, values in (series or {}).items():
            values = np.asarray(values)
            appends.append((self._array(f"series/{name}", values.shape, values.dtype, chunks=(1,) + values.shape),
                            values[None], k))
            written[f"series/{name}"] = values
        self._times = self._times[:k] + [float(time)]
        appends.append(self._times_chunk(k))
        if checkpoint is not None:
            pointer, blob = self._checkpoint_archive(*checkpoint, frame=k)
            blocks.append((f"checkpoint/{pointer['slot']}", blob, "checkpoint"))
        self._write(appends, blocks)
        self.checksums = self.checksums[:k] + [checksum(written)]
        self.n_frames = k + 1
        self.attributes["commit"] = {"frames": self.n_frames, "checksums": self.checksums}
        if checkpoint is not None:
            self.attributes["checkpoint"] = pointer
        self._write_attributes()

    def _times_chunk(self, k: int) -> tuple[zarr.Array, np.ndarray, int]:
        """The whole chunk of `times` holding frame k, from the times kept in memory: written as it
        is, never read back."""
        first = k - k % self.TIMES_CHUNK
        chunk = np.zeros(self.TIMES_CHUNK)
        chunk[: k + 1 - first] = self._times[first:k + 1]
        return self._array("times", (), np.dtype(float), (self.TIMES_CHUNK,)), chunk, first

    def _write(self, appends, blocks) -> None:
        """The appends and (key, values, template name) blocks at once; a block written through
        zarr (the first of its kind) leaves its zarr.json as the template of the next ones."""
        _write_all(appends, [(self.root, key, values, self._templates.get(kind)) for key, values, kind in blocks])
        for key, _, kind in blocks:
            if kind not in self._templates:
                self._templates[kind] = json.loads((self.path / key / "zarr.json").read_text())

    def _register_frame_array(self, name: str, values: np.ndarray) -> None:
        """The dtype and row shape of a frame array, recorded with its first frame: a reader
        rebuilds the arrays from the two blocks with them (written with the frame's commit)."""
        _block_kind(values)
        specs = self.attributes.setdefault("frame_arrays", {})
        spec = {"dtype": values.dtype.str, "row_shape": list(values.shape[1:])}
        if name not in specs:
            specs[name] = spec
            self._register("frame", name, write=False)
        elif specs[name] != spec:
            raise ValueError(f"frame array {name!r} was recorded as {specs[name]}, now {spec}: "
                             "a frame array keeps its dtype and row shape")

    def _array(self, key: str, row_shape: tuple, dtype: np.dtype, chunks: tuple) -> zarr.Array:
        if key in self._open:
            return self._open[key]
        if key in self.root:
            array = self.root[key]
        else:
            kind, name = key.split("/", 1)
            self._register(kind, name)
            # uncompressed: simulation floats barely compress, and encoding would cost every frame
            array = self.root.create_array(key, shape=(0,) + tuple(row_shape), chunks=chunks, dtype=dtype,
                                           compressors=None)
        self._open[key] = array
        return array

    def _register(self, kind: str, name: str, write: bool = True) -> None:
        if name not in self.layout[kind]:
            self.layout[kind].append(name)
            self.attributes["layout"] = self.layout
            if write:
                self._write_attributes()

    def truncate(self, n_frames: int) -> None:
        """Keep the first n_frames frames; later data is overwritten by the next appends."""
        self.n_frames, self.checksums = n_frames, self.checksums[:n_frames]
        self._times = self._times[:n_frames]
        self.set_attribute("commit", {"frames": self.n_frames, "checksums": self.checksums})

    def _checkpoint_archive(self, state: dict[str, np.ndarray], step: int, frame: int) -> tuple[dict, np.ndarray]:
        """(the attributes' pointer to it, the archive) of a checkpoint of `state` in the slot not in use."""
        slot = 1 - self.attributes.get("checkpoint", {}).get("slot", 1)
        # one array holding the whole state as an .npz archive: one write instead of one per array
        archive = io.BytesIO()
        np.savez(archive, **{name.replace("/", "|"): values for name, values in state.items()})
        blob = np.frombuffer(archive.getbuffer(), np.uint8)
        return {"slot": slot, "frame": frame, "step": step, "checksum": archive_checksum(blob)}, blob

    def write_checkpoint(self, state: dict[str, np.ndarray], step: int) -> None:
        """Save `state` (the simulation after `step` steps, at the last frame) into the checkpoint
        slot not in use, then point the attributes at it: a crash mid-write leaves the previous
        checkpoint valid."""
        pointer, blob = self._checkpoint_archive(state, step, frame=self.n_frames - 1)
        self._write([], [(f"checkpoint/{pointer['slot']}", blob, "checkpoint")])
        self.set_attribute("checkpoint", pointer)

    def set_attribute(self, key: str, value: Any) -> None:
        """Set one of the store's morphosim attributes (one atomic write of zarr.json)."""
        self.attributes[key] = value
        self._write_attributes()

    def _write_attributes(self) -> None:
        metadata = dict(self._group_metadata, attributes={**self._group_metadata["attributes"],
                                                           "morphosim": self.attributes})
        buffer = default_buffer_prototype().buffer.from_bytes(json.dumps(metadata).encode())
        sync((self.root.store_path / "zarr.json").set(buffer))


def read_checkpoint(root: zarr.Group, path: Path) -> tuple[dict[str, np.ndarray], dict] | None:
    """(state, info) of a store's last checkpoint, verified against its checksum; None when the
    store has none yet (stopped before its first checkpoint: it resumes from the start)."""
    info = root.attrs["morphosim"].get("checkpoint")
    if info is None:
        return None
    try:
        blob = root[f"checkpoint/{info['slot']}"][...].tobytes()
        sound = info.get("checksum") == archive_checksum(blob)
        with np.load(io.BytesIO(blob)) as archive:
            state = {name.replace("|", "/"): archive[name] for name in archive.files}
    except Exception as error:   # zarr raises many kinds on missing or garbled chunks
        raise StoreDamaged(f"{path}: the checkpoint cannot be read ({_cause(error)}); "
                           "start again with --overwrite") from None
    if not (sound or checksum(state) == info.get("checksum")):   # format 2: a checksum of the arrays
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
        if commit is None:   # format 1 stores have no marker; a later store without one has no frame committed yet
            n = len(times) if attributes.get("format_version", 1) < 2 else 0
        else:
            n = commit["frames"]
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
            read = self._ragged_v3 if self.attributes.get("format_version", 1) >= 3 else self._ragged_v2
            arrays.update({f"frame/{name}": values for name, values in read(k).items()})
            for name in self.names("series"):
                arrays[f"series/{name}"] = self.root[f"series/{name}"][k]
        except Exception as error:   # zarr raises many kinds on missing or garbled chunks
            raise StoreDamaged(f"{self.path}: frame {k} cannot be read ({_cause(error)}); "
                               f"`morphosim check {self.path}` lists every damaged frame") from None
        if self.checksums is not None and checksum(arrays) != self.checksums[k]:
            raise StoreDamaged(f"{self.path}: frame {k} is damaged (its arrays do not match their checksum); "
                               f"`morphosim check {self.path}` lists every damaged frame")
        return arrays

    def _ragged_v3(self, k: int) -> dict[str, np.ndarray]:
        """Frame k's arrays out of its two blocks (frames/float/<k>, frames/int/<k>)."""
        blocks = {kind: self.root[f"frames/{kind}/{k}"][...] for kind in BLOCK_DTYPES}
        n_names = int(blocks["int"][0])
        rows = blocks["int"][1:1 + n_names]
        cursor = {"float": 0, "int": 1 + n_names}
        specs = self.attributes["frame_arrays"]
        arrays = {}
        for name, count in zip(self.names("frame")[:n_names], rows):
            if count < 0:
                continue
            dtype, row_shape = np.dtype(specs[name]["dtype"]), tuple(specs[name]["row_shape"])
            kind = _block_kind(np.zeros(0, dtype))
            size = int(count) * int(np.prod(row_shape, dtype=np.int64))
            block = blocks[kind][cursor[kind]:cursor[kind] + size]
            if len(block) != size:
                raise ValueError(f"frames/{kind}/{k} is shorter than its layout")
            arrays[name] = block.astype(dtype, copy=False).reshape((int(count),) + row_shape)
            cursor[kind] += size
        return arrays

    def _ragged_v2(self, k: int) -> dict[str, np.ndarray]:
        """Frame k's arrays in a format 1 or 2 store (frame/<name>/data and offsets)."""
        arrays = {}
        for name in self.names("frame"):
            group = self.root[f"frame/{name}"]
            start, end = group["offsets"][k:k + 2]
            arrays[name] = group["data"][int(start):int(end)]
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
