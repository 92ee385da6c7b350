"""Morphogen gradient and French flag (Wolpert 1969): without flow the secreted morphogen decays
over sqrt(D/k) away from the source band, and cells read it into Blue / White / Red."""

import numpy as np

CENTRE = 17.2          # x of the source band (models/morphogen_french_flag.ant)


def test_decay_length_matches_sqrt_D_over_k_without_flow(run_small):
    run = run_small("french_flag", "genes.outputs.A0.gain=0")   # no growth -> no flow
    frame = run.frame(-1)
    assert np.abs(frame.fields["velocity"]).max() < 1e-8
    points, concentration = frame.mesh_points, frame.fields["morphogen"]
    distance = np.abs(points[:, 0] - CENTRE)
    fit = (distance > 5.0) & (distance < 11.0)   # beyond the band, before the periodic image matters
    slope = np.polyfit(distance[fit], np.log(concentration[fit]), 1)[0]
    field = run.scenario["tissue"]["fields"]["morphogen"]
    expected = np.sqrt(field["D"] / field["k"])
    assert abs(-1 / slope - expected) / expected < 0.1

    fates = np.argmax([frame.species[name] for name in ("Blue", "White", "Red")], axis=0)
    x = np.abs(frame.cell_data["centroid"][:, 0] - CENTRE)
    blue, white, red = (x[fates == k] for k in range(3))
    # three contiguous domains ordered by distance from the source
    assert blue.max() < white.min() and white.max() < red.min()
