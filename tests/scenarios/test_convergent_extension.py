"""Convergent extension of the germband on the embryo shell: pulled by the constricting posterior
midgut and squeezed by the spreading amnioserosa, the lateral germband narrows along the
dorsoventral axis relative to its anteroposterior length, and its cells exchange neighbours."""

import numpy as np

from tissue_metrics import adjacent_pairs

RADIUS = 90.0          # um: equatorial semi-axis of the shell (scenarios/convergent_extension_small.yaml)


def germband(frame):
    """Lateral cells on the +x flank away from the poles and from the dorsal/ventral midlines (um)."""
    centroid = frame.cell_data["centroid"]
    return (centroid[:, 0] > 33.75) & (np.abs(centroid[:, 1]) < 45.0) & (np.abs(centroid[:, 2]) < 112.5)


def elongation(frame, ids):
    """Spread along the AP axis (z) over spread along the DV arc of the tracked cells."""
    centroid = frame.cell_data["centroid"][np.isin(frame.cell_ids, ids)]
    arc = RADIUS * np.arctan2(centroid[:, 1], centroid[:, 0])
    return centroid[:, 2].std() / arc.std(), centroid[:, 2].std(), arc.std()


def contacts(frame):
    return {(frame.cell_ids[i], frame.cell_ids[j]) for i, j in adjacent_pairs(frame.cells)}


def test_germband_narrows_relative_to_its_length_with_t1_swaps(run_small):
    run = run_small("convergent_extension")
    assert run.attributes["units"] == {"length": "µm", "time": "min", "force": "nN"}
    first, last = run.frame(0), run.frame(-1)
    ids = first.cell_ids[germband(first)]                  # lineage tracing: the same cells throughout
    ratio_before, length_before, width_before = elongation(first, ids)
    ratio_after, length_after, width_after = elongation(last, ids)
    assert ratio_after / ratio_before > 1.15                # measured 1.24
    assert width_after / width_before < 0.9                 # narrows along DV (0.82)
    assert length_after / length_before > 0.97              # while keeping its AP length (1.02)

    # T1 swaps: contacts lost between consecutive frames, counted after the first recorded frames
    # (the initial Voronoi tiling relaxes first)
    frames = [run.frame(k) for k in range(len(run.times))]
    lost = [len(contacts(a) - contacts(b)) for a, b in zip(frames[4:], frames[5:])]
    assert sum(lost) > 10                                    # measured 48 between t = 8 and t = 40
