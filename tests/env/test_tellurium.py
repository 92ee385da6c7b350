"""tellurium / libRoadRunner from the wheels simulate SBML against an analytic solution."""

import numpy as np
import tellurium as te

# Production and decay of a protein: dP/dt = s - k P, P(0) = 0  =>  P(t) = s/k (1 - exp(-k t)).
BIRTH_DEATH = """
model birth_death
    J0: -> P; s
    J1: P -> ; k*P
    s = 2.0; k = 0.5; P = 0
end
"""


def test_birth_death_matches_analytic_solution():
    runner = te.loada(BIRTH_DEATH)
    runner.integrator.relative_tolerance = 1e-10
    runner.integrator.absolute_tolerance = 1e-12
    result = runner.simulate(0, 10, 101, ["time", "P"])
    t, protein = result[:, 0], result[:, 1]
    analytic = 2.0 / 0.5 * (1.0 - np.exp(-0.5 * t))
    assert np.max(np.abs(protein - analytic)) < 1e-7
    # the SBML round trip keeps the model: reload it from its own SBML and get the same answer
    again = te.loadSBMLModel(runner.getSBML())
    assert np.allclose(again.simulate(0, 10, 101, ["time", "P"])[:, 1], protein, rtol=1e-5, atol=1e-8)
