"""pyvista datasets built from one recorded frame: the cell polygons (or, for a 3D monolayer, the
cell polyhedra), the tissue mesh and its flow."""

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


def cell_polydata(frame, section: float | None = None) -> pv.PolyData:
    """The cells as polygons, with every cell quantity, `cell_id` and `parent_id` as cell data.

    A 3D monolayer's frame (``basal_vertices`` set) gives the outer surface of its cell polyhedra
    (:func:`monolayer_cells`), each face carrying its cell's data; with ``section`` = x0 the cells are
    clipped by the plane x = x0 and the part x <= x0 is kept, so the cut face is the cross-section
    (the classic view of a ventral furrow, the plane normal to the anterior-posterior axis x)."""
    if frame.basal_vertices is not None:
        cells = monolayer_cells(frame)
        if section is not None:
            cells = cells.clip(normal="x", origin=(float(section), 0.0, 0.0), invert=True)
        return cells.extract_surface(algorithm="dataset_surface")
    if frame.periodic_box is None:
        sheet = pv.PolyData(np.asarray(frame.vertices, dtype=float), faces=polygon_faces(frame.cells))
    else:
        points, cells = unwrapped_cells(frame.vertices, frame.cells, frame.periodic_box)
        sheet = pv.PolyData(points, faces=polygon_faces(cells))
    _add_cell_data(sheet, frame)
    return with_smooth_normals(sheet)


def _add_cell_data(dataset, frame) -> None:
    for name, values in cell_quantities(frame).items():
        dataset.cell_data[name] = values
    dataset.cell_data["cell_id"] = frame.cell_ids
    dataset.cell_data["parent_id"] = frame.parent_ids


def monolayer_cells(frame) -> pv.UnstructuredGrid:
    """Every cell of a 3D monolayer as a closed polyhedron (VTK_POLYHEDRON) with its cell data: the
    apical polygon a_0 .. a_n-1 (outward seen from outside), the basal one in reverse order and one
    lateral quad (a_k, b_k, b_k+1, a_k+1) per side. Points are the apical vertices then the basal ones
    (so neighbours share their lateral faces and the surface omits them); on a periodic sheet every
    cell gets its own copies, moved next to its first apical vertex as in :func:`unwrapped_cells`."""
    counts = np.array([len(cell) for cell in frame.cells])
    flat = np.concatenate(frame.cells).astype(np.int64)
    starts = np.cumsum(counts) - counts
    apical, basal = np.asarray(frame.vertices, dtype=float), np.asarray(frame.basal_vertices, dtype=float)
    if frame.periodic_box is not None:
        reference = apical[np.repeat(flat[starts], counts)]
        apical = near(apical[flat], reference, frame.periodic_box)
        basal = near(basal[flat], reference, frame.periodic_box)
        flat = np.arange(len(flat))
    n_points = len(apical)
    # VTK's polyhedron stream per cell of n sides: 3 + 7n, n + 2 faces, then each face as its size and
    # point ids (apical n, basal n, n lateral quads): 4 + 7n entries, built for all n-sided cells at once
    sizes = 4 + 7 * counts
    offsets = np.cumsum(sizes) - sizes
    stream = np.empty(sizes.sum(), dtype=np.int64)
    for n in np.unique(counts):
        group = np.flatnonzero(counts == n)
        ring = flat[starts[group][:, None] + np.arange(n)]
        following = np.roll(ring, -1, axis=1)
        lateral = np.stack([np.full_like(ring, 4), ring, ring + n_points, following + n_points, following], axis=2)
        rows = np.column_stack([np.full(len(group), 3 + 7 * n), np.full(len(group), n + 2), np.full(len(group), n),
                                ring, np.full(len(group), n), ring[:, ::-1] + n_points,
                                lateral.reshape(len(group), 5 * n)])
        stream[offsets[group][:, None] + np.arange(4 + 7 * n)] = rows
    grid = pv.UnstructuredGrid(stream, np.full(len(counts), pv.CellType.POLYHEDRON), np.vstack([apical, basal]))
    _add_cell_data(grid, frame)
    return grid


def unwrapped_cells(vertices: np.ndarray, cells: list[np.ndarray], box) -> tuple[np.ndarray, list[np.ndarray]]:
    """Each cell of a periodic sheet with its own copy of its vertices, moved by whole box lengths
    next to the cell's first vertex (minimum image): a cell on the seam is drawn whole, sticking
    out of the box, instead of stretched across it."""
    vertices = np.asarray(vertices, dtype=float)
    counts = np.array([len(cell) for cell in cells])
    flat = np.concatenate(cells)
    first = np.repeat(flat[np.cumsum(counts) - counts], counts)
    points = near(vertices[flat], vertices[first], box)
    return points, np.split(np.arange(len(flat)), np.cumsum(counts)[:-1])


def near(points: np.ndarray, reference: np.ndarray, box) -> np.ndarray:
    """``points`` moved by whole periodic box lengths (x, y) to the minimum image of ``reference``."""
    box = np.asarray(box, dtype=float)
    points = points.copy()
    points[:, :2] -= box * np.round((points[:, :2] - reference[:, :2]) / box)
    return points


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
