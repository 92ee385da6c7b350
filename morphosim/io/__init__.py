"""Run stores: the writer used by the simulation and the public reader `open_run`."""

from .run import Frame, Run, open_run
from .store import StoreReader, StoreWriter

__all__ = ["Frame", "Run", "open_run", "StoreReader", "StoreWriter"]
