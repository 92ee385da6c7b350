"""Apical constriction band on the embryo shell (Sawyer et al. 2010): band cells shrink apically
and the surface flow carries the neighbouring tissue towards the band."""

import numpy as np
from scipy.spatial import cKDTree

RADII = np.array([90.0, 90.0, 247.5])   # um (scenarios/apical_constriction_small.yaml)


def velocity_towards_band(frame, band_ids) -> float:
    """Mean tissue velocity towards the nearest band cell (direction projected on the shell's
    tangent plane), over the mesh points outside the band within 112.5 um (about 5 cells) of it."""
    centroid = frame.cell_data["centroid"]
    band = np.isin(frame.cell_ids, band_ids)
    points, velocity = frame.mesh_points, frame.fields["velocity"]
    _, owner = cKDTree(centroid).query(points)
    distance, nearest = cKDTree(centroid[band]).query(points)
    outside = ~band[owner] & (distance < 112.5)
    direction = centroid[band][nearest[outside]] - points[outside]
    normals = points[outside] / RADII ** 2
    normals /= np.linalg.norm(normals, axis=1)[:, None]
    direction -= np.einsum("pi,pi->p", direction, normals)[:, None] * normals
    direction /= np.linalg.norm(direction, axis=1)[:, None]
    return float(np.einsum("pi,pi->p", velocity[outside], direction).mean())


def test_band_cells_shrink_and_tissue_flows_into_the_band(run_small):
    run = run_small("apical_constriction")
    assert run.attributes["units"] == {"length": "µm", "time": "min", "force": "nN"}
    first, last = run.frame(0), run.frame(-1)
    assert np.array_equal(first.cell_ids, last.cell_ids)
    band = last.species["Active"] > 0.5
    assert 0.25 < band.mean() < 0.5             # the ventral third of the shell (y > 45 of radius 90 um), plus
                                                # cells the flow carries into it (0.455)
    band_ratio = last.cell_data["area"][band].mean() / first.cell_data["area"][band].mean()
    rest_ratio = last.cell_data["area"][~band].mean() / first.cell_data["area"][~band].mean()
    assert band_ratio < 0.7                     # measured 0.55
    assert rest_ratio > 1.1                     # the closed shell's other cells are stretched (1.40)
    band_ids = last.cell_ids[band]
    speeds = [velocity_towards_band(run.frame(k), band_ids) for k in (1, len(run.times) // 2, -1)]
    assert min(speeds) > 0.225                  # um/min; measured 1.49, 3.11, 0.88 (embryo: a few um/min)
