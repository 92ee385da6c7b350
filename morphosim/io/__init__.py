"""Run stores: the writer used by the simulation and the public reader `open_run`."""

from .outputs import claim_export_folder, claim_output_file, claim_store, is_store, mark_export_folder
from .frames import Frame
from .recorder import Recorder
from .run import Run, open_run
from .store import StoreReader, StoreWriter

__all__ = ["Frame", "Recorder", "Run", "open_run", "StoreReader", "StoreWriter", "claim_store", "claim_export_folder",
           "claim_output_file", "is_store", "mark_export_folder"]
