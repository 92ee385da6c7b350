"""SBML constructs beyond reactions and rules that the batched solver compiles, each against its
analytic solution: conversion factors."""

import math

import libsbml
import numpy as np

from morphosim.genes import load
from tests.genes.conftest import TIGHT
from tests.genes.test_refusals import BASE, _sbml


def _with(edit):
    document = libsbml.readSBMLFromString(_sbml(BASE))
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
