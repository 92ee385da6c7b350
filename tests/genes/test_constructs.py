"""SBML constructs beyond reactions and rules that the batched solver compiles, each against its
analytic solution: conversion factors, variable stoichiometry, reaction ids as values in math, rateOf,
compartments that rules and events resize, algebraic rules, a fast reaction."""

import math

import libsbml
import numpy as np

from morphosim.genes import load
from tests.genes.conftest import TIGHT
from tests.genes.test_refusals import BASE, _sbml


def _with(edit, level=3, version=2):
    document = libsbml.readSBMLFromString(_sbml(BASE))
    document.setLevelAndVersion(level, version, False)
    edit(document.getModel())
    return libsbml.writeSBMLToString(document)


def test_conversion_factors_scale_what_reactions_change():
    """J0: S -> P at 0.5 S. S's own factor k = 0.5 beats the model's f = 4: dS/dt = -0.25 S, and P,
    with the model's, dP/dt = 4 * 0.5 S: S = exp(-t / 4), P = 8 (1 - exp(-t / 4))."""
    def factors(model):
        factor = model.createParameter()
        factor.setId("f"), factor.setValue(4.0), factor.setConstant(True)
        model.setConversionFactor("f")
        model.getSpecies("S").setConversionFactor("k")

    pop = load(_with(factors)).population(2, **TIGHT)
    pop.advance(2.0)
    np.testing.assert_allclose(pop.values("S"), math.exp(-0.5), rtol=1e-9)
    np.testing.assert_allclose(pop.values("P"), 8.0 * (1.0 - math.exp(-0.5)), rtol=1e-9)


def _rule_on_stoichiometry(model):
    product = model.getReaction("J0").getProduct(0)
    product.setId("n_P")
    product.setConstant(False)
    rule = model.createAssignmentRule()
    rule.setVariable("n_P")
    rule.setMath(libsbml.parseL3Formula("1 + S"))


def _stoichiometry_math(model):
    model.getReaction("J0").getProduct(0).createStoichiometryMath().setMath(libsbml.parseL3Formula("2"))


def test_variable_stoichiometry():
    """J0: S -> n P at 0.5 S, S = exp(-t / 2). With n = 1 + S (an assignment rule on the species
    reference): P = (1 - S) + (1 - S^2) / 2; with Level 2's stoichiometryMath n = 2: P = 2 (1 - S)."""
    s = math.exp(-0.5 * 2.0)
    ruled = load(_with(_rule_on_stoichiometry)).population(2, **TIGHT)
    ruled.advance(2.0)
    np.testing.assert_allclose(ruled.values("P"), (1 - s) + (1 - s * s) / 2, rtol=1e-9)
    np.testing.assert_allclose(ruled.values("n_P"), 1 + s, rtol=1e-9)
    formula = load(_with(_stoichiometry_math, 2, 4)).population(2, **TIGHT)
    formula.advance(2.0)
    np.testing.assert_allclose(formula.values("P"), 2 * (1 - s), rtol=1e-9)


def test_reaction_ids_read_as_their_rates():
    """J0's rate is 0.5 S, S = exp(-t / 2): a rule reads it, and an event fires when it falls below
    1/4, at t = 2 ln 2."""
    text = BASE.replace("end", "  flux := 2 * J0\n  when = 0\n  E1: at (J0 < 0.25): when = time\nend")
    pop = load(text).population(2, **TIGHT)
    np.testing.assert_allclose(pop.values("flux"), 1.0, rtol=1e-12)
    pop.advance(2.0)
    np.testing.assert_allclose(pop.values("flux"), math.exp(-1.0), rtol=1e-9)
    np.testing.assert_allclose(pop.values("J0"), 0.5 * math.exp(-1.0), rtol=1e-9)
    np.testing.assert_allclose(pop.values("when"), 2 * math.log(2.0), rtol=1e-9)


def test_rate_of_reads_the_state_equations():
    """rateOf(P) = dP/dt = 0.5 S = 0.5 exp(-t / 2), rateOf(S) = -0.5 S, rateOf(k) = 0 (a constant)."""
    text = BASE.replace("end", "  gain := rateOf(P)\n  loss := rateOf(S)\n  still := rateOf(k)\nend")
    pop = load(text).population(2, **TIGHT)
    pop.advance(2.0)
    np.testing.assert_allclose(pop.values("gain"), 0.5 * math.exp(-1.0), rtol=1e-9)
    np.testing.assert_allclose(pop.values("loss"), -0.5 * math.exp(-1.0), rtol=1e-9)
    np.testing.assert_array_equal(pop.values("still"), 0.0)


def test_rate_of_in_an_initial_assignment_reads_the_initial_rates():
    """An initial assignment start := rateOf(S) (the suite's 01252) is dS/dt at t = 0 = -k S(0) = -0.5: it
    reads the reaction's rate, which its math does not name (this was a raw NameError)."""
    pop = load(BASE.replace("end", "  start = rateOf(S)\nend")).population(2, **TIGHT)
    np.testing.assert_allclose(pop.values("start"), -0.5, rtol=1e-12)


