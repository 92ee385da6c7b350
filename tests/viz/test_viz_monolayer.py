"""3D monolayer frames (basal vertices recorded): cells drawn as closed polyhedra, and a cross-section
plane x = const; 2D frames unchanged. Real pyvista, off screen."""

import numpy as np
import pytest
import pyvista as pv

import morphosim
from morphosim.cells import Monolayer, Sheet
from morphosim.errors import InputError
from morphosim.io import Frame, StoreWriter
from morphosim.io.frames import frame_arrays
from viz.meshes import cell_polydata, monolayer_cells
from viz.options import ViewOptions
from viz.scene import Scene

RADII, HEIGHT = (3.0, 2.0, 2.0), 0.4


@pytest.fixture(scope="module", autouse=True)
def engines_loaded_first():
    """Load the engines (libroadrunner's LLVM among them) before this module renders: a process that
    renders off screen first (Mesa's llvmpipe loads its own LLVM) aborts when libroadrunner loads later
    ("registered more than once"). The other viz tests load them by simulating their stores first."""
    from morphosim.versions import versions

    versions()


def monolayer_frame(m: Monolayer, time: float = 0.0, basal: bool = True) -> Frame:
    return Frame(time=time, vertices=m.apical_positions.copy(), cells=m.sheet.cells(), cell_ids=m.ids.copy(),
                 parent_ids=m.parents.copy(), basal_vertices=m.basal_positions.copy() if basal else None,
                 periodic_box=m.sheet.box[:2].copy() if m.sheet.periodic else None)


@pytest.fixture(scope="module")
def shell():
    """80 cells on the ellipsoid (3, 2, 2), 0.4 thick, apical side out."""
    return Monolayer.from_sheet(Sheet.ellipsoid_shell(80, radii=RADII, seed=3), HEIGHT)


def write_store(path, frames) -> str:
    writer = StoreWriter(path)
    for frame in frames:
        writer.append_frame(frame.time, *frame_arrays(frame))
    return str(path)


def test_cells_are_closed_polyhedra(shell):
    """One VTK polyhedron per cell over the apical and basal points; the outer surface of a closed
    shell is its apical and basal polygons only (neighbours share their lateral faces, which lie inside);
    flat periodic prisms: VTK's own polyhedron volumes are the monolayer's cell volumes."""
    grid = monolayer_cells(monolayer_frame(shell))
    assert grid.n_cells == shell.n_cells and grid.n_points == 2 * shell.n_vertices
    assert np.all(grid.celltypes == pv.CellType.POLYHEDRON)
    np.testing.assert_array_equal(grid.cell_data["cell_id"], shell.ids)
    surface = cell_polydata(monolayer_frame(shell))
    assert surface.n_cells == 2 * shell.n_cells
    assert set(surface.cell_data["cell_id"]) == set(shell.ids)
    # radial extent of the surface: apical vertices on the ellipsoid, basal ones 0.4 inside it
    rho = np.linalg.norm(surface.points / RADII, axis=1)
    assert abs(rho.max() - 1) < 1e-9 and rho.min() < 1 - 0.15

    flat = Monolayer.from_sheet(Sheet.hexagonal(4, 4, periodic=True), 0.5)
    prisms = monolayer_cells(monolayer_frame(flat)).compute_cell_sizes(length=False, area=False)
    np.testing.assert_allclose(prisms.cell_data["Volume"], flat.volumes(), rtol=1e-12)
    assert np.allclose(prisms.bounds[4:], (-0.5, 0.0))


