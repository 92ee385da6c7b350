"""Recording a simulation: frames appended to a run store, with a checkpoint every
output.checkpoint_every frames and at the end.

A checkpoint is the simulation's state (named arrays) written into the one of two slots not in
use, beside its frame's arrays; then one write of the store's attributes commits the frame and
points at the checkpoint (StoreWriter.append_frame): a crash while writing leaves the previous
frames and checkpoint valid. Resuming reads the last checkpoint and drops the
frames recorded after it, so a resumed run repeats the uninterrupted one bit for bit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .frames import Frame, frame_arrays
from .store import StoreWriter, read_checkpoint


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
    def resume(cls, path: str | Path) -> tuple["Recorder", dict[str, np.ndarray] | None]:
        """The store at `path` reopened at its last checkpoint, and the state saved there (None
        when the run was stopped before its first checkpoint: it then starts again from t = 0)."""
        writer = StoreWriter(path, resume=True)
        saved = read_checkpoint(writer.root, writer.path)
        if saved is None:
            writer.truncate(0)
            return cls(writer), None
        state, info = saved
        writer.truncate(info["frame"] + 1)   # frames after the checkpoint are recomputed
        return cls(writer), state

    @property
    def attributes(self) -> dict:
        return dict(self.writer.attributes)

    def record(self, frame: Frame, state: dict[str, np.ndarray] | None, step: int) -> None:
        """Append `frame` with a checkpoint of `state` (the simulation after `step` steps) unless it is None."""
        ragged, series = frame_arrays(frame)
        self.writer.append_frame(frame.time, ragged, series, checkpoint=None if state is None else (state, step))

    def finish(self, complete: bool) -> None:
        self.writer.set_attribute("status", "complete" if complete else "stopped")