def test_rate_of_a_local_parameter_is_zero():
    """rateOf(k) in a kinetic law whose local parameter k shadows a global k' = 2 (the suite's 01460) is
    0: J0: -> P at rateOf(k) leaves P at 0."""
    text = BASE.replace("J0: S -> P; k * S", "J0: -> P; rateOf(k)").replace("end", "  k' = 2\nend")
    document = libsbml.readSBMLFromString(_sbml(text))
    law = document.getModel().getReaction("J0").getKineticLaw()
    local = law.createLocalParameter()
    local.setId("k")
    local.setValue(3.0)
    pop = load(libsbml.writeSBMLToString(document)).population(2, **TIGHT)
    pop.advance(1.0)
    np.testing.assert_array_equal(pop.values("P"), 0.0)
    np.testing.assert_allclose(pop.values("k"), 0.5 + 2.0, rtol=1e-12)   # the global k did change


def test_implies_is_not_a_or_b():
    """L3V2's implies (the suite's 01274): gate := piecewise(1, implies(time > 1, S < 0.5), 0) with
    S = exp(-t / 2) is 1 until t = 1 (a false premise), 0 until S = 0.5 at t = 2 ln 2, then 1."""
    def gated(model):
        gate = model.createParameter()
        gate.setId("gate"), gate.setConstant(False)
        rule = model.createAssignmentRule()
        rule.setVariable("gate")
        rule.setMath(libsbml.parseL3Formula("piecewise(1, implies(time > 1, S < 0.5), 0)"))

    pop = load(_with(gated)).population(2, **TIGHT)
    for interval, gate in ((0.5, 1.0), (0.7, 0.0), (0.8, 1.0)):   # t = 0.5, 1.2, 2.0
        pop.advance(interval)
        np.testing.assert_array_equal(pop.values("gate"), gate)


def test_a_growing_compartment_keeps_the_amounts_reactions_change():
    """C' = 0.1 (C = 1 + t / 10) and J0: S -> P at k [S] = 0.5 n / C (an amount per time): n = C^-5,
    [S] = C^-6, [P] = (1 - C^-5) / C, and rateOf(S) = d(n / C)/dt = -0.6 C^-7. The same with the size
    given by an assignment rule, C := 1 + time / 10. set_state takes concentrations in both."""
    rate = BASE.replace("end", "  C' = 0.1\n  loss := rateOf(S)\nend")
    assigned = BASE.replace("end", "  C := 1 + time / 10\nend")
    size = 1.2
    for text in (rate, assigned):
        pop = load(text).population(2, **TIGHT)
        pop.advance(2.0)
        np.testing.assert_allclose(pop.values("C"), size, rtol=1e-12)
        np.testing.assert_allclose(pop.values("S"), size ** -6, rtol=1e-9)
        np.testing.assert_allclose(pop.state[:, pop.species_names.index("P")], (1 - size ** -5) / size, rtol=1e-9)
        pop.set_state({"S": [0.5, 0.25]})
        np.testing.assert_allclose(pop.state[:, pop.species_names.index("S")], [0.5, 0.25], rtol=1e-14)
        pop.advance(1.0)   # from n = [S] 1.2 at t = 2, n = [S] 1.2 (1.2 / C)^5: [S] = [S](2) (1.2 / 1.3)^6
        np.testing.assert_allclose(pop.values("S"), np.array([0.5, 0.25]) * (size / 1.3) ** 6, rtol=1e-9)
    rated = load(rate).population(1, **TIGHT)
    rated.advance(2.0)
    np.testing.assert_allclose(rated.values("loss"), -0.6 * size ** -7, rtol=1e-9)


def test_an_event_that_resizes_a_compartment_keeps_amounts():
    """E1 at t = 1 sets C = 2 and [S] = 0.4 at once: every assignment's value is computed before any is
    made, so S's amount becomes 0.4 C(before) = 0.4 and [S] = 0.2 (the SBML Test Suite's 01779); P keeps
    its amount 1 - e^-0.5 (its concentration halves). Then dn/dt = -0.5 n / 2: [S](2) = 0.2 e^-0.25."""
    text = BASE.replace("end", "  E1: at (time > 1): C = 2, S = 0.4\nend")
    pop = load(text).population(2, **TIGHT)
    pop.advance(1.5)
    np.testing.assert_allclose(pop.values("C"), 2.0)
    np.testing.assert_allclose(pop.values("S"), 0.2 * math.exp(-0.125), rtol=1e-9)
    pop.advance(0.5)
    np.testing.assert_allclose(pop.values("S"), 0.2 * math.exp(-0.25), rtol=1e-9)
    np.testing.assert_allclose(pop.values("P"), (1 - math.exp(-0.5) + 0.4 * (1 - math.exp(-0.25))) / 2, rtol=1e-9)