def test_cross_section_is_a_ring_of_cells(shell):
    """Clipping at x = 0 keeps x <= 0 (x from -3 to 0); the cut face at x = 0 is the ring between the
    basal and apical ellipses of that plane: radii 2 - 0.4 = 1.6 (inside, polygon chords) to 2."""
    clipped = cell_polydata(monolayer_frame(shell), section=0.0)
    assert clipped.bounds[1] < 1e-9 and clipped.bounds[0] < -2.9
    cut = clipped.points[np.abs(clipped.points[:, 0]) < 1e-9]
    radius = np.linalg.norm(cut[:, 1:], axis=1)
    print(f"cut face: {len(cut)} points, radii {radius.min():.3f} .. {radius.max():.3f}")
    assert len(cut) > 20
    assert 1.45 < radius.min() < 1.65 and 1.9 < radius.max() <= 2.0 + 1e-9
    crossing = monolayer_cells(monolayer_frame(shell)).slice(normal="x", origin=(0.0, 0.0, 0.0))
    assert 10 < crossing.n_cells < shell.n_cells / 2  # the cells the plane cuts, each one polygon


def test_rendered_cross_section_is_the_cut_face(shell, tmp_path):
    """The cross-section rendered face on (camera on +x, parallel projection), read back from the depth buffer: at radius 1.8
    (mid-thickness) the nearest surface is the cut face, x = 0; through the yolk (radius 0.5, not drawn)
    it is the basal surface of the far half, where a ray along -x meets the basal polygons (behind
    x = -2.2: the basal layer is 0.4 inside the apical pole x = -3, its flat polygons chords of a strongly
    curved pole); at radius 2.4 nothing (outside)."""
    store = write_store(tmp_path / "monolayer.zarr", [monolayer_frame(shell, 0.0), monolayer_frame(shell, 1.0)])
    run = morphosim.open_run(store)
    scene = Scene(run, ViewOptions(color="area", flow="none", section=0.0, window_size=(400, 400)), [-1],
                  off_screen=True)
    try:
        scene.screenshot()
        depth = scene.plotter.get_image_depth(fill_value=np.nan)
        renderer, camera_x = scene.plotter.renderers[0], scene.plotter.camera.position[0]

        def seen_x(y, z):
            """World x of the surface drawn at the pixel of (y, z) (the camera looks along -x)."""
            renderer.SetWorldPoint(0.0, y, z, 1.0)
            renderer.WorldToDisplay()
            column, row, _ = renderer.GetDisplayPoint()
            return camera_x + depth[depth.shape[0] - 1 - int(round(row)), int(round(column))]

        angles = np.linspace(0, 2 * np.pi, 8, endpoint=False)
        ring = [seen_x(1.8 * np.cos(a), 1.8 * np.sin(a)) for a in angles]
        yolk = [seen_x(0.5 * np.cos(a), 0.5 * np.sin(a)) for a in angles]
        outside = [seen_x(2.4 * np.cos(a), 2.4 * np.sin(a)) for a in angles]
        basal = pv.PolyData(shell.basal_positions, faces=np.concatenate([[len(c), *c] for c in shell.sheet.cells()])).triangulate()
        traced = [basal.ray_trace((0.0, 0.5 * np.cos(a), 0.5 * np.sin(a)), (-4.0, 0.5 * np.cos(a), 0.5 * np.sin(a)),
                                  first_point=True)[0][0] for a in angles]
        print("seen x: ring", np.round(ring, 3), "yolk", np.round(yolk, 3), "basal polygons", np.round(traced, 3))
    finally:
        scene.close()
    np.testing.assert_allclose(ring, 0.0, atol=0.02)
    assert np.all(np.array(yolk) < -2.2)
    np.testing.assert_allclose(yolk, traced, atol=0.03)
    assert np.all(np.isnan(outside))


def test_two_dimensional_frames_are_unchanged_and_refuse_a_section(tmp_path):
    m = Monolayer.from_sheet(Sheet.hexagonal(4, 4), 0.5)
    frame = monolayer_frame(m, basal=False)
    polygons = cell_polydata(frame)
    assert polygons.n_cells == m.n_cells and polygons.n_points == m.n_vertices
    store = write_store(tmp_path / "sheet.zarr", [frame])
    with pytest.raises(InputError, match="--section"):
        Scene(morphosim.open_run(store), ViewOptions(flow="none", section=0.0, window_size=(64, 64)), [-1],
              off_screen=True)
