"""Mechanochemical waves: stretch-activated excitable myosin gives contraction pulses that recur
with the pacemaker period and propagate through the sheet at a constant speed, carried only by
mechanics (cells read their own strain, nothing about their neighbours)."""

import numpy as np

CENTRE = 12.9          # x of the pacemaker band (models/excitable_myosin.ant)
FIRING = 0.5           # Rho/myosin activity a above which a cell is contracting


def firing_times(run):
    """Per cell, the times a rises through FIRING (linear interpolation between frames)."""
    first = run.frame(0)
    assert all(np.array_equal(run.frame(k).cell_ids, first.cell_ids) for k in (len(run.times) // 2, -1))
    activity = np.array([run.frame(k).species["a"] for k in range(len(run.times))])
    times = []
    for series in activity.T:
        k = np.flatnonzero((series[:-1] <= FIRING) & (series[1:] > FIRING))
        fraction = (FIRING - series[k]) / (series[k + 1] - series[k])
        times.append(run.times[k] + fraction * (run.times[k + 1] - run.times[k]))
    distance = np.abs(first.cell_data["centroid"][:, 0] - CENTRE)
    return times, distance


def test_pulses_recur_and_propagate_at_constant_speed(run_small):
    times, distance = firing_times(run_small("mechanochemical_waves"))
    assert all(len(t) >= 2 for t in times)                  # every cell pulses, and again
    period = np.median(np.concatenate([np.diff(t) for t in times]))
    assert 15.0 < period < 25.0                             # measured 20.0 (pacemaker FitzHugh-Nagumo)
    outside = (distance > 2.0) & (distance < 11.0)          # beyond the pacemaker band
    arrival = np.array([t[0] for t in times])[outside]
    slope, intercept = np.polyfit(distance[outside], arrival, 1)
    residual = arrival - (slope * distance[outside] + intercept)
    r_squared = 1 - residual.var() / arrival.var()
    speed = 1 / slope
    assert r_squared > 0.9                                  # a front moving at constant speed
    assert 0.3 < speed < 1.5                                # measured 0.64 cell widths per time unit


def test_no_contraction_no_wave(run_small):
    """Control: with myosin decoupled from line tension only the pacemaker fires."""
    times, distance = firing_times(run_small("mechanochemical_waves", "genes.outputs.Lambda.gain=0"))
    fired = np.array([len(t) > 0 for t in times])
    assert fired[distance < 0.5].all()
    assert not fired[distance > 3.0].any()
