"""Genes -> cells/tissue: species levels mapped onto per-cell mechanics, triggers and secretion.

A scenario's `genes.outputs` maps a target onto a species:

    Lambda: {species: M, base: 0.12, gain: 0.5}                  linear:  base + gain * s
    Gamma:  {species: M, base: 0.04, gain: 0.1, law: hill, half: 1.0, hill_n: 2}
                                                                  Hill:    base + gain * s^n / (half^n + s^n)
    divide: {species: C, above: 2.0}                              per-cell flag, s > 2
    die:    {species: X, below: 0.1}                              per-cell flag, s < 0.1
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ParameterMap:
    """A species mapped onto a per-cell mechanical parameter (K, A0, Gamma or Lambda)."""

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
    """A species above (or below) a threshold flags a cell for division or death."""

    target: str
    species: str
    threshold: float
    above: bool

    def __call__(self, level: np.ndarray) -> np.ndarray:
        return level > self.threshold if self.above else level < self.threshold


def outputs_from_scenario(outputs: dict) -> tuple[list[ParameterMap], list[Trigger]]:
    """Split `genes.outputs` of a checked scenario into parameter maps and triggers."""
    maps, triggers = [], []
    for target, spec in outputs.items():
        if "above" in spec or "below" in spec:
            above = "above" in spec
            triggers.append(Trigger(target, spec["species"], spec["above" if above else "below"], above))
        else:
            maps.append(ParameterMap(target, spec["species"], spec["base"], spec["gain"], spec["law"],
                                     spec.get("half", 1.0), spec.get("hill_n", 1.0)))
    return maps, triggers
