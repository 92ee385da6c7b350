"""Recording a simulation: frames appended to a run store, each followed by a checkpoint.

A checkpoint is the simulation's state (named arrays) written into the one of two slots not in
use, after which the store's attributes point at it: a crash while writing leaves the previous
checkpoint valid. Resuming reads the last checkpoint and drops the frames recorded after it, so
a resumed run repeats the uninterrupted one bit for bit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from morphosim.errors import InputError

from .frames import Frame, frame_arrays
from .store import StoreWriter


class Recorder:
    """Appends frames and checkpoints to one run store."""

    def __init__(self, writer: StoreWriter):
        self.writer = writer

    @classmethod
    def create(cls, path: str | Path, attributes: dict, static: dict[str, np.ndarray]) -> "Recorder":
        """A new store at `path` (which must not exist: see morphosim.io.outputs.claim_store)."""
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        writer = StoreWriter(path, attributes)
        for name, values in static.items():
            writer.set_static(name, values)
        return cls(writer)

    @classmethod
    def resume(cls, path: str | Path) -> tuple["Recorder", dict[str, np.ndarray]]:
        """The store at `path` reopened at its last checkpoint, and the state saved there."""
        writer = StoreWriter(path, resume=True)
        info = writer.root.attrs["morphosim"].get("checkpoint")
        if info is None:
            raise InputError(f"{writer.path}: the store has no checkpoint to resume from")
        state = {}

        def collect(node, prefix):
            for name, array in node.arrays():
                state[prefix + name] = array[...]
            for name, child in node.groups():
                collect(child, f"{prefix}{name}/")

        collect(writer.root[f"checkpoint/{info['slot']}"], "")
        writer.truncate(info["frame"] + 1)   # frames after the checkpoint are recomputed
        return cls(writer), state

    @property
    def attributes(self) -> dict:
        return dict(self.writer.root.attrs["morphosim"])

    def record(self, frame: Frame, state: dict[str, np.ndarray], step: int) -> None:
        """Append `frame`, then checkpoint `state` (the simulation after `step` steps)."""
        ragged, series = frame_arrays(frame)
        self.writer.append_frame(frame.time, ragged, series)
        self._checkpoint(state, step)

    def _checkpoint(self, state: dict[str, np.ndarray], step: int) -> None:
        writer = self.writer
        slot = 1 - writer.root.attrs["morphosim"].get("checkpoint", {}).get("slot", 1)
        for name, values in state.items():
            array = writer.root.create_array(f"checkpoint/{slot}/{name}", shape=values.shape, dtype=values.dtype,
                                             overwrite=True)
            if values.size:
                array[...] = values
        writer.set_attribute("checkpoint", {"slot": slot, "frame": writer.n_frames - 1, "step": step})

    def finish(self, complete: bool) -> None:
        self.writer.set_attribute("status", "complete" if complete else "stopped")
