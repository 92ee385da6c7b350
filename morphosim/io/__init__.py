"""Run stores: the writer used by the simulation and the public reader `open_run`."""

from .outputs import claim_export_folder, claim_output_file, claim_store, is_store, mark_export_folder
from .run import Frame, Run, open_run
from .store import StoreReader, StoreWriter

__all__ = ["Frame", "Run", "open_run", "StoreReader", "StoreWriter", "claim_store", "claim_export_folder",
           "claim_output_file", "is_store", "mark_export_folder"]
