"""ParaView-readable copies of a run: `cells.pvd` (the cell polygons with every cell quantity)
and `tissue.pvd` (the tissue mesh with every field), each a time series of .vtp files."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import quoteattr

from morphosim.io import claim_export_folder, mark_export_folder

from .meshes import cell_polydata, tissue_polydata


def write_pvd(path: Path, entries: list[tuple[float, str]]) -> None:
    """A ParaView collection file listing (time, relative file name) pairs."""
    lines = [f'    <DataSet timestep="{time!r}" group="" part="0" file={quoteattr(name)}/>' for time, name in entries]
    path.write_text('<?xml version="1.0"?>\n'
                    '<VTKFile type="Collection" version="0.1" byte_order="LittleEndian">\n'
                    '  <Collection>\n' + "\n".join(lines) + "\n  </Collection>\n</VTKFile>\n")


def export_vtk(run, directory: str | Path, overwrite: bool = False) -> list[Path]:
    """Write the run into `directory`, a new folder (or, with `overwrite`, an earlier export, which
    is replaced); returns the .pvd files written."""
    directory = Path(directory)
    claim_export_folder(directory, overwrite=overwrite)()
    directory.mkdir(parents=True)
    mark_export_folder(directory, run.path)
    series: dict[str, list[tuple[float, str]]] = {"cells": [], "tissue": []}
    for k in range(len(run.times)):
        frame = run.frame(k)
        for name, dataset in (("cells", cell_polydata(frame)), ("tissue", tissue_polydata(frame))):
            if dataset is None:
                continue
            relative = f"{name}/{name}_{k:05d}.vtp"
            (directory / name).mkdir(parents=True, exist_ok=True)
            dataset.save(directory / relative)
            series[name].append((frame.time, relative))
    written = []
    for name, entries in series.items():
        if entries:
            write_pvd(directory / f"{name}.pvd", entries)
            written.append(directory / f"{name}.pvd")
    return written
