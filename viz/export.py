"""ParaView-readable copies of a run: `cells.pvd` (the cell polygons with every cell quantity)
and `tissue.pvd` (the tissue mesh with every field), each a time series of .vtp files."""

from __future__ import annotations

import shutil
from contextlib import contextmanager
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
    with removed_on_failure(directory):
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


@contextmanager
def removed_on_failure(folder: Path):
    """A folder this export just created goes again if the export fails (a damaged frame, ...)."""
    try:
        yield
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def lineage_graph(run):
    """The run's cells as a tracking graph (networkx DiGraph): one node per cell per recorded frame,
    with t (the frame index), time, x, y, z (the centroid), cell_id, parent_id and every species and
    scalar cell quantity; an edge from each cell's node to its node in the next frame, and from a
    mother's last node to each daughter's first (through the nearest recorded ancestor when the
    mother divided between two records)."""
    import networkx as nx

    table = run.to_pandas().rename(columns={"frame": "t"})
    graph = nx.DiGraph()
    graph.add_nodes_from(zip(table.index.tolist(), table.to_dict("records")))
    rows_of = table.groupby("cell_id").indices          # cell id -> its rows, in frame order
    parent_of = dict(zip(table["cell_id"].tolist(), table["parent_id"].tolist()))
    for cell, rows in rows_of.items():
        graph.add_edges_from(zip(rows[:-1].tolist(), rows[1:].tolist()))
        ancestor = parent_of[cell]
        while ancestor >= 0 and ancestor not in rows_of:      # divided again before it was recorded
            ancestor = parent_of.get(ancestor, -1)
        if ancestor >= 0:
            first = rows[0]
            before = [row for row in rows_of[ancestor] if table.at[row, "t"] < table.at[first, "t"]]
            if before:
                graph.add_edge(int(before[-1]), int(first))
    return graph


def export_geff(run, path: str | Path, overwrite: bool = False) -> Path:
    """Write the run's lineage graph (lineage_graph) as a geff zarr at `path` (a new folder, or with
    `overwrite` an earlier export), with t, z, y, x as its axes in the run's units; napari's
    tracking plugins read it."""
    import geff

    path = Path(path)
    claim_export_folder(path, overwrite=overwrite)()
    graph = lineage_graph(run)    # reads (and verifies) every frame before anything is written
    units = dict(run.attributes.get("units") or {})
    with removed_on_failure(path):
        geff.write(graph, path, axis_names=["t", "z", "y", "x"], axis_types=["time", "space", "space", "space"],
                   axis_units=[None, units.get("length"), units.get("length"), units.get("length")])
        mark_export_folder(path, run.path)
    return path
