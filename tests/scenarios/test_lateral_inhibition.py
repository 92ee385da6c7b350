"""Notch-Delta lateral inhibition (Collier et al. 1996): a salt-and-pepper pattern of isolated
high-Delta cells on the hexagonal sheet."""

import numpy as np

from tissue_metrics import adjacent_pairs


def test_high_delta_cells_are_isolated_and_about_a_quarter(run_small):
    run = run_small("lateral_inhibition")
    frame = run.frame(-1)
    delta = frame.species["D"]
    high = delta > 0.5
    # bimodal: every cell chose a fate (Collier's steady states, D ~ 0.99 vs D ~ 0.01)
    assert np.all((delta > 0.9) | (delta < 0.05))
    # no two high-Delta cells touch
    assert not any(high[i] and high[j] for i, j in adjacent_pairs(frame.cells))
    # a hexagonal lattice holds at most 1/3 isolated cells; random sequential choice gives ~0.25
    assert 0.2 <= high.mean() <= 1 / 3
