"""Stiff integration without an absolute step-size floor: the SBML specification's membrane model has
a transient on a 1e-14 time scale, which the stiff method must follow (and then step to t = 10)."""

from pathlib import Path

import numpy as np
import roadrunner

from morphosim.genes import load

MEMBRANE = Path(__file__).resolve().parents[1] / "data" / "membrane.xml"


def test_membrane_transient_and_run_to_10_match_libroadrunner():
    """At every record from 1e-15 (inside the transient) to 10, the stiff batched solver matches CVODE
    at tight tolerance, and substrate + product stays at its initial total (the reaction converts one
    into the other in the same compartment)."""
    network = load(MEMBRANE)
    population = network.population(2, method="stiff", rtol=1e-9, atol=1e-14)
    runner = roadrunner.RoadRunner(str(MEMBRANE))
    runner.integrator.relative_tolerance, runner.integrator.absolute_tolerance = 1e-12, 1e-16
    records = [1e-15, 3e-15, 1e-14, 1e-13, 1e-9, 1.0, 10.0]
    selections = [f"[{sid}]" for sid in network.species]
    total = population.values("species_1")[0] + population.values("species_2")[0]
    moved = []
    for time in records:
        population.advance(time - population.time)
        runner.simulate(runner.model.getTime(), time, 2)
        expected = np.array([runner.getValue(s) for s in selections])
        for cell in range(2):
            np.testing.assert_allclose(population.state[cell], expected, rtol=1e-6, atol=1e-12,
                                       err_msg=f"at t = {time}")
        np.testing.assert_allclose(population.values("species_1") + population.values("species_2"), total,
                                   rtol=1e-9)
        moved.append(population.values("species_2")[0])
    # the transient is real: the product rises from 1 (t = 0) to 2 across the records inside it
    assert 1.05 < moved[0] < moved[1] - 0.1 < moved[2] - 0.2 < 1.9 - 0.2
    assert moved[3] > 2.0 - 1e-9
