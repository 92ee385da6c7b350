"""pyvista datasets built from one recorded frame: the cell polygons, the tissue mesh and its flow."""

from __future__ import annotations

import numpy as np
import pyvista as pv

from .quantities import cell_quantities, scalar_fields


def polygon_faces(cells: list[np.ndarray]) -> np.ndarray:
    """VTK's flat polygon list: n0, i0_0 .. i0_n0-1, n1, ..."""
    counts = np.array([len(cell) for cell in cells])
    faces = np.empty(len(counts) + counts.sum(), dtype=np.int64)
    starts = np.cumsum(counts + 1) - (counts + 1)
    faces[starts] = counts
    faces[np.setdiff1d(np.arange(len(faces)), starts)] = np.concatenate(cells)
    return faces


def cell_polydata(frame) -> pv.PolyData:
    """The cells as polygons, with every cell quantity, `cell_id` and `parent_id` as cell data."""
    if frame.periodic_box is None:
        sheet = pv.PolyData(np.asarray(frame.vertices, dtype=float), faces=polygon_faces(frame.cells))
    else:
        points, cells = unwrapped_cells(frame.vertices, frame.cells, frame.periodic_box)
        sheet = pv.PolyData(points, faces=polygon_faces(cells))
    for name, values in cell_quantities(frame).items():
        sheet.cell_data[name] = values
    sheet.cell_data["cell_id"] = frame.cell_ids
    sheet.cell_data["parent_id"] = frame.parent_ids
    return with_smooth_normals(sheet)


def unwrapped_cells(vertices: np.ndarray, cells: list[np.ndarray], box) -> tuple[np.ndarray, list[np.ndarray]]:
    """Each cell of a periodic sheet with its own copy of its vertices, moved by whole box lengths
    next to the cell's first vertex (minimum image): a cell on the seam is drawn whole, sticking
    out of the box, instead of stretched across it."""
    vertices, box = np.asarray(vertices, dtype=float), np.asarray(box, dtype=float)
    counts = np.array([len(cell) for cell in cells])
    flat = np.concatenate(cells)
    first = np.repeat(flat[np.cumsum(counts) - counts], counts)
    points = vertices[flat]
    points[:, :2] -= box * np.round((points[:, :2] - vertices[first, :2]) / box)
    return points, np.split(np.arange(len(flat)), np.cumsum(counts)[:-1])


def with_smooth_normals(surface: pv.PolyData) -> pv.PolyData:
    """Give a curved surface point normals, so that it shades smoothly (colours stay as they are)
    instead of showing the facets of its polygons; planar ones are left alone."""
    if np.ptp(surface.points[:, 2]) > 0:
        surface.compute_normals(cell_normals=False, split_vertices=False, consistent_normals=True,
                                auto_orient_normals=False, inplace=True)
    return surface


def tissue_polydata(frame) -> pv.PolyData | None:
    """The tissue mesh (triangles) with every field as point data, vector fields also by magnitude;
    None for a run without a tissue mesh."""
    if frame.mesh_cells is None:
        return None
    triangles = np.asarray(frame.mesh_cells, dtype=np.int64)
    faces = np.column_stack([np.full(len(triangles), 3), triangles]).ravel()
    tissue = pv.PolyData(np.asarray(frame.mesh_points, dtype=float), faces=faces)
    for name, values in frame.fields.items():
        tissue.point_data[name] = values
    for name, values in scalar_fields(frame).items():
        tissue.point_data[name] = values
    return with_smooth_normals(tissue)


def flow_arrows(tissue: pv.PolyData, vectors: str, length_per_speed: float, max_arrows: int = 600) -> pv.PolyData:
    """Arrows along `vectors` at (a spread-out subset of) the mesh points, length ∝ speed."""
    stride = max(1, tissue.n_points // max_arrows)
    points = pv.PolyData(tissue.points[::stride])
    points.point_data[vectors] = tissue.point_data[vectors][::stride]
    return points.glyph(orient=vectors, scale=vectors, factor=length_per_speed, geom=pv.Arrow())


def flow_streamlines(tissue: pv.PolyData, vectors: str, n_seeds: int = 80) -> pv.PolyData:
    """Streamlines of the surface flow, seeded at the centres of a regular subset of the mesh
    triangles; steps are measured in triangle sizes so that lines cross every triangle."""
    centres = tissue.cell_centers().points
    seeds = pv.PolyData(centres[::max(1, len(centres) // n_seeds)])
    return tissue.streamlines_from_source(seeds, vectors=vectors, surface_streamlines=True,
                                          integration_direction="both", step_unit="cl",
                                          initial_step_length=0.2, max_steps=5000,
                                          max_length=4 * tissue.length)
