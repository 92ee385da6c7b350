"""Genes -> cells/tissue: species levels mapped onto per-cell mechanics, triggers and secretion.

`OUTPUTS` is the table of targets a scenario's `genes.outputs` may name:

    Lambda: {species: M, base: 0.12, gain: 0.5}                  linear:  base + gain * s
    Gamma:  {species: M, base: 0.04, gain: 0.1, law: hill, half: 1.0, hill_n: 2}
                                                                  Hill:    base + gain * s^n / (half^n + s^n)
    divide: {species: C, above: 2.0}                              per-cell flag, s > 2
    die:    {species: X, below: 0.1}                              per-cell flag, s < 0.1 (apoptosis)

A parameter target replaces that coefficient of the vertex energy cell by cell; a trigger flags
cells. Secretion (`tissue.fields.<name>.secreted_by`) maps a species onto a morphogen source.
The validator and the README's key table read the names from here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ParameterMap:
    """A species mapped onto a per-cell coefficient (a parameter target of OUTPUTS)."""

    target: str
    species: str
    base: float = 0.0
    gain: float = 1.0
    law: str = "linear"
    half: float = 1.0
    hill_n: float = 1.0

    def __call__(self, level: np.ndarray) -> np.ndarray:
        if self.law == "hill":
            level = np.maximum(level, 0.0) ** self.hill_n
            return self.base + self.gain * level / (self.half ** self.hill_n + level)
        return self.base + self.gain * level


@dataclass(frozen=True)
class Trigger:
    """A species above (or below) a threshold flags a cell (a trigger target of OUTPUTS)."""

    target: str
    species: str
    threshold: float
    above: bool

    def __call__(self, level: np.ndarray) -> np.ndarray:
        return level > self.threshold if self.above else level < self.threshold


@dataclass(frozen=True)
class GeneOutput:
    """One entry of OUTPUTS: a coefficient ("parameter") or a per-cell flag ("trigger")."""

    kind: str
    doc: str
    cells: str | None = None     # "sheet" or "monolayer" when only that body has the coefficient


OUTPUTS: dict[str, GeneOutput] = {
    "K": GeneOutput("parameter", "area stiffness K (force/length³)", "sheet"),
    "A0": GeneOutput("parameter", "target area A0 (length²)", "sheet"),
    "apical_tension": GeneOutput("parameter", "surface tension of the apical face (force/length)", "monolayer"),
    "basal_tension": GeneOutput("parameter", "surface tension of the basal face (force/length)", "monolayer"),
    "lateral_tension": GeneOutput("parameter", "surface tension of the lateral faces, the mean of the two "
                                               "cells' on a shared face (force/length)", "monolayer"),
    "volume_stiffness": GeneOutput("parameter", "volume stiffness K_V (force/length⁵)", "monolayer"),
    "V0": GeneOutput("parameter", "target volume V0 (length³)", "monolayer"),
    "Gamma": GeneOutput("parameter", "(apical) perimeter contractility Γ (force/length)"),
    "Lambda": GeneOutput("parameter", "line tension Λ of the cell's (apical) junctions (force)"),
    "Lambda_planar": GeneOutput("parameter", "planar-polarised tension: extra Λ_planar sin²θ on (apical) "
                                             "junctions at angle θ to cells.mechanics.planar_axis (force)"),
    "divide": GeneOutput("trigger", "the cell divides while the flag is up"),
    "die": GeneOutput("trigger", "the cell enters apoptosis for good: its target area (a monolayer's: volume) "
                                 "goes to 0, it shrinks and is extruded"),
}


def outputs_from_scenario(outputs: dict) -> tuple[list[ParameterMap], list[Trigger]]:
    """Split `genes.outputs` of a checked scenario into parameter maps and triggers."""
    maps, triggers = [], []
    for target, spec in outputs.items():
        if OUTPUTS[target].kind == "trigger":
            above = "above" in spec
            triggers.append(Trigger(target, spec["species"], spec["above" if above else "below"], above))
        else:
            maps.append(ParameterMap(target, spec["species"], spec["base"], spec["gain"], spec["law"],
                                     spec.get("half", 1.0), spec.get("hill_n", 1.0)))
    return maps, triggers


# ---------------------------------------------------------------------- the handshake functions
Species = Callable[[str], np.ndarray]


def mechanics_from_genes(base: Mapping[str, np.ndarray], maps: list[ParameterMap], species: Species | None,
                         dying: np.ndarray) -> dict[str, np.ndarray]:
    """Per-cell coefficients: the scenario's base values, replaced where a gene output maps a
    species onto them, then apoptosis."""
    values = {name: np.array(value) for name, value in base.items()}
    for parameter_map in maps if species is not None else ():
        values[parameter_map.target] = parameter_map(species(parameter_map.species))
    return apoptosis(values, dying)


def apoptosis(values: dict[str, np.ndarray], dying: np.ndarray) -> dict[str, np.ndarray]:
    """A dying cell's target area (a sheet's A0, length²) or volume (a monolayer's V0, length³) is 0:
    it shrinks until extrusion removes it."""
    values["A0" if "A0" in values else "V0"][dying] = 0.0
    return values


def flagged(triggers: list[Trigger], target: str, species: Species | None) -> np.ndarray | None:
    """Cells flagged by any trigger of `target` ("divide" or "die"), or None without such triggers."""
    flags = [trigger(species(trigger.species)) for trigger in triggers if trigger.target == target]
    return np.logical_or.reduce(flags) if flags else None


def secretion_rates(secretion: Mapping[str, str], species: Species | None) -> dict[str, np.ndarray]:
    """Morphogen sources at the centroids: field name -> the secreting species' level, read as a
    rate (amount/time per cell)."""
    return {name: species(secreting) for name, secreting in secretion.items()} if species is not None else {}
