"""What the batched solver cannot compile is refused, naming the construct and the element, and
pointing to `solver: tellurium`, which does run these models (or saying it does not: fast reactions)."""

import math

import antimony
import libsbml
import numpy as np
import pytest

from morphosim.genes import UnsupportedSBMLError, load
from tests.genes.conftest import ROADRUNNER_TESTS

BASE = """
model base
  compartment C = 1
  species S in C, P in C
  J0: S -> P; k * S
  S = 1; P = 0; k = 0.5
end
"""


def _sbml(antimony_text):
    antimony.clearPreviousLoads()
    assert antimony.loadAntimonyString(antimony_text) >= 0, antimony.getLastError()
    return antimony.getSBMLString(antimony.getMainModuleName())


def _edited(edit, level=3, version=2):
    """BASE as SBML of this level/version, changed by edit(model)."""
    document = libsbml.readSBMLFromString(_sbml(BASE))
    document.setLevelAndVersion(level, version, False)
    edit(document.getModel())
    return libsbml.writeSBMLToString(document)


def _add_constraint(model):
    constraint = model.createConstraint()
    constraint.setMath(libsbml.parseL3Formula("S >= 0"))


def _make_fast(model):
    """J0 fast, with a law not affine in S."""
    model.getReaction("J0").setFast(True)
    model.getReaction("J0").getKineticLaw().setMath(libsbml.parseL3Formula("k * S * S"))


REFUSED = {
    "delay": (BASE.replace("k * S", "k * delay(S, 0.5)"), r"delay\(\) in the kinetic law of reaction 'J0'"),
    "nonlinear algebraic rule": (BASE.replace("end", "  species Q in C\n  0 = Q * Q + S - 2\nend"),
                                 r"algebraic rule Q \* Q \+ S - 2 = 0 \(it is not affine in Q: a "
                                 r"differential-algebraic"),
    "algebraic rule in two variables": (BASE.replace("end", "  species Q in C, R in C\n  0 = Q + R - 2\nend"),
                                        r"algebraic rule Q \+ R - 2 = 0 \(it has no single variable to solve for "
                                        r"\(candidates: Q, R\)"),
    "rateOf in a rate rule": (BASE.replace("end", "  q = 0\n  q' = rateOf(S)\nend"),
                              r"rateOf\(\) in the rate rule for 'q'"),
    "constraint": (_edited(_add_constraint), r"constraint \(S >= 0\)"),
    "fast reaction": (_edited(_make_fast, 3, 1), r"fast reaction 'J0' \(its kinetic law is not affine in 'S'\)"),
    "distrib package": (ROADRUNNER_TESTS / "test_data" / "normalDistrib.xml", r"required SBML package 'distrib'"),
}


@pytest.mark.parametrize("construct", REFUSED)
def test_batched_solver_refuses_with_a_message(construct):
    source, message = REFUSED[construct]
    net = load(source)
    with pytest.raises(UnsupportedSBMLError, match=message) as caught:
        net.population(2, solver="batched")
    text = str(caught.value)
    assert "is not supported by the batched solver" in text and "`solver: tellurium`" in text
    assert "\n" not in text


def test_tellurium_solver_runs_a_refused_model():
    """libRoadRunner runs the model with a constraint (it checks none): S = exp(-k t) at k = 0.5, P = 1 - S."""
    net = load(REFUSED["constraint"][0])
    population = net.population(2, solver="tellurium", rtol=1e-10, atol=1e-12)
    population.advance(2.0)
    np.testing.assert_allclose(population.state, [[math.exp(-1.0), 1 - math.exp(-1.0)]] * 2, rtol=1e-6)
