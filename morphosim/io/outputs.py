"""Claiming an output path without destroying anything morphosim did not write.

Every command that writes (run, export, render, plot, sweep) asks here first. The rule is the same
for all: a path that does not exist is created; a path that exists is replaced only with
`overwrite=True`, and only when it is recognisably morphosim's own output (a run store by its
attributes, an export folder by its marker file, a picture or movie file of the requested type).
Anything else is refused with an InputError before any work, and nothing is touched.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from morphosim.errors import InputError

EXPORT_MARKER = "morphosim-export.json"


def is_store(path: Path) -> bool:
    """True when `path` is a folder whose zarr.json carries morphosim's run attributes."""
    try:
        metadata = json.loads((path / "zarr.json").read_text())
    except (OSError, ValueError):
        return False
    attributes = metadata.get("attributes") if isinstance(metadata, dict) else None
    return isinstance(attributes, dict) and isinstance(attributes.get("morphosim"), dict) \
        and "format_version" in attributes["morphosim"]


def is_export(path: Path) -> bool:
    """True when `path` is a folder written by `morphosim export` (it holds the marker file)."""
    return (path / EXPORT_MARKER).is_file()


def _store_entries_only(path: Path) -> list[str]:
    """Names at the top of a store folder that a store does not consist of (zarr.json, groups)."""
    return sorted(entry.name for entry in path.iterdir()
                  if entry.name != "zarr.json" and not (entry.is_dir() and (entry / "zarr.json").is_file()))


# what `export` writes: ParaView's series (--vtk), or a geff zarr (--geff)
EXPORT_ENTRIES = (EXPORT_MARKER, "cells", "tissue", "nodes", "edges", ".zattrs", ".zgroup", "zarr.json")


def _export_entries_only(path: Path) -> list[str]:
    return sorted(entry.name for entry in path.iterdir()
                  if not (entry.name in EXPORT_ENTRIES or entry.suffix == ".pvd"))


def _claim_folder(path: Path, what: str, ours: Callable[[Path], bool], foreign: Callable[[Path], list[str]],
                  overwrite: bool, keep: tuple[Path, ...], hint: str) -> Callable[[], None]:
    """Check that `path` may receive a new `what`; returns the action that clears it (a no-op
    unless an old one of ours is to be replaced). Raises InputError, touching nothing."""
    if not path.exists() and not path.is_symlink():
        parent = next((p for p in path.parents if p.exists()), None)
        if parent is not None and not parent.is_dir():
            raise InputError(f"{path}: cannot create it, {parent} is a file")
        return lambda: None
    if path.is_symlink() or not path.is_dir() or not ours(path):
        raise InputError(f"{path} exists and is not a morphosim {what}; nothing was touched: "
                         f"choose a path that does not exist yet{hint}")
    if not overwrite:
        raise InputError(f"{path} holds a morphosim {what} from an earlier run: "
                         f"use --overwrite to replace it{' or --resume to continue' if what == 'run store' else ''}")
    extra = foreign(path)
    inside = [str(k) for k in keep if k.resolve().is_relative_to(path.resolve())]
    if extra or inside:
        raise InputError(f"{path}: not replaced, it also holds files that are not part of the {what} "
                         f"({', '.join(extra + inside)}); move them out or choose another path")
    return lambda: shutil.rmtree(path)


def claim_store(path: Path, *, overwrite: bool = False, keep: tuple[Path, ...] = ()) -> Callable[[], None]:
    """Check that a new run store may be written at `path` (files in `keep`, e.g. the scenario,
    must survive). Returns the action that removes the old store when `overwrite` replaces one:
    call it only once the new run is ready to write, so a run refused later touches nothing."""
    return _claim_folder(path, "run store", is_store, _store_entries_only, overwrite, keep,
                         " (output.path, or --set output.path=...)")


def claim_export_folder(path: Path, *, overwrite: bool = False) -> Callable[[], None]:
    """As claim_store, for the folder of `morphosim export --vtk` or `--geff`."""
    return _claim_folder(path, "export folder", is_export, _export_entries_only, overwrite, (), " for the export")


def mark_export_folder(path: Path, store: Path) -> None:
    """Label `path` as an export folder of `store`, so a later --overwrite may replace it."""
    (path / EXPORT_MARKER).write_text(json.dumps({"morphosim_export": 1, "store": str(store)}) + "\n")


def claim_output_file(path: Path, *, overwrite: bool = False) -> None:
    """Check that a picture, movie or plot may be written to `path`: a new file, or with
    `overwrite` an existing regular file (never a folder, a device or a link)."""
    if not path.exists() and not path.is_symlink():
        if not path.parent.is_dir():
            raise InputError(f"--out {path}: folder {path.parent} does not exist")
        return
    if path.is_symlink() or not path.is_file():
        raise InputError(f"--out {path} exists and is not a regular file; nothing was touched: choose a file name")
    if not overwrite:
        raise InputError(f"--out {path} exists: use --overwrite to replace it")
