"""Real run stores for the viz tests, made by the simulator: a planar sheet whose cells grow and
divide, with a secreted morphogen and tissue flow, and a closed shell of cells on an ellipsoid.

Each fixture returns a `KnownStore`: the store path, a species name and the ids of a cell known to
be high and one known to be low in that species at every frame.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pytest

import morphosim
from morphosim.scenario import load_scenario
from morphosim.scenario.run import run_scenario


@pytest.fixture
def look_at_cell():
    """A function that turns a viz Scene's camera to look straight at a cell from outside the
    tissue and returns the display position (x, y) of the cell's centre."""
    def look(scene, cell_id: int) -> tuple[float, float]:
        cells = scene.cells
        row = int(np.flatnonzero(cells.cell_data["cell_id"] == cell_id)[0])
        centre = cells.points[cells.get_cell(row).point_ids].mean(axis=0)
        outward = np.array([0.0, 0.0, 1.0]) if scene.ranges.is_planar else centre - cells.points.mean(axis=0)
        outward /= np.linalg.norm(outward)
        up = np.cross(outward, [1.0, 0.0, 0.0] if abs(outward[0]) < 0.9 else [0.0, 1.0, 0.0])
        camera = scene.plotter.camera
        camera.focal_point, camera.position, camera.up = centre, centre + 2 * scene.ranges.size * outward, up
        scene.plotter.reset_camera_clipping_range()
        scene.plotter.render()
        renderer = scene.plotter.renderers[0]
        renderer.SetWorldPoint(*centre, 1.0)
        renderer.WorldToDisplay()
        x, y, _ = renderer.GetDisplayPoint()
        return x, y
    return look


class KnownStore(NamedTuple):
    path: str
    species: str
    high_cell: int
    low_cell: int


# D is a fixed per-cell marker (no reaction changes it; daughters copy it); it sets the target
# area, so high-D cells grow and divide. N is repressed by D and secretes the morphogen bmp.
SCENARIO = """\
name: {name}
seed: 3
time: {{end: 2.0, dt: 0.05, record_every: 0.5}}
cells:
  geometry: {geometry}
  mechanics: {{K: 1.0, A0: 1.0, Gamma: 0.04, Lambda: 0.12, xi: 1.0}}
  division: {{area: 1.25}}
genes:
  antimony: |
    model marker
      species D, N
      J0: -> N; 0.5 * (1 - D)
      J1: N -> ; 0.5 * N
      D = 0; N = 0.5
    end
  initial: {{D: {{uniform: [0.0, 1.0]}}}}
  outputs: {{A0: {{species: D, base: 0.8, gain: 1.4}}}}
tissue:
  flow: {{mu: 1.0, gamma: 0.1, mesh_size: {mesh_size}}}
  fields: {{bmp: {{D: 0.5, k: 0.2, secreted_by: N}}}}
output: {{path: {name}.zarr}}
"""


def simulated_store(folder, name: str, geometry: str, mesh_size: float) -> KnownStore:
    path = folder / f"{name}.yaml"
    path.write_text(SCENARIO.format(name=name, geometry=geometry, mesh_size=mesh_size))
    store = run_scenario(load_scenario(path), progress=False)
    run = morphosim.open_run(store)
    frames = [run.frame(k) for k in range(len(run))]
    # cells present in every frame (dividing cells get new ids)
    lasting = set(frames[0].cell_ids).intersection(*(set(f.cell_ids) for f in frames[1:]))
    first = frames[0]
    candidates = [i for i, cell in enumerate(first.cell_ids) if cell in lasting]
    marker = first.species["D"][candidates]
    high, low = first.cell_ids[candidates[int(np.argmax(marker))]], first.cell_ids[candidates[int(np.argmin(marker))]]
    return KnownStore(str(store), "D", int(high), int(low))


@pytest.fixture(scope="session")
def planar_store(tmp_path_factory) -> KnownStore:
    """7 x 7 hexagonal cells; high-D cells grow and divide; a morphogen field and flow."""
    store = simulated_store(tmp_path_factory.mktemp("stores"), "planar",
                            "{kind: hexagonal, rows: 7, cols: 7}", 0.6)
    run = morphosim.open_run(store.path)
    assert len(run.frame(-1).cells) > len(run.frame(0).cells) == 49   # the tests need divisions
    return store


@pytest.fixture(scope="session")
def shell_store(tmp_path_factory) -> KnownStore:
    """About 80 cells covering a prolate ellipsoid, with flow on its surface."""
    return simulated_store(tmp_path_factory.mktemp("stores"), "shell",
                           "{kind: ellipsoid_shell, n_cells: 80, radii: [2.0, 2.0, 3.0]}", 0.8)
