"""Morphogen gradient and French flag (Wolpert 1969): without flow the secreted morphogen decays
over sqrt(D/k) away from the source band, and cells read it into Blue / White / Red; with the
steady outward flow from the growth zone to the apoptotic sinks the gradient lengthens as
advection-diffusion-decay predicts and the fate boundaries move downstream."""

import numpy as np
import pytest

CENTRE = 17.2          # x of the source band (models/morphogen_french_flag.ant)
FATES = ("Blue", "White", "Red")


@pytest.fixture(scope="module")
def without_flow(run_small):
    # no growth and no death: nothing moves
    return run_small("french_flag", "genes.outputs.A0.gain=0", "genes.outputs.die.above=2")


@pytest.fixture(scope="module")
def with_flow(run_small):
    return run_small("french_flag")


def decay_length(frame, near, far):
    """-1/slope of log c against the distance from the source band, over near < distance < far."""
    points, concentration = frame.mesh_points, frame.fields["morphogen"]
    distance = np.abs(points[:, 0] - CENTRE)
    fit = (distance > near) & (distance < far)
    return -1 / np.polyfit(distance[fit], np.log(concentration[fit]), 1)[0]


def fate_distances(frame):
    """Distance of each cell from the source band, grouped by fate (Blue, White, Red)."""
    fates = np.argmax([frame.species[name] for name in FATES], axis=0)
    distance = np.abs(frame.cell_data["centroid"][:, 0] - CENTRE)
    return [distance[fates == k] for k in range(3)]


def outward_speed(frame, near, far):
    """Mean tissue velocity away from the source band at mesh points between near and far."""
    points, velocity = frame.mesh_points, frame.fields["velocity"]
    offset = points[:, 0] - CENTRE
    inside = (np.abs(offset) > near) & (np.abs(offset) < far)
    return float(np.mean(velocity[inside, 0] * np.sign(offset[inside])))


def test_decay_length_matches_sqrt_D_over_k_without_flow(without_flow):
    frame = without_flow.frame(-1)
    assert np.abs(frame.fields["velocity"]).max() < 1e-8
    field = without_flow.scenario["tissue"]["fields"]["morphogen"]
    expected = np.sqrt(field["D"] / field["k"])
    # beyond the band, before the periodic image matters
    assert abs(decay_length(frame, 5.0, 11.0) - expected) / expected < 0.1

    blue, white, red = fate_distances(frame)
    # three contiguous domains ordered by distance from the source
    assert blue.max() < white.min() and white.max() < red.min()


def test_flow_carries_the_gradient_and_the_boundaries_downstream(with_flow, without_flow):
    frame, still = with_flow.frame(-1), without_flow.frame(-1)
    field = with_flow.scenario["tissue"]["fields"]["morphogen"]
    D, k = field["D"], field["k"]

    # cells born in the growth zone and removed at the sinks: a sustained outward flow
    events = with_flow.events
    assert events["divisions"][-1] > 10 and events["extrusions"][-1] > 10
    for index in (len(with_flow.times) // 2, -1):    # every cell is counted: born - extruded
        assert len(with_flow.frame(index).cell_ids) == (len(with_flow.frame(0).cell_ids)
                                                        + events["divisions"][index] - events["extrusions"][index])
    speed = outward_speed(frame, 3.0, 7.0)
    assert 0.2 < speed < 0.8
    assert outward_speed(with_flow.frame(len(with_flow.times) // 2), 3.0, 7.0) > 0.2

    # steady advection-diffusion-decay: c ~ exp(-x / L) with L = 2D / (sqrt(v^2 + 4Dk) - v)
    expected = 2 * D / (np.sqrt(speed ** 2 + 4 * D * k) - speed)
    measured = decay_length(frame, 3.0, 7.0)
    assert abs(measured - expected) / expected < 0.25
    assert measured > 1.5 * np.sqrt(D / k)

    # every fate boundary moves away from the source by more than a cell width
    for moving, fixed in zip(fate_distances(frame)[:2], fate_distances(still)[:2]):
        assert moving.max() > fixed.max() + 1.0