def test_a_rate_rule_on_a_concentration_in_a_growing_compartment():
    """d[S]/dt = 0.4 by a rate rule while C' = 0.2 from C = 0.5: [S] = 0.4 t, its amount 0.4 t C; at
    t = 1 an event sets C = 1, which keeps the amount 0.4 * 0.7: [S] = 0.28, then 0.28 + 0.4 (t - 1)."""
    text = """
model grows
  compartment C = 0.5
  species S in C
  S = 0
  S' = 0.4
  C' = 0.2
  E1: at (time > 1): C = 1
end
"""
    pop = load(text).population(2, **TIGHT)
    pop.advance(0.5)
    np.testing.assert_allclose(pop.values("S"), 0.2, rtol=1e-10)
    pop.advance(1.5)
    np.testing.assert_allclose(pop.values("C"), 1.2, rtol=1e-12)
    np.testing.assert_allclose(pop.values("S"), 0.68, rtol=1e-10)


def test_a_delayed_event_on_a_concentration_scales_by_the_size_when_it_executes():
    """As above without the resize, and E1 fires at t = 0.45 to execute 0.1 later: [S] = S + 0.2 with S
    from the trigger time is 0.38, from the execution time 0.42; either is the concentration at 0.55,
    so the amount row gets it times C(0.55) = 0.61 (not C(0.45): the SBML Test Suite's 01508). At t = 1,
    [S] = 0.38 + 0.18 = 0.56 and 0.42 + 0.18 = 0.60."""
    for from_trigger, expected in (("true", 0.56), ("false", 0.60)):
        text = f"""
model grows
  compartment C = 0.5
  species S in C
  S = 0
  S' = 0.4
  C' = 0.2
  E1: at 0.1 after (time >= 0.45), fromTrigger={from_trigger}: S = S + 0.2
end
"""
        pop = load(text).population(2, **TIGHT)
        pop.advance(1.0)
        np.testing.assert_allclose(pop.values("C"), 0.7, rtol=1e-12)
        np.testing.assert_allclose(pop.values("S"), expected, rtol=1e-10)


def test_algebraic_rules_affine_in_one_free_variable_become_assignments():
    """0 = 2 R - Q and 0 = Q + S - 2, with S = exp(-t / 2) from J0: the second rule has one free
    variable, Q (S is a reacting species), so Q = 2 - S; then the first has one left, R = Q / 2. A third,
    0 = (k + 1) V - 3 time with k constant, sizes a compartment: V = 3 t / 1.5 (a coefficient that is
    not 1)."""
    text = BASE.replace("end", """  species Q in C, R in C
  compartment V = 1
  const k
  0 = 2 * R - Q
  0 = Q + S - 2
  0 = (k + 1) * V - 3 * time
end""")
    pop = load(text).population(2, **TIGHT)
    np.testing.assert_allclose(pop.values("Q"), 1.0, rtol=1e-12)
    pop.advance(2.0)
    s = math.exp(-1.0)
    np.testing.assert_allclose(pop.values("S"), s, rtol=1e-9)
    np.testing.assert_allclose(pop.values("Q"), 2 - s, rtol=1e-9)
    np.testing.assert_allclose(pop.values("R"), (2 - s) / 2, rtol=1e-9)
    np.testing.assert_allclose(pop.values("V"), 4.0, rtol=1e-12)


def test_a_fast_reaction_holds_its_equilibrium():
    """J0: A <-> B fast at 2 A - B (per volume), J1: B -> at 0.5 B, in C = 2: A = B / 2 at all times, so
    with the pool T = A + B, dT/dt = -0.5 B / C = -T / 6 and T = exp(-t / 6) from the declared A = 1,
    B = 0, equilibrated at once (A = 1/3, B = 2/3). set_state changes the pool, which re-equilibrates."""
    text = """
model fast_equilibrium
  compartment C = 2
  species A in C, B in C
  J0: A -> B; C * (2 * A - B)
  J1: B -> ; 0.5 * B
  A = 1; B = 0
end
"""
    document = libsbml.readSBMLFromString(_sbml(text))
    document.setLevelAndVersion(3, 1, False)
    document.getModel().getReaction("J0").setFast(True)
    pop = load(libsbml.writeSBMLToString(document)).population(2, **TIGHT)
    np.testing.assert_allclose(pop.state, [[1 / 3, 2 / 3]] * 2, rtol=1e-12)
    pop.advance(3.0)
    total = math.exp(-0.5)
    np.testing.assert_allclose(pop.values("A"), total / 3, rtol=1e-9)
    np.testing.assert_allclose(pop.state[:, 1], 2 * total / 3, rtol=1e-9)
    np.testing.assert_allclose(pop.values("J1"), 0.5 * 2 * total / 3, rtol=1e-9)
    b = pop.values("B")
    pop.set_state({"A": [2.0, 1.0]})
    np.testing.assert_allclose(pop.values("A"), (np.array([2.0, 1.0]) + b) / 3, rtol=1e-12)
    np.testing.assert_allclose(pop.values("B"), 2 * pop.values("A"), rtol=1e-12)
